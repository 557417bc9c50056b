// Which way a centreline file's lines run, and which end of the tree is the CS ostium. Files do
// not agree: VMTK writes every line from the source (the ostium) and, reversed, every line into it;
// 3D Slicer splits the tree at its bifurcations, one curve per stretch, usually in order from the
// ostium; a curve drawn by hand, or a file another tool re-saved, may run the other way or come in
// any order. The same veins must give the same tree whatever the file's order and directions,
// else the merge roots the tree at a leaf and grows a second tree backwards from it.
//
//   1. Every line starts at one point: that is the ostium (VMTK). Every line ends at one point:
//      reversed, likewise.
//   2. Otherwise the ostium is the free end (touching no other line) nearest the CS ostium
//      landmark when there is one; else the free end of the widest vessel: the CS at its ostium
//      is the widest vein of the tree, its tributaries' ends the narrowest.
//   3. From there, lines join the tree nearest first, each turned to start at its end nearer the
//      tree (a stretch split off at a bifurcation starts where its parent ends).

import { closestOnSegment, distance as dist } from './triangle-mesh.ts';

export interface CentrelineLine {
  points: [number, number, number][];
  radii: number[];
  name: string | null;
}

export interface OrientedLines {
  /** The root line first (it starts at the ostium), then each line in the order it joins the tree. */
  lines: CentrelineLine[];
  /** How the ostium was found, for the builder's record. */
  ostium: 'shared start' | 'shared end' | 'widest free end' | 'free end nearest the cs-ostium landmark' | 'single line' | 'single line, reversed (wider end)' | 'single line, from its end nearest the cs-ostium landmark';
}

/** Lines whose ends lie within this (mm) share them (VMTK's source point is written once per line, identically). */
const SHARED_END_MM = 2;
/** An end this close (mm, or half the local radius if larger) to another line touches it. */
const TOUCH_MM = 1;
/** A vessel's radius at an end: the mean over this length of the line (mm): one point's radius is noisy. */
const END_RADIUS_MM = 3;
/**
 * An end this much wider than another is the ostium's: a single line runs from it, and a point the
 * lines share is not the ostium when a far end is this much wider.
 */
const OSTIUM_WIDER = 1.25;

function reversed(l: CentrelineLine): CentrelineLine {
  return { points: [...l.points].reverse(), radii: [...l.radii].reverse(), name: l.name };
}

/** A line's length along its points (mm). */
export function lineLength(l: CentrelineLine): number {
  let s = 0;
  for (let k = 1; k < l.points.length; k++) s += dist(l.points[k]!, l.points[k - 1]!);
  return s;
}

/** Mean radius over the first END_RADIUS_MM of the line from its start (end = 0) or its end (end = 1). */
function endRadius(l: CentrelineLine, end: 0 | 1): number {
  const n = l.points.length;
  let sum = 0, count = 0, travelled = 0;
  for (let j = 0; j < n; j++) {
    const k = end === 0 ? j : n - 1 - j;
    if (j > 0) travelled += dist(l.points[k]!, l.points[end === 0 ? k - 1 : k + 1]!);
    if (j > 0 && travelled > END_RADIUS_MM) break;
    sum += l.radii[k]!;
    count++;
  }
  return sum / count;
}

/** Distance from p to the polyline. */
function toLine(p: readonly number[], l: CentrelineLine): number {
  const pts = l.points;
  let best = dist(p, pts[0]!);
  for (let k = 1; k < pts.length; k++) best = Math.min(best, closestOnSegment(p, pts[k - 1]!, pts[k]!).distance);
  return best;
}

const endPoint = (l: CentrelineLine, end: 0 | 1): [number, number, number] => (end === 0 ? l.points[0]! : l.points[l.points.length - 1]!);

