// Vein centrelines as segmentation pipelines write them, turned into one tree rooted at the CS
// ostium (the shared centreline JSON form that fitRealVeinTree places on the heart):
//  - VMTK's vmtkcenterlines output (.vtp, or legacy .vtk): one polyline per target, each from the
//    source (the ostium) to its target, so every line repeats the proximal stretch it shares with
//    the others; radius in the MaximumInscribedSphereRadius point data. The lines are merged: a
//    line follows the tree while it stays within half a radius of it, and branches off there.
//  - 3D Slicer centreline curves (markups JSON, "Curve" markups with a radius measurement, as the
//    VMTK extension's Extract Centerline writes them), in their coordinateSystem (LPS or RAS).
//  - The shared JSON tree form itself.
// Branch names come from a sidecar JSON ({"names": ["…", …]}: one per input line, in order) when
// given; else the placement names them from where they run.

import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { TwinguideError } from '../../protocol/index.ts';
import { lineLength, orientFromOstium, type CentrelineLine, type OrientedLines } from './centreline-orientation.ts';
import { closestOnSegment, distance as dist } from './triangle-mesh.ts';
import { parseCentrelineFile, type CentrelineFile } from './real-vein-tree.ts';
import { declaredFrame, type PatientFrame, type Units } from './surface-files.ts';
import { parseVtk } from './vtk-legacy.ts';
import { parseVtp, type PolyDataFile } from './vtk-xml.ts';

const MAX_CENTRELINE_BYTES = 64 * 1024 * 1024;
/** Node spacing of the merged tree (mm): VMTK samples far more finely than guidance needs. */
const NODE_SPACING_MM = 1;
/** Lines this close (mm, or half the local radius if larger) are the same vessel. */
const SHARED_TOLERANCE_MM = 0.5;
const RADIUS_ARRAYS = ['MaximumInscribedSphereRadius', 'Radius', 'radius'];

export interface CentrelineReadOptions {
  units?: Units;
  frame?: PatientFrame;
  /** Sidecar JSON with a name for each input line, in order. */
  namesFile?: string;
  /** The CS ostium landmark (mm, LPS, the surfaces' frame): which end of split curves is the ostium. */
  ostiumLandmark?: readonly number[];
}

export interface CentrelineInput {
  tree: CentrelineFile;
  /** What the file was, for meta.builder. */
  format: 'twinguide-json' | 'vmtk-polylines' | 'slicer-markups';
  lines: number;
  /** Nodes are in the surfaces' frame already (VMTK, Slicer), not a tree from another body. */
  sameFrame: boolean;
  /** How the ostium was found among the lines' ends (VMTK and Slicer files; the JSON form names its root). */
  ostium?: OrientedLines['ostium'];
}

type Line = CentrelineLine;

export function readCentrelines(file: string, options: CentrelineReadOptions = {}): CentrelineInput {
  let bytes: Buffer;
  try {
    if (statSync(file).size > MAX_CENTRELINE_BYTES) throw new Error(`larger than ${MAX_CENTRELINE_BYTES} bytes`);
    bytes = readFileSync(file);
  } catch (cause) {
    throw new TwinguideError('TG_ERR_SURFACE', `cannot read --veins ${file}: ${(cause as Error).message}`, { cause });
  }
  const names = options.namesFile ? readNames(options.namesFile) : null;
  const scale = options.units === 'm' ? 1000 : 1;
  try {
    const ext = extname(file).toLowerCase();
    if (ext === '.vtp' || ext === '.vtk') {
      const poly = ext === '.vtp' ? parseVtp(bytes) : parseVtk(bytes);
      const lines = polylines(poly, poly.space ?? declaredFrame(bytes) ?? options.frame ?? 'LPS', scale);
      const oriented = orientFromOstium(withNames(lines, names), options.ostiumLandmark);
      return { tree: mergeLines(oriented.lines), format: 'vmtk-polylines', lines: lines.length, sameFrame: true, ostium: oriented.ostium };
    }
    const json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    if (Array.isArray(json['markups'])) {
      const lines = markupCurves(json['markups'], options.frame, scale);
      const oriented = orientFromOstium(withNames(lines, names), options.ostiumLandmark);
      return { tree: mergeLines(oriented.lines), format: 'slicer-markups', lines: lines.length, sameFrame: true, ostium: oriented.ostium };
    }
    const tree = parseCentrelineFile(bytes.toString('utf8'), file);
    if (names) tree.branches.forEach((b, i) => { if (names[i]) b.name = names[i]!; });
    return { tree, format: 'twinguide-json', lines: tree.branches.length, sameFrame: false };
  } catch (cause) {
    if (cause instanceof TwinguideError) throw cause;
    throw new TwinguideError('TG_ERR_SURFACE', `--veins ${file}: ${(cause as Error).message}`, { cause });
  }
}

