// The model's responder probability precomputed along each branch: features interpolated between a
// branch's sites every STEP_MM, run through the ONNX model in one batch when the twin loads, so the
// live pipeline reads p synchronously (linear between grid points) instead of awaiting a model run
// per sample, whose thread hop put milliseconds on the latency tail.

import type { ResponseModel } from './response-model.ts';
import type { SiteTable } from './site-table.ts';

/** Grid spacing along a branch; the model is smooth at this scale (≪ 1e-3 change in p). */
export const STEP_MM = 0.25;
/** At most this many grid rows per twin (a 4 m vein tree at STEP_MM); beyond it, no map. */
export const MAX_ROWS = 16_000;

export interface BranchMap {
  /** Arc length of the first grid point (the branch's first site). */
  startMm: number;
  p: Float32Array;
}

export class ResponseMap {
  private constructor(private readonly branches: (BranchMap | null)[]) {}

  /** Builds the map with one model run; null when the tree is too long for MAX_ROWS. */
  static async build(sites: SiteTable, model: ResponseModel): Promise<ResponseMap | null> {
    const n = sites.featureCount;
    const plan = sites.byBranch.map((list) => {
      if (!list || list.length < 2) return null;
      const startMm = sites.arcLengthMm[list[0]!]!;
      const rows = Math.floor((sites.arcLengthMm[list[list.length - 1]!]! - startMm) / STEP_MM) + 2;
      return { list, startMm, rows };
    });
    const total = plan.reduce((sum, b) => sum + (b?.rows ?? 0), 0);
    if (total === 0 || total > MAX_ROWS) return null;
    const features = new Float32Array(total * n);
    let row = 0;
    for (const b of plan) {
      if (!b) continue;
      let k = 0; // the site interval [list[k], list[k+1]] holding the grid point
      for (let g = 0; g < b.rows; g++, row++) {
        const arc = b.startMm + g * STEP_MM;
        while (k < b.list.length - 2 && sites.arcLengthMm[b.list[k + 1]!]! < arc) k++;
        const i = b.list[k]!, j = b.list[k + 1]!;
        const span = sites.arcLengthMm[j]! - sites.arcLengthMm[i]!;
        const f = span > 0 ? Math.min(1, Math.max(0, (arc - sites.arcLengthMm[i]!) / span)) : 0;
        for (let c = 0; c < n; c++) features[row * n + c] = sites.features[i * n + c]! + f * (sites.features[j * n + c]! - sites.features[i * n + c]!);
      }
    }
    const p = await model.evaluate(features, total);
    let offset = 0;
    return new ResponseMap(plan.map((b) => {
      if (!b) return null;
      const slice = p.slice(offset, offset + b.rows);
      offset += b.rows;
      return { startMm: b.startMm, p: slice };
    }));
  }

  /** p at an arc length on a branch (clamped to the grid), or NaN when the branch has no map. */
  at(branch: number, arcMm: number): number {
    const b = this.branches[branch];
    if (!b) return Number.NaN;
    const x = Math.min(Math.max((arcMm - b.startMm) / STEP_MM, 0), b.p.length - 1);
    const g = Math.min(Math.floor(x), b.p.length - 2);
    const f = x - g;
    return Math.min(1, Math.max(0, b.p[g]! + f * (b.p[g + 1]! - b.p[g]!)));
  }

  get rows(): number {
    return this.branches.reduce((sum, b) => sum + (b?.p.length ?? 0), 0);
  }
}
