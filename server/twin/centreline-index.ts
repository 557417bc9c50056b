// Spatial index over the vein centreline segments: a bounding-volume hierarchy answering "nearest
// centreline point to p" and "centreline points within r of p". A BVH (rather than a uniform grid)
// keeps queries cheap for a tip far from every vein too (bad registration, a catheter in the RA).
// Queries allocate nothing: results go into a caller-owned object; the traversal stack is reused.

import type { VeinTree } from './vein-tree.ts';

/** Where a query point projects onto the centreline. `segment` is the child node of the edge. */
export interface CentrelinePoint {
  segment: number;
  /** 0 at the parent node, 1 at the child node. */
  t: number;
  distanceMm: number;
  x: number;
  y: number;
  z: number;
  arcLengthMm: number;
  radiusMm: number;
  branch: number;
}

export function newCentrelinePoint(): CentrelinePoint {
  return { segment: -1, t: 0, distanceMm: Infinity, x: 0, y: 0, z: 0, arcLengthMm: 0, radiusMm: 0, branch: -1 };
}

const LEAF_SIZE = 4;

export class CentrelineIndex {
  private readonly tree: VeinTree;
  /** Per segment slot (indexed by child node): ax, ay, az, dx, dy, dz, 1/|d|². */
  private readonly seg: Float64Array;
  /** Segment ids (child nodes) in BVH leaf order. */
  private readonly order: Int32Array;
  /** Per BVH node: minX, minY, minZ, maxX, maxY, maxZ. */
  private readonly bounds: Float64Array;
  /** Per BVH node: for an inner node [left, right] child indices; for a leaf [-1 - start, count]. */
  private readonly links: Int32Array;
  private readonly stack: Int32Array;
  private lastT = 0;
  readonly nodeCount: number;

  constructor(tree: VeinTree) {
    this.tree = tree;
    const n = tree.nodeCount;
    const pos = tree.positionsMm;
    this.seg = new Float64Array(7 * n);
    const ids: number[] = [];
    for (let c = 0; c < n; c++) {
      const p = tree.parent[c]!;
      if (p < 0) continue;
      const dx = pos[3 * c]! - pos[3 * p]!, dy = pos[3 * c + 1]! - pos[3 * p + 1]!, dz = pos[3 * c + 2]! - pos[3 * p + 2]!;
      const len2 = dx * dx + dy * dy + dz * dz;
      this.seg.set([pos[3 * p]!, pos[3 * p + 1]!, pos[3 * p + 2]!, dx, dy, dz, len2 > 0 ? 1 / len2 : 0], 7 * c);
      ids.push(c);
    }
    this.order = Int32Array.from(ids);
    const maxNodes = 2 * ids.length + 1; // a binary tree with ≥ 1 segment per leaf
    const bounds = new Float64Array(6 * maxNodes);
    const links = new Int32Array(2 * maxNodes);
    let used = 0;
    let depth = 0;
    // Top-down build (depth ~ log2(n / LEAF_SIZE)): split the centroid extent's longest axis at the median.
    const build = (start: number, end: number, level: number): number => {
      const node = used++;
      depth = Math.max(depth, level);
      let minX = Infinity, minY = Infinity, minZ = Infinity, maxX = -Infinity, maxY = -Infinity, maxZ = -Infinity;
      let cMinX = Infinity, cMinY = Infinity, cMinZ = Infinity, cMaxX = -Infinity, cMaxY = -Infinity, cMaxZ = -Infinity;
      for (let i = start; i < end; i++) {
        const o = 7 * this.order[i]!;
        const s = this.seg;
        const ax = s[o]!, ay = s[o + 1]!, az = s[o + 2]!, bx = ax + s[o + 3]!, by = ay + s[o + 4]!, bz = az + s[o + 5]!;
        minX = Math.min(minX, ax, bx); maxX = Math.max(maxX, ax, bx);
        minY = Math.min(minY, ay, by); maxY = Math.max(maxY, ay, by);
        minZ = Math.min(minZ, az, bz); maxZ = Math.max(maxZ, az, bz);
        const cx = (ax + bx) / 2, cy = (ay + by) / 2, cz = (az + bz) / 2;
        cMinX = Math.min(cMinX, cx); cMaxX = Math.max(cMaxX, cx);
        cMinY = Math.min(cMinY, cy); cMaxY = Math.max(cMaxY, cy);
        cMinZ = Math.min(cMinZ, cz); cMaxZ = Math.max(cMaxZ, cz);
      }
      bounds.set([minX, minY, minZ, maxX, maxY, maxZ], 6 * node);
      if (end - start <= LEAF_SIZE) {
        links[2 * node] = -1 - start;
        links[2 * node + 1] = end - start;
        return node;
      }
      const ex = cMaxX - cMinX, ey = cMaxY - cMinY, ez = cMaxZ - cMinZ;
      const axis = ex >= ey && ex >= ez ? 0 : ey >= ez ? 1 : 2;
      const slice = Array.from(this.order.subarray(start, end));
      const centre = (c: number): number => this.seg[7 * c + axis]! + this.seg[7 * c + 3 + axis]! / 2;
      slice.sort((a, b) => centre(a) - centre(b) || a - b);
      this.order.set(slice, start);
      const mid = (start + end) >> 1;
      const left = build(start, mid, level + 1);
      const right = build(mid, end, level + 1);
      links[2 * node] = left;
      links[2 * node + 1] = right;
      return node;
    };
    if (ids.length > 0) build(0, ids.length, 1);
    this.nodeCount = used;
    this.bounds = bounds.slice(0, 6 * used);
    this.links = links.slice(0, 2 * used);
    this.stack = new Int32Array(2 * depth + 8);
  }

