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
import { parseCentrelineFile, type CentrelineFile } from './real-vein-tree.ts';
import type { PatientFrame, Units } from './surface-files.ts';
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
}

export interface CentrelineInput {
  tree: CentrelineFile;
  /** What the file was, for meta.builder. */
  format: 'twinguide-json' | 'vmtk-polylines' | 'slicer-markups';
  lines: number;
  /** Nodes are in the surfaces' frame already (VMTK, Slicer), not a tree from another body. */
  sameFrame: boolean;
}

interface Line { points: [number, number, number][]; radii: number[]; name: string | null }

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
      const declared = /SPACE\s*=\s*(RAS|LPS)\b/.exec(bytes.subarray(0, 4096).toString('latin1'))?.[1] as PatientFrame | undefined;
      const lines = polylines(poly, declared ?? options.frame ?? 'LPS', scale);
      return { tree: mergeLines(withNames(lines, names)), format: 'vmtk-polylines', lines: lines.length, sameFrame: true };
    }
    const json = JSON.parse(bytes.toString('utf8')) as Record<string, unknown>;
    if (Array.isArray(json['markups'])) {
      const lines = markupCurves(json['markups'], options.frame, scale);
      return { tree: mergeLines(withNames(lines, names)), format: 'slicer-markups', lines: lines.length, sameFrame: true };
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

const dist = (a: readonly number[], b: readonly number[]): number => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);

/**
 * One tree from lines that may repeat each other's proximal stretch. The root is the end the
 * lines share (VMTK's source seed); the longest line is the trunk, split at its first junction
 * into the coronary sinus and the vein it continues as.
 */
export function mergeLines(input: Line[]): CentrelineFile {
  let lines = input;
  // Root: the end the lines have in common. VMTK runs source → targets; other tools may not.
  if (lines.length > 1) {
    const spread = (pick: (l: Line) => [number, number, number]): number => Math.max(...lines.map((l) => dist(pick(l), pick(lines[0]!))));
    const starts = spread((l) => l.points[0]!);
    const ends = spread((l) => l.points[l.points.length - 1]!);
    if (ends < starts) lines = lines.map((l) => ({ points: [...l.points].reverse(), radii: [...l.radii].reverse(), name: l.name }));
  }
  const order = lines.map((l, i) => ({ i, length: l.points.reduce((a, p, k) => a + (k > 0 ? dist(p, l.points[k - 1]!) : 0), 0) })).sort((a, b) => b.length - a.length || a.i - b.i);

  const nodes: [number, number, number, number][] = [];
  const edges: [number, number][] = [];
  const branches: CentrelineFile['branches'] = [];
  const nearestNode = (p: readonly number[]): { index: number; d: number } => {
    let index = -1, d = Infinity;
    for (let i = 0; i < nodes.length; i++) {
      const di = dist(p, nodes[i]!);
      if (di < d) { d = di; index = i; }
    }
    return { index, d };
  };
  /** Append a resampled polyline after `from` (a node index, or null for the root). */
  const chain = (points: [number, number, number][], radii: number[], from: number | null): number[] => {
    const ids: number[] = from === null ? [] : [from];
    let last = from === null ? null : nodes[from]!;
    let travelled = 0;
    for (let k = 0; k < points.length; k++) {
      const p = points[k]!;
      if (last) travelled += dist(p, last.slice(0, 3));
      const isEnd = k === points.length - 1;
      if (last && travelled < NODE_SPACING_MM && !isEnd) { last = [...p, radii[k]!] as [number, number, number, number]; continue; }
      const index = nodes.length;
      nodes.push([p[0], p[1], p[2], radii[k]!]);
      const parent = ids[ids.length - 1];
      if (parent !== undefined) edges.push([parent, index]);
      ids.push(index);
      last = nodes[index]!;
      travelled = 0;
    }
    return ids;
  };

  const trunkLine = lines[order[0]!.i]!;
  const trunk = chain(trunkLine.points, trunkLine.radii, null);
  const trunkBranch = { name: trunkLine.name ?? '', nodes: trunk, lineIndex: order[0]!.i };
  const sideBranches: { name: string; nodes: number[]; junction: number; lineIndex: number }[] = [];
  for (const { i } of order.slice(1)) {
    const line = lines[i]!;
    let k = 0;
    let junction = -1;
    for (; k < line.points.length; k++) {
      const near = nearestNode(line.points[k]!);
      if (near.d > Math.max(SHARED_TOLERANCE_MM, 0.5 * line.radii[k]!, NODE_SPACING_MM)) break;
      junction = near.index;
    }
    if (k >= line.points.length - 1) continue; // the line adds nothing the tree does not have
    if (junction < 0) junction = nearestNode(line.points[0]!).index; // starts off the tree (Slicer's split curves): join the nearest node
    const ids = chain(line.points.slice(k), line.radii.slice(k), junction);
    if (ids.length >= 2) sideBranches.push({ name: line.name ?? '', nodes: ids, junction, lineIndex: i });
  }

  // The CS runs from the ostium to the trunk's first junction; the trunk continues beyond it.
  const position = new Map(trunk.map((n, k) => [n, k]));
  const junctions = sideBranches.map((b) => position.get(b.junction)).filter((k): k is number => k !== undefined && k > 0 && k < trunk.length - 1);
  const split = junctions.length > 0 ? Math.min(...junctions) : -1;
  if (split > 0) {
    branches.push({ name: 'coronary sinus', nodes: trunk.slice(0, split + 1), parentBranch: null });
    branches.push({ name: trunkBranch.name, nodes: trunk.slice(split), parentBranch: 0 });
  } else {
    branches.push({ name: trunkBranch.name || 'coronary sinus', nodes: trunk, parentBranch: null });
  }
  const branchOf = (node: number): number => {
    for (let b = branches.length - 1; b >= 0; b--) if (branches[b]!.nodes.indexOf(node) > 0 || (b === 0 && branches[0]!.nodes.includes(node))) return b;
    return 0;
  };
  for (const side of sideBranches) branches.push({ name: side.name, nodes: side.nodes, parentBranch: branchOf(side.junction) });
  if (nodes.length < 2) throw new Error('the centrelines hold fewer than two points');
  return { nodes, edges, root: 0, branches };
}
