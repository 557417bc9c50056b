// The responder probability at the tip: a site's own p when the tip is at a site; between sites of
// a branch, the features and p interpolated along arc length; with a twin model, the ONNX model run
// on the interpolated features: read from the twin's precomputed response map when it has one,
// else run per sample (one session per twin, one reused input tensor per procedure).

import type { Twin } from '../twin/twin.ts';

export type ResponseSource = 'site' | 'interpolated' | 'model';

export interface ResponseValue {
  p: number;
  source: ResponseSource;
}

/** Within this of a site, the site's own p is reported. */
export const AT_SITE_MM = 0.5;

export class ResponseEvaluator {
  private readonly features: Float32Array;
  private readonly runModel: (() => Promise<number>) | null;

  constructor(private readonly twin: Twin) {
    const runner = twin.model?.singleRow() ?? null;
    this.features = runner ? runner.features : new Float32Array(twin.sites.featureCount);
    this.runModel = runner ? runner.run : null;
  }

  get usesModel(): boolean {
    return this.runModel !== null;
  }

  /** bracket()'s answer: interpolate sites i → j by f (kept fields: a tuple per call was garbage per sample). */
  private i = 0;
  private j = 0;
  private f = 0;

  /**
   * Locate the tip among the branch's sites: sets i, j, f (interpolate sites i → j by f) and returns
   * true, or returns false when the branch has no sites. Beyond its first/last site: that site.
   */
  private bracket(branch: number, arcMm: number): boolean {
    const s = this.twin.sites;
    const list = s.byBranch[branch];
    if (!list || list.length === 0) return false;
    const first = list[0]!, last = list[list.length - 1]!;
    this.f = 0;
    if (arcMm <= s.arcLengthMm[first]!) { this.i = this.j = first; return true; }
    if (arcMm >= s.arcLengthMm[last]!) { this.i = this.j = last; return true; }
    let lo = 0, hi = list.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (s.arcLengthMm[list[mid]!]! <= arcMm) lo = mid;
      else hi = mid;
    }
    const i = list[lo]!, j = list[hi]!;
    const span = s.arcLengthMm[j]! - s.arcLengthMm[i]!;
    this.i = i; this.j = j;
    this.f = span > 0 ? (arcMm - s.arcLengthMm[i]!) / span : 0;
    return true;
  }

  /** Synchronous part: at a site or interpolated; `needsModel` when the model should refine it. */
  evaluateSync(branch: number, arcMm: number, out: ResponseValue): boolean {
    const s = this.twin.sites;
    if (!this.bracket(branch, arcMm)) {
      out.p = 0;
      out.source = 'interpolated';
      return false;
    }
    const i = this.i, j = this.j, f = this.f;
    if (Math.abs(s.arcLengthMm[i]! - arcMm) <= AT_SITE_MM || i === j) {
      const k = Math.abs(s.arcLengthMm[i]! - arcMm) <= Math.abs(s.arcLengthMm[j]! - arcMm) ? i : j;
      out.p = s.p[k]!;
      out.source = 'site';
      return false;
    }
    if (Math.abs(s.arcLengthMm[j]! - arcMm) <= AT_SITE_MM) {
      out.p = s.p[j]!;
      out.source = 'site';
      return false;
    }
    out.p = s.p[i]! + f * (s.p[j]! - s.p[i]!);
    out.source = 'interpolated';
    if (!this.runModel) return false;
    const mapped = this.twin.responseMap?.at(branch, arcMm) ?? Number.NaN;
    if (!Number.isNaN(mapped)) {
      // The model's own output, precomputed along the branch at load (no per-sample run).
      out.p = mapped;
      out.source = 'model';
      return false;
    }
    const n = s.featureCount;
    for (let k = 0; k < n; k++) this.features[k] = s.features[i * n + k]! + f * (s.features[j * n + k]! - s.features[i * n + k]!);
    return true;
  }

  /** Full evaluation, running the model on the interpolated features where the twin has one. */
  async evaluate(branch: number, arcMm: number, out: ResponseValue): Promise<ResponseValue> {
    if (!this.evaluateSync(branch, arcMm, out)) return out;
    return this.refineWithModel(out);
  }

  /** The twin's sites' QLV interpolated along the branch (NaN where the sites carry none or beyond them). */
  qlvAt(branch: number, arcMm: number): number {
    const s = this.twin.sites;
    if (!this.bracket(branch, arcMm)) return Number.NaN;
    const i = this.i, j = this.j, f = this.f;
    return s.qlvMs[i]! + f * (s.qlvMs[j]! - s.qlvMs[i]!);
  }

  /**
   * The twin's model re-run at a place with its electrical-delay feature set from a measured QLV
   * (ms): null when the twin has no model or no such feature. Never stored as the twin's p.
   */
  async withMeasuredQlv(branch: number, arcMm: number, qlvMs: number): Promise<number | null> {
    const feature = this.qlvFeature;
    if (!this.runModel || !feature) return null;
    if (!this.bracket(branch, arcMm)) return null;
    const i = this.i, j = this.j, f = this.f;
    const s = this.twin.sites, n = s.featureCount;
    for (let k = 0; k < n; k++) this.features[k] = s.features[i * n + k]! + f * (s.features[j * n + k]! - s.features[i * n + k]!);
    this.features[feature.index] = qlvMs * feature.scale;
    const p = await this.runModel();
    return Math.min(1, Math.max(0, p));
  }

  /**
   * Which feature is the electrical delay at the site, and its scale from ms: 'qlvMs' as it is;
   * 'qlvNorm' (QLV over the QRS duration) with the QRS taken from the sites that carry both.
   */
  private get qlvFeature(): { index: number; scale: number } | null {
    if (this.qlvFeatureCache !== undefined) return this.qlvFeatureCache;
    const names = this.twin.featureNames, s = this.twin.sites;
    let found: { index: number; scale: number } | null = null;
    const raw = names.indexOf('qlvMs');
    const norm = names.indexOf('qlvNorm');
    if (raw >= 0) found = { index: raw, scale: 1 };
    else if (norm >= 0) {
      const ratios: number[] = [];
      for (let i = 0; i < s.count; i++) {
        const q = s.qlvMs[i]!, v = s.features[i * s.featureCount + norm]!;
        if (Number.isFinite(q) && v > 1e-6) ratios.push(q / v);
      }
      ratios.sort((a, b) => a - b);
      const qrs = ratios[Math.floor(ratios.length / 2)];
      if (qrs !== undefined && qrs > 0) found = { index: norm, scale: 1 / qrs };
    }
    this.qlvFeatureCache = found;
    return found;
  }

  private qlvFeatureCache: { index: number; scale: number } | null | undefined = undefined;

  /** After evaluateSync returned true: run the model on the features it interpolated. */
  async refineWithModel(out: ResponseValue): Promise<ResponseValue> {
    const p = await this.runModel!();
    out.p = Math.min(1, Math.max(0, p));
    out.source = 'model';
    return out;
  }
}