  /** Squared distance from (x,y,z) to segment c; its parameter t is left in `this.lastT`. */
  private segmentDistance2(c: number, x: number, y: number, z: number): number {
    const s = this.seg;
    const o = 7 * c;
    const ax = s[o]!, ay = s[o + 1]!, az = s[o + 2]!, dx = s[o + 3]!, dy = s[o + 4]!, dz = s[o + 5]!;
    let t = ((x - ax) * dx + (y - ay) * dy + (z - az) * dz) * s[o + 6]!;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    this.lastT = t;
    const ex = ax + t * dx - x, ey = ay + t * dy - y, ez = az + t * dz - z;
    return ex * ex + ey * ey + ez * ez;
  }

  /** Squared distance from (x,y,z) to BVH node k's box (0 inside). */
  private boxDistance2(k: number, x: number, y: number, z: number): number {
    const b = this.bounds;
    const o = 6 * k;
    const dx = x < b[o]! ? b[o]! - x : x > b[o + 3]! ? x - b[o + 3]! : 0;
    const dy = y < b[o + 1]! ? b[o + 1]! - y : y > b[o + 4]! ? y - b[o + 4]! : 0;
    const dz = z < b[o + 2]! ? b[o + 2]! - z : z > b[o + 5]! ? z - b[o + 5]! : 0;
    return dx * dx + dy * dy + dz * dz;
  }

  /**
   * The point at parameter `out.t` on segment c (its distance already in `out.distanceMm`). The two
   * numbers travel in `out`'s own fields: passed as arguments to this call, which is not inlined,
   * each was a 16-byte heap number, once per candidate segment (~0.5 KB a sample).
   */
  private fillPoint(out: CentrelinePoint, c: number): void {
    const s = this.seg;
    const o = 7 * c;
    const tree = this.tree;
    const p = tree.parent[c]!;
    const t = out.t;
    out.segment = c;
    out.x = s[o]! + t * s[o + 3]!;
    out.y = s[o + 1]! + t * s[o + 4]!;
    out.z = s[o + 2]! + t * s[o + 5]!;
    out.arcLengthMm = tree.arcLengthMm[p]! + t * (tree.arcLengthMm[c]! - tree.arcLengthMm[p]!);
    out.radiusMm = tree.radiiMm[p]! + t * (tree.radiiMm[c]! - tree.radiiMm[p]!);
    out.branch = tree.segmentBranch[c]!;
  }

