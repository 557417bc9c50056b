// The grid index must give exactly what a brute-force scan over every segment gives.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CentrelineIndex, newCentrelinePoint } from '../../server/twin/centreline-index.ts';
import { buildVeinTree, type VeinJson, type VeinTree } from '../../server/twin/vein-tree.ts';
import { makeMiniTwin } from '../fixtures/make-mini-twin.ts';
import { bruteNearest, segmentDistance } from '../helpers/brute-centreline.ts';

/** A random tree of `n` nodes: each new node hangs off a random earlier node, 0.5–3 mm away. */
function randomTree(seed: number, n: number): VeinJson {
  let s = seed >>> 0 || 1;
  const rand = (): number => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
  const nodes: [number, number, number, number][] = [[0, 0, 0, 3]];
  const edges: [number, number][] = [];
  for (let i = 1; i < n; i++) {
    const parent = Math.floor(rand() * Math.max(1, i * 0.2)) + Math.floor(i * 0.8 * rand());
    const base = nodes[Math.min(parent, i - 1)]!;
    const step = 0.5 + 2.5 * rand();
    const th = 2 * Math.PI * rand();
    const ph = Math.acos(2 * rand() - 1);
    nodes.push([base[0] + step * Math.sin(ph) * Math.cos(th), base[1] + step * Math.sin(ph) * Math.sin(th), base[2] + step * Math.cos(ph), 1]);
    edges.push([Math.min(parent, i - 1), i]);
  }
  // One branch per edge keeps the tree valid whatever its shape.
  const branches = edges.map(([a, b], k) => ({ id: `b${k}`, name: `b${k}`, kind: 'other' as const, nodes: [a, b] }));
  return { nodes, edges, root: 0, branches };
}

const mini = buildVeinTree(makeMiniTwin().veins, 1e6);

describe('CentrelineIndex.nearest', () => {
  it('answers known points on the mini tree exactly', () => {
    const index = new CentrelineIndex(mini);
    const out = newCentrelinePoint();
    index.nearest(60.5, 31, -35, out); // beside the lateral branch, 35 mm down
    expect(out.branch).toBe(mini.branchById.get('lat'));
    expect(out.distanceMm).toBeCloseTo(Math.hypot(0.5, 1), 12);
    expect(out.arcLengthMm).toBeCloseTo(95, 12);
    expect([out.x, out.y, out.z]).toEqual([60, 30, -35]);
    index.nearest(45, 30, 5, out); // above the trunk between x = 40 and 50
    expect(out.branch).toBe(mini.branchById.get('cs'));
    expect(out.arcLengthMm).toBeCloseTo(45, 12);
    expect(out.radiusMm).toBeCloseTo(4 - 0.25 * 4.5, 12);
  });

  it('restricts the search to one branch when asked', () => {
    const index = new CentrelineIndex(mini);
    const out = newCentrelinePoint();
    index.nearest(60, 30, -35, out, mini.branchById.get('pl')!);
    expect(out.branch).toBe(mini.branchById.get('pl'));
    expect(out.distanceMm).toBeCloseTo(30, 12);
  });

  it('matches brute force on random trees, for points near, inside and far outside the tree (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.integer({ min: 2, max: 400 }), fc.array(fc.tuple(fc.double({ min: -200, max: 200, noNaN: true }), fc.double({ min: -200, max: 200, noNaN: true }), fc.double({ min: -200, max: 200, noNaN: true })), { minLength: 1, maxLength: 20 }), (seed, n, points) => {
        const tree = buildVeinTree(randomTree(seed, n), 1e6);
        const index = new CentrelineIndex(tree);
        const out = newCentrelinePoint();
        for (const [x, y, z] of points) {
          index.nearest(x, y, z, out);
          const brute = bruteNearest(tree, x, y, z);
          expect(out.distanceMm).toBeCloseTo(brute.d, 9);
        }
      }),
      { numRuns: 200 },
    );
  });
});

describe('CentrelineIndex.within', () => {
  it('finds every segment within r, and only those (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 1e9 }), fc.double({ min: 0.1, max: 15, noNaN: true }), fc.integer({ min: 0, max: 299 }), (seed, r, at) => {
        const tree = buildVeinTree(randomTree(seed, 300), 1e6);
        const index = new CentrelineIndex(tree);
        const x = tree.positionsMm[3 * at]! + 0.7, y = tree.positionsMm[3 * at + 1]! - 0.4, z = tree.positionsMm[3 * at + 2]!;
        const hits = index.within(x, y, z, r);
        const expected: number[] = [];
        for (let c = 0; c < tree.nodeCount; c++) {
          if (tree.parent[c]! < 0) continue;
          const single = segmentDistance(tree, c, x, y, z);
          if (single <= r) expected.push(c);
        }
        expect(hits.map((h) => h.segment).sort((a, b) => a - b)).toEqual(expected);
        for (let k = 1; k < hits.length; k++) expect(hits[k]!.distanceMm).toBeGreaterThanOrEqual(hits[k - 1]!.distanceMm);
      }),
      { numRuns: 100 },
    );
  });

  it('gives an empty list far from the tree', () => {
    expect(new CentrelineIndex(mini).within(500, 500, 500, 10)).toEqual([]);
  });
});