/** `landmark`: the CS ostium where the user's landmarks put it (same frame and units as the lines). */
export function orientFromOstium(input: readonly CentrelineLine[], landmark?: readonly number[]): OrientedLines {
  if (input.length === 1) {
    const only = input[0]!;
    // One line: from its end nearest the landmark, or its wider end (the CS is wider at its ostium
    // than where it runs on as a vein).
    const turn = landmark ? dist(endPoint(only, 1), landmark) < dist(endPoint(only, 0), landmark) : endRadius(only, 1) > OSTIUM_WIDER * endRadius(only, 0);
    const ostium = landmark ? 'single line, from its end nearest the cs-ostium landmark' : turn ? 'single line, reversed (wider end)' : 'single line';
    return { lines: [turn ? reversed(only) : only], ostium };
  }
  const spread = (end: 0 | 1): number => Math.max(...input.map((l) => dist(endPoint(l, end), endPoint(input[0]!, end))));
  // The point the lines share is the ostium (VMTK) unless their other ends say otherwise: a tree
  // split at its only bifurcation, its trunk drawn toward the ostium, shares a start too. The
  // ostium is the landmark's nearest, or (without one) no narrower than the far ends.
  const sharedIsOstium = (end: 0 | 1): boolean => {
    const other = (1 - end) as 0 | 1;
    if (landmark) return input.every((l) => dist(endPoint(input[0]!, end), landmark) <= dist(endPoint(l, other), landmark));
    const shared = Math.max(...input.map((l) => endRadius(l, end)));
    return input.every((l) => OSTIUM_WIDER * shared >= endRadius(l, other));
  };
  if (spread(0) < SHARED_END_MM && sharedIsOstium(0)) return { lines: [...input], ostium: 'shared start' };
  if (spread(1) < SHARED_END_MM && sharedIsOstium(1)) return { lines: input.map(reversed), ostium: 'shared end' };

  // The ostium: the end that touches no other line nearest the landmark, or the widest (ties: the
  // file's order, starts first).
  let root: { line: number; end: 0 | 1; score: number } | null = null;
  for (let i = 0; i < input.length; i++) {
    for (const end of [0, 1] as const) {
      const p = endPoint(input[i]!, end);
      const radius = endRadius(input[i]!, end);
      const touch = Math.max(TOUCH_MM, 0.5 * radius);
      if (input.some((other, j) => j !== i && toLine(p, other) <= touch)) continue;
      const score = landmark ? -dist(p, landmark) : radius;
      if (!root || score > root.score) root = { line: i, end, score };
    }
  }
  // Every end touches another line (a loop, an anastomosis): keep the file's first line as it runs.
  root ??= { line: 0, end: 0, score: 0 };

  const first = input[root.line]!;
  const lines: CentrelineLine[] = [root.end === 0 ? first : reversed(first)];
  // Each remaining line's ends' distances to the tree so far, brought up to date as lines join.
  const remaining = input.map((l, i) => ({ l, i, d: [Infinity, Infinity] as [number, number], len: lineLength(l) })).filter((r) => r.i !== root!.line);
  const update = (joined: CentrelineLine): void => {
    for (const r of remaining) for (const end of [0, 1] as const) r.d[end] = Math.min(r.d[end], toLine(endPoint(r.l, end), joined));
  };
  update(lines[0]!);
  while (remaining.length > 0) {
    // Nearest first (within the touch distance counts as equal: then the longer line, then the file's order).
    let pick = 0;
    const key = (r: (typeof remaining)[number]): number => Math.max(TOUCH_MM, Math.min(r.d[0], r.d[1]));
    for (let k = 1; k < remaining.length; k++) {
      const a = remaining[k]!, b = remaining[pick]!;
      if (key(a) < key(b) || (key(a) === key(b) && (a.len > b.len || (a.len === b.len && a.i < b.i)))) pick = k;
    }
    const [r] = remaining.splice(pick, 1);
    const line = r!.d[1] < r!.d[0] ? reversed(r!.l) : r!.l;
    lines.push(line);
    update(line);
  }
  return { lines, ostium: landmark ? 'free end nearest the cs-ostium landmark' : 'widest free end' };
}
