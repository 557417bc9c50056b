// Nearest-centreline query (target ≤ 2 µs) on the real BodyParts3D vein tree (392 nodes) and on a
// dense 20k-node tree, against a brute-force scan over every segment in the same run.
import { readFileSync } from 'node:fs';
import { CentrelineIndex, newCentrelinePoint } from '../server/twin/centreline-index.ts';
import { buildVeinTree, type VeinJson, type VeinTree } from '../server/twin/vein-tree.ts';
import { bruteNearest } from '../test/helpers/brute-centreline.ts';
import { measure, printJson, printTable } from './harness.ts';

interface CentrelineFile { nodes: [number, number, number, number][]; edges: [number, number][]; root: number }

function realTree(): VeinTree {
  const file = JSON.parse(readFileSync(new URL('../data/anatomy/bodyparts3d-coronary-veins/veins_centerline.json', import.meta.url), 'utf8')) as CentrelineFile;
  const json: VeinJson = { nodes: file.nodes, edges: file.edges, root: file.root, branches: file.edges.map(([a, b], k) => ({ id: `e${k}`, name: 'e', kind: 'other', nodes: [a, b] })) };
  return buildVeinTree(json, 1e6);
}

function denseTree(n: number): VeinTree {
  let s = 12345;
  const rand = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const nodes: [number, number, number, number][] = [[0, 0, 0, 3]];
  const edges: [number, number][] = [];
  for (let i = 1; i < n; i++) {
    // Mostly extend the previous node (vessel-like runs), sometimes branch from anywhere.
    const parent = rand() < 0.97 ? i - 1 : Math.floor(rand() * i);
    const b = nodes[parent]!;
    nodes.push([b[0] + rand() * 2 - 1, b[1] + rand() * 2 - 1, b[2] + rand() * 2 - 1, 1]);
    edges.push([parent, i]);
  }
  return buildVeinTree({ nodes, edges, root: 0, branches: edges.map(([a, b], k) => ({ id: `e${k}`, name: 'e', kind: 'other', nodes: [a, b] })) }, 1e6);
}

/** Query points: on-tree points displaced by up to `spreadMm` (a tracked tip near its vein). */
function queries(tree: VeinTree, count: number, spreadMm: number): Float64Array {
  let s = 99;
  const rand = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const q = new Float64Array(3 * count);
  for (let i = 0; i < count; i++) {
    const node = Math.floor(rand() * tree.nodeCount);
    for (let k = 0; k < 3; k++) q[3 * i + k] = tree.positionsMm[3 * node + k]! + (rand() * 2 - 1) * spreadMm;
  }
  return q;
}

const out = newCentrelinePoint();
const figures: Record<string, number> = {};
for (const [label, tree] of [['BodyParts3D tree (392 nodes)', realTree()], ['synthetic tree (20k nodes)', denseTree(20_000)]] as const) {
  const index = new CentrelineIndex(tree);
  const near = queries(tree, 4096, 5);
  const far = queries(tree, 4096, 40);
  const count = 4096;
  const rows = [
    measure(`${label}: brute force, tip ≤ 5 mm off (baseline)`, (i) => { const k = 3 * (i % count); return bruteNearest(tree, near[k]!, near[k + 1]!, near[k + 2]!).d; }, { batch: tree.nodeCount > 1000 ? 20 : 500 }),
    measure(`${label}: index.nearest, tip ≤ 5 mm off`, (i) => { const k = 3 * (i % count); return index.nearest(near[k]!, near[k + 1]!, near[k + 2]!, out).distanceMm; }, { batch: 2000 }),
    measure(`${label}: index.nearest, up to 40 mm off`, (i) => { const k = 3 * (i % count); return index.nearest(far[k]!, far[k + 1]!, far[k + 2]!, out).distanceMm; }, { batch: 2000 }),
  ];
  printTable(`Nearest centreline point — ${label}, BVH of ${index.nodeCount} boxes`, rows, rows[0]);
  const key = tree.nodeCount > 1000 ? 'dense' : 'real';
  figures[`${key}NearNs`] = Math.round(rows[1]!.nsPerOp);
  figures[`${key}FarNs`] = Math.round(rows[2]!.nsPerOp);
  figures[`${key}BruteNs`] = Math.round(rows[0]!.nsPerOp);
}
printJson('nearest-centreline', figures);