  /**
   * Nearest point on the centreline to (x,y,z): depth-first, nearer child first, pruning boxes
   * farther than the best so far. Ties go to the lower segment id, so results are reproducible.
   * `branch` ≥ 0 restricts the search to that branch's segments.
   */
  nearest(x: number, y: number, z: number, out: CentrelinePoint, branch = -1): CentrelinePoint {
    out.segment = -1;
    out.distanceMm = Infinity;
    if (this.nodeCount === 0) return out;
    const stack = this.stack;
    const links = this.links;
    const segmentBranch = this.tree.segmentBranch;
    let top = 0;
    stack[top++] = 0;
    let best2 = Infinity;
    let bestC = -1;
    let bestT = 0;
    while (top > 0) {
      const k = stack[--top]!;
      if (this.boxDistance2(k, x, y, z) > best2) continue;
      const a = links[2 * k]!;
      if (a < 0) {
        const start = -1 - a;
        const end = start + links[2 * k + 1]!;
        for (let i = start; i < end; i++) {
          const c = this.order[i]!;
          if (branch >= 0 && segmentBranch[c] !== branch) continue;
          const d2 = this.segmentDistance2(c, x, y, z);
          if (d2 < best2 || (d2 === best2 && c < bestC)) { best2 = d2; bestC = c; bestT = this.lastT; }
        }
        continue;
      }
      const b = links[2 * k + 1]!;
      const da = this.boxDistance2(a, x, y, z);
      const db = this.boxDistance2(b, x, y, z);
      // Push the farther child first so the nearer one is searched first.
      if (da <= db) {
        if (db <= best2) stack[top++] = b;
        if (da <= best2) stack[top++] = a;
      } else {
        if (da <= best2) stack[top++] = a;
        if (db <= best2) stack[top++] = b;
      }
    }
    if (bestC >= 0) {
      out.t = bestT;
      out.distanceMm = Math.sqrt(best2);
      this.fillPoint(out, bestC);
    }
    return out;
  }

  /**
   * Calls `visit` once per segment with a point within `radiusMm` of (x,y,z), with that segment's
   * closest point. `scratch` is reused for every call (copy what you keep). Returns the count.
   */
  forEachWithin(x: number, y: number, z: number, radiusMm: number, scratch: CentrelinePoint, visit: (point: CentrelinePoint) => void): number {
    if (this.nodeCount === 0) return 0;
    const r2 = radiusMm * radiusMm;
    const stack = this.stack;
    const links = this.links;
    let top = 0;
    let count = 0;
    stack[top++] = 0;
    while (top > 0) {
      const k = stack[--top]!;
      if (this.boxDistance2(k, x, y, z) > r2) continue;
      const a = links[2 * k]!;
      if (a >= 0) {
        stack[top++] = links[2 * k + 1]!;
        stack[top++] = a;
        continue;
      }
      const start = -1 - a;
      const end = start + links[2 * k + 1]!;
      for (let i = start; i < end; i++) {
        const c = this.order[i]!;
        const d2 = this.segmentDistance2(c, x, y, z);
        if (d2 > r2) continue;
        scratch.t = this.lastT;
        scratch.distanceMm = Math.sqrt(d2);
        this.fillPoint(scratch, c);
        visit(scratch);
        count++;
      }
    }
    return count;
  }

  /** Convenience form of forEachWithin that allocates: every segment within r, nearest first. */
  within(x: number, y: number, z: number, radiusMm: number): CentrelinePoint[] {
    const hits: CentrelinePoint[] = [];
    this.forEachWithin(x, y, z, radiusMm, newCentrelinePoint(), (p) => hits.push({ ...p }));
    return hits.sort((a, b) => a.distanceMm - b.distanceMm || a.segment - b.segment);
  }
}