function readNames(file: string): string[] {
  try {
    const json = JSON.parse(readFileSync(file, 'utf8')) as { names?: unknown };
    if (!Array.isArray(json.names) || !json.names.every((n) => typeof n === 'string' && n.length > 0 && n.length <= 80)) throw new Error('expected {"names": ["…", …]} (one name per line, at most 80 characters)');
    return json.names as string[];
  } catch (cause) {
    throw new TwinguideError('TG_ERR_SURFACE', `--vein-names ${file}: ${(cause as Error).message}`, { cause });
  }
}

function withNames(lines: Line[], names: string[] | null): Line[] {
  return names ? lines.map((l, i) => ({ ...l, name: names[i] ?? l.name })) : lines;
}

function polylines(poly: PolyDataFile, frame: PatientFrame, scale: number): Line[] {
  if (poly.lines.length === 0) throw new Error('no polylines (a VMTK centreline file holds one line per target)');
  const radius = RADIUS_ARRAYS.map((n) => poly.pointData.get(n)).find((a) => a && a.components === 1);
  if (!radius) throw new Error(`no radius on the points (expected point data ${RADIUS_ARRAYS.join(' or ')})`);
  const flip = frame === 'RAS' ? -1 : 1;
  return poly.lines.filter((l) => l.length >= 2).map((cell) => ({
    points: cell.map((i) => [poly.points[3 * i]! * scale * flip, poly.points[3 * i + 1]! * scale * flip, poly.points[3 * i + 2]! * scale] as [number, number, number]),
    radii: cell.map((i) => radius.values[i]! * scale),
    name: null,
  }));
}

function markupCurves(markups: unknown[], frame: PatientFrame | undefined, scale: number): Line[] {
  const lines: Line[] = [];
  for (const m of markups as Record<string, unknown>[]) {
    if (m['type'] !== 'Curve') continue;
    const points = (Array.isArray(m['controlPoints']) ? m['controlPoints'] : []) as { position?: unknown }[];
    const system = m['coordinateSystem'] === 'RAS' ? 'RAS' : m['coordinateSystem'] === 'LPS' ? 'LPS' : frame ?? 'LPS';
    const flip = system === 'RAS' ? -1 : 1;
    const xyz = points.map((p, i) => {
      const v = p.position;
      if (!Array.isArray(v) || v.length !== 3 || !v.every(Number.isFinite)) throw new Error(`curve ${String(m['name'] ?? lines.length)}: control point ${i} has no finite position`);
      return [v[0] * scale * flip, v[1] * scale * flip, v[2] * scale] as [number, number, number];
    });
    const measurements = (Array.isArray(m['measurements']) ? m['measurements'] : []) as { name?: unknown; controlPointValues?: unknown }[];
    const radius = measurements.find((x) => typeof x.name === 'string' && /radius/i.test(x.name) && Array.isArray(x.controlPointValues));
    const diameter = measurements.find((x) => typeof x.name === 'string' && /diameter/i.test(x.name) && Array.isArray(x.controlPointValues));
    const values = (radius?.controlPointValues ?? (diameter?.controlPointValues as number[] | undefined)?.map((d) => d / 2)) as number[] | undefined;
    if (!values || values.length !== xyz.length || !values.every((r) => Number.isFinite(r) && r > 0)) {
      throw new Error(`curve ${String(m['name'] ?? lines.length)}: needs a Radius (or Diameter) measurement with one positive value per control point`);
    }
    if (xyz.length >= 2) lines.push({ points: xyz, radii: values.map((r) => r * scale), name: null });
  }
  if (lines.length === 0) throw new Error('no "Curve" markups with control points');
  return lines;
}


/** The CS ends at the trunk's first junction, or this far (mm) from the ostium when the first junction is further. */
const CS_MAX_MM = 60;

/**
 * One tree from lines that may repeat each other's proximal stretch (VMTK: every line from the
 * ostium) or that are split at the bifurcations (3D Slicer: each curve from a junction or the
 * ostium to the next), turned to run from the ostium and ordered root first (orientFromOstium).
 * The longest line from the root is the trunk; a line that starts where a branch ends continues
 * that branch. The trunk is split into the coronary sinus (to its first junction, at most
 * CS_MAX_MM) and the vein it continues as.
 */
