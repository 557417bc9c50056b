// The reference the centreline index is checked and benchmarked against: every segment, no index.
// Written as a fair baseline (squared distances, no allocation in the loop).
import type { VeinTree } from '../../server/twin/vein-tree.ts';

/** Squared distance from (x,y,z) to segment c (parent[c] → c). */
export function segmentDistance2(tree: VeinTree, c: number, x: number, y: number, z: number): number {
  const p = tree.parent[c]!;
  const pos = tree.positionsMm;
  const ax = pos[3 * p]!, ay = pos[3 * p + 1]!, az = pos[3 * p + 2]!;
  const dx = pos[3 * c]! - ax, dy = pos[3 * c + 1]! - ay, dz = pos[3 * c + 2]! - az;
  const len2 = dx * dx + dy * dy + dz * dz;
  let t = len2 > 0 ? ((x - ax) * dx + (y - ay) * dy + (z - az) * dz) / len2 : 0;
  t = t < 0 ? 0 : t > 1 ? 1 : t;
  const ex = ax + t * dx - x, ey = ay + t * dy - y, ez = az + t * dz - z;
  return ex * ex + ey * ey + ez * ez;
}

export function segmentDistance(tree: VeinTree, c: number, x: number, y: number, z: number): number {
  return Math.sqrt(segmentDistance2(tree, c, x, y, z));
}

/** The nearest segment by scanning them all. */
export function bruteNearest(tree: VeinTree, x: number, y: number, z: number): { segment: number; d: number } {
  let best = -1;
  let best2 = Infinity;
  for (let c = 0; c < tree.nodeCount; c++) {
    if (tree.parent[c]! < 0) continue;
    const d2 = segmentDistance2(tree, c, x, y, z);
    if (d2 < best2) { best2 = d2; best = c; }
  }
  return { segment: best, d: Math.sqrt(best2) };
}
