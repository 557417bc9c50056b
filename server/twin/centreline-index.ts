// Spatial index over the vein centreline segments: a uniform grid answering "nearest centreline
// point to p" and "centreline points within r of p". Queries allocate nothing: results go into a
// caller-owned object, and segments seen twice in one query are skipped with a stamp array.

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

/** At most this many grid cells; the cell size grows until the grid fits. */
const MAX_CELLS = 1 << 18;

export class CentrelineIndex {
  readonly cellSizeMm: number;
  private readonly tree: VeinTree;
  private readonly originX: number;
  private readonly originY: number;
  private readonly originZ: number;
  private readonly nx: number;
  private readonly ny: number;
  private readonly nz: number;
  /** Per segment (indexed by child node): ax, ay, az, dx, dy, dz, 1/|d|². */
  private readonly seg: Float64Array;
  private readonly cellStart: Int32Array;
  private readonly cellSegments: Int32Array;
  private readonly stamp: Uint32Array;
  private query = 0;

  constructor(tree: VeinTree) {
    this.tree = tree;
    const n = tree.nodeCount;
    const pos = tree.positionsMm;
    this.seg = new Float64Array(7 * n);
    let minX = Infinity, minY = Infinity, minZ = Infinity, maxX = -Infinity, maxY = -Infinity, maxZ = -Infinity;
    const lengths: number[] = [];
    for (let c = 0; c < n; c++) {
      minX = Math.min(minX, pos[3 * c]!); maxX = Math.max(maxX, pos[3 * c]!);
      minY = Math.min(minY, pos[3 * c + 1]!); maxY = Math.max(maxY, pos[3 * c + 1]!);
      minZ = Math.min(minZ, pos[3 * c + 2]!); maxZ = Math.max(maxZ, pos[3 * c + 2]!);
      const p = tree.parent[c]!;
      if (p < 0) continue;
      const dx = pos[3 * c]! - pos[3 * p]!, dy = pos[3 * c + 1]! - pos[3 * p + 1]!, dz = pos[3 * c + 2]! - pos[3 * p + 2]!;
      const len2 = dx * dx + dy * dy + dz * dz;
      this.seg.set([pos[3 * p]!, pos[3 * p + 1]!, pos[3 * p + 2]!, dx, dy, dz, len2 > 0 ? 1 / len2 : 0], 7 * c);
      lengths.push(Math.sqrt(len2));
    }
    lengths.sort((a, b) => a - b);
    const median = lengths.length > 0 ? lengths[lengths.length >> 1]! : 1;
    // Cells about twice the typical segment: few segments per cell, few cells per segment.
    let h = Math.max(0.5, 2 * median);
    const margin = 1e-6;
    const ex = maxX - minX + 2 * margin, ey = maxY - minY + 2 * margin, ez = maxZ - minZ + 2 * margin;
    while (Math.ceil(ex / h) * Math.ceil(ey / h) * Math.ceil(ez / h) > MAX_CELLS) h *= 1.25;
    this.cellSizeMm = h;
    this.originX = minX - margin; this.originY = minY - margin; this.originZ = minZ - margin;
    this.nx = Math.max(1, Math.ceil(ex / h)); this.ny = Math.max(1, Math.ceil(ey / h)); this.nz = Math.max(1, Math.ceil(ez / h));

    // Two passes (count, then fill) into CSR arrays.
    const cellCount = this.nx * this.ny * this.nz;
    const counts = new Int32Array(cellCount + 1);
    this.forEachSegmentCell((cell) => { counts[cell + 1]!++; });
    for (let i = 0; i < cellCount; i++) counts[i + 1]! += counts[i]!;
    this.cellStart = counts;
    this.cellSegments = new Int32Array(counts[cellCount]!);
    const fill = counts.slice(0, cellCount);
    this.forEachSegmentCell((cell, c) => { this.cellSegments[fill[cell]!++] = c; });
    this.stamp = new Uint32Array(n);
  }

  private forEachSegmentCell(fn: (cell: number, segment: number) => void): void {
    const s = this.seg;
    for (let c = 0; c < this.tree.nodeCount; c++) {
      if (this.tree.parent[c]! < 0) continue;
      const o = 7 * c;
      const x0 = this.cellX(Math.min(s[o]!, s[o]! + s[o + 3]!)), x1 = this.cellX(Math.max(s[o]!, s[o]! + s[o + 3]!));
      const y0 = this.cellY(Math.min(s[o + 1]!, s[o + 1]! + s[o + 4]!)), y1 = this.cellY(Math.max(s[o + 1]!, s[o + 1]! + s[o + 4]!));
      const z0 = this.cellZ(Math.min(s[o + 2]!, s[o + 2]! + s[o + 5]!)), z1 = this.cellZ(Math.max(s[o + 2]!, s[o + 2]! + s[o + 5]!));
      for (let z = z0; z <= z1; z++) for (let y = y0; y <= y1; y++) for (let x = x0; x <= x1; x++) fn((z * this.ny + y) * this.nx + x, c);
    }
  }