function mergeLines(lines: Line[]): CentrelineFile {
  const root = lines[0]!.points[0]!;

  const nodes: [number, number, number, number][] = [];
  const edges: [number, number][] = [];
  const nearestNode = (p: readonly number[]): { index: number; d: number } => {
    let index = -1, d = Infinity;
    for (let i = 0; i < nodes.length; i++) {
      const di = dist(p, nodes[i]!);
      if (di < d) { d = di; index = i; }
    }
    return { index, d };
  };
  /** Distance to the tree's centreline (its segments: nodes may be mm apart), and the nearer node of that segment. */
  const nearestOnTree = (p: readonly number[]): { index: number; d: number } => {
    let best = nearestNode(p);
    for (const [a, b] of edges) {
      const { t, distance: d } = closestOnSegment(p, nodes[a]!, nodes[b]!);
      if (d < best.d) best = { index: t < 0.5 ? a : b, d };
    }
    return best;
  };
  /** Append a resampled polyline after `from` (a node index, or null for the root). */
  const chain = (points: [number, number, number][], radii: number[], from: number | null): number[] => {
    const ids: number[] = from === null ? [] : [from];
    let last: readonly number[] | null = from === null ? null : nodes[from]!;
    let travelled = 0;
    for (let k = 0; k < points.length; k++) {
      const p = points[k]!;
      if (last) travelled += dist(p, last);
      const isEnd = k === points.length - 1;
      last = p;
      if (ids.length > 0 && travelled < NODE_SPACING_MM && !isEnd) continue;
      const index = nodes.length;
      nodes.push([p[0], p[1], p[2], radii[k]!]);
      const parent = ids[ids.length - 1];
      if (parent !== undefined) edges.push([parent, index]);
      ids.push(index);
      travelled = 0;
    }
    return ids;
  };

  const fromRoot = lines.map((l, i) => ({ i, l })).filter(({ l }) => dist(l.points[0]!, root) < 2);
  const trunkIndex = fromRoot.sort((a, b) => lineLength(b.l) - lineLength(a.l) || a.i - b.i)[0]!.i;
  const trunkLine = lines[trunkIndex]!;
  const branchNodes: { name: string; nodes: number[] }[] = [{ name: trunkLine.name ?? '', nodes: chain(trunkLine.points, trunkLine.radii, null) }];
  const remaining = new Set(lines.map((_, i) => i).filter((i) => i !== trunkIndex));
  while (remaining.size > 0) {
    // Next: the line that starts nearest the tree (longest first among equals), so split curves join in order.
    let pick = -1, best = Infinity, longest = -1;
    for (const i of remaining) {
      const d = Math.round(nearestNode(lines[i]!.points[0]!).d / SHARED_TOLERANCE_MM); // starts within a tolerance count as equal
      const len = lineLength(lines[i]!);
      if (d < best || (d === best && len > longest)) { best = d; longest = len; pick = i; }
    }
    remaining.delete(pick);
    const line = lines[pick]!;
    let k = 0;
    let junction = -1;
    for (; k < line.points.length; k++) {
      const near = nearestOnTree(line.points[k]!);
      if (near.d > Math.max(SHARED_TOLERANCE_MM, 0.5 * line.radii[k]!, NODE_SPACING_MM)) break;
      junction = near.index;
    }
    if (k >= line.points.length - 1) continue; // nothing the tree does not have
    if (junction < 0) junction = nearestNode(line.points[0]!).index;
    const continued = branchNodes.find((b) => b.nodes[b.nodes.length - 1] === junction && !edges.some(([a]) => a === junction));
    const ids = chain(line.points.slice(k), line.radii.slice(k), junction);
    if (ids.length < 2) continue;
    if (continued) continued.nodes.push(...ids.slice(1));
    else branchNodes.push({ name: line.name ?? '', nodes: ids });
  }
  if (nodes.length < 2) throw new Error('the centrelines hold fewer than two points');

  // Split the trunk into the CS and the vein it continues as.
  const trunk = branchNodes[0]!.nodes;
  const arc = [0];
  for (let k = 1; k < trunk.length; k++) arc.push(arc[k - 1]! + dist(nodes[trunk[k]!]!, nodes[trunk[k - 1]!]!));
  const isJunction = (n: number): boolean => edges.filter(([a]) => a === n).length > 1;
  let split = trunk.findIndex((n, k) => k > 0 && k < trunk.length - 1 && isJunction(n));
  if (split < 0 || arc[split]! > CS_MAX_MM) split = arc.findIndex((a, k) => a >= CS_MAX_MM && k < trunk.length - 1);
  const branches: CentrelineFile['branches'] = [];
  if (split > 0) {
    branches.push({ name: 'coronary sinus', nodes: trunk.slice(0, split + 1), parentBranch: null });
    branches.push({ name: branchNodes[0]!.name, nodes: trunk.slice(split), parentBranch: 0 });
  } else {
    branches.push({ name: branchNodes[0]!.name || 'coronary sinus', nodes: trunk, parentBranch: null });
  }
  const owner = (node: number): number => {
    for (let b = branches.length - 1; b >= 0; b--) if (branches[b]!.nodes.includes(node)) return b;
    return 0;
  };
  for (const side of branchNodes.slice(1)) branches.push({ name: side.name, nodes: side.nodes, parentBranch: owner(side.nodes[0]!) });
  return { nodes, edges, root: 0, branches };
}