  private cellX(x: number): number { return clampInt(Math.floor((x - this.originX) / this.cellSizeMm), this.nx); }
  private cellY(y: number): number { return clampInt(Math.floor((y - this.originY) / this.cellSizeMm), this.ny); }
  private cellZ(z: number): number { return clampInt(Math.floor((z - this.originZ) / this.cellSizeMm), this.nz); }

  private nextStamp(): number {
    this.query = (this.query + 1) >>> 0;
    if (this.query === 0) { this.stamp.fill(0); this.query = 1; }
    return this.query;
  }

  /** Squared distance from (x,y,z) to segment c, and its parameter t in `this.lastT`. */
  private lastT = 0;
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

  private fillPoint(out: CentrelinePoint, c: number, t: number, d2: number): void {
    const s = this.seg;
    const o = 7 * c;
    const tree = this.tree;
    const p = tree.parent[c]!;
    out.segment = c;
    out.t = t;
    out.distanceMm = Math.sqrt(d2);
    out.x = s[o]! + t * s[o + 3]!;
    out.y = s[o + 1]! + t * s[o + 4]!;
    out.z = s[o + 2]! + t * s[o + 5]!;
    out.arcLengthMm = tree.arcLengthMm[p]! + t * (tree.arcLengthMm[c]! - tree.arcLengthMm[p]!);
    out.radiusMm = tree.radiiMm[p]! + t * (tree.radiiMm[c]! - tree.radiiMm[p]!);
    out.branch = tree.segmentBranch[c]!;
  }

  /**
   * Nearest point on the centreline to (x,y,z). Searches rings of cells outward from the query's
   * cell and stops once no unvisited cell can hold anything closer (ring k is ≥ (k-1)·h away).
   * `branch` ≥ 0 restricts the search to that branch's segments.
   */
  nearest(x: number, y: number, z: number, out: CentrelinePoint, branch = -1): CentrelinePoint {
    out.segment = -1;
    out.distanceMm = Infinity;
    const stamp = this.nextStamp();
    const cx = this.cellX(x), cy = this.cellY(y), cz = this.cellZ(z);
    const h = this.cellSizeMm;
    const maxRing = Math.max(this.nx, this.ny, this.nz);
    let best2 = Infinity;
    let bestC = -1;
    let bestT = 0;
    for (let k = 0; k <= maxRing; k++) {
      const z0 = Math.max(0, cz - k), z1 = Math.min(this.nz - 1, cz + k);
      const y0 = Math.max(0, cy - k), y1 = Math.min(this.ny - 1, cy + k);
      for (let gz = z0; gz <= z1; gz++) {
        const zEdge = gz === cz - k || gz === cz + k;
        for (let gy = y0; gy <= y1; gy++) {
          const full = zEdge || gy === cy - k || gy === cy + k;
          const step = full || k === 0 ? 1 : 2 * k;
          for (let gx = cx - k; gx <= cx + k; gx += step) {
            if (gx < 0 || gx >= this.nx) continue;
            const cell = (gz * this.ny + gy) * this.nx + gx;
            for (let i = this.cellStart[cell]!, end = this.cellStart[cell + 1]!; i < end; i++) {
              const c = this.cellSegments[i]!;
              if (this.stamp[c] === stamp) continue;
              this.stamp[c] = stamp;
              if (branch >= 0 && this.tree.segmentBranch[c] !== branch) continue;
              const d2 = this.segmentDistance2(c, x, y, z);
              if (d2 < best2 || (d2 === best2 && c < bestC)) { best2 = d2; bestC = c; bestT = this.lastT; }
            }
          }
        }
      }
      const reach = k * h;
      if (bestC >= 0 && best2 <= reach * reach) break;
    }
    if (bestC >= 0) this.fillPoint(out, bestC, bestT, best2);
    return out;
  }

  /**
   * Calls `visit` once per segment with a point within `radiusMm` of (x,y,z): the segment's
   * closest point. `scratch` is reused for every call (copy what you keep). Returns the count.
   */
  forEachWithin(x: number, y: number, z: number, radiusMm: number, scratch: CentrelinePoint, visit: (point: CentrelinePoint) => void): number {
    const stamp = this.nextStamp();
    const r2 = radiusMm * radiusMm;
    const x0 = this.cellX(x - radiusMm), x1 = this.cellX(x + radiusMm);
    const y0 = this.cellY(y - radiusMm), y1 = this.cellY(y + radiusMm);
    const z0 = this.cellZ(z - radiusMm), z1 = this.cellZ(z + radiusMm);
    let count = 0;
    for (let gz = z0; gz <= z1; gz++) for (let gy = y0; gy <= y1; gy++) for (let gx = x0; gx <= x1; gx++) {
      const cell = (gz * this.ny + gy) * this.nx + gx;
      for (let i = this.cellStart[cell]!, end = this.cellStart[cell + 1]!; i < end; i++) {
        const c = this.cellSegments[i]!;
        if (this.stamp[c] === stamp) continue;
        this.stamp[c] = stamp;
        const d2 = this.segmentDistance2(c, x, y, z);
        if (d2 > r2) continue;
        this.fillPoint(scratch, c, this.lastT, d2);
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

function clampInt(v: number, n: number): number {
  return v < 0 ? 0 : v >= n ? n - 1 : v;
}
