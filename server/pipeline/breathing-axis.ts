// Which way breathing moves the heart, learnt from the procedure itself. The filter starts from
// head to foot (the heart rides on the diaphragm), but a patient's heart also moves
// antero-posteriorly and sideways with each breath, by an amount of their own: held to an assumed
// axis, the breath is taken out along the wrong line, and along the vein the error is unseen.
//
// What is seen is the measurement across the tracker's vessel: there the lead sits on the
// centreline (at the reference phase), so the across offset is the heart's motion projected on the
// plane across the vessel. Averaged over one heartbeat (the beat's own motion falls away) and
// differenced from one beat to the next (the lead's fixed offset from the centreline falls away),
// what is left is the breath's change r_t along the axis, projected: Δe_t = P_t w r_t, with
// P_t = I − v vᵀ across the vessel v and w the axis (times a scale). Breathing moving the heart
// along one line is what ties the vessels together: a vessel along x shows w's y and z parts, one
// along y its x and z, and the shared z puts them on one scale and one sign. w and the r_t are
// found by alternating least squares over the last few minutes of beats (r_t given w, then w given
// the r_t), with a weak prior toward the assumed axis for what no vessel has shown yet. Pure: all
// time comes from the samples. Used for EAM (in millimetres); a fluoroscopic view's filter keeps
// its assumed axis (learnt in pixels per view, it made gated biplane p95 1.49 → 2.49 mm on
// training seeds: README, "Guidance accuracy").

/** Beats are averaged one at a time (s bounds: a block never spans less or more than this). */
const BLOCK_MIN_S = 0.4;
const BLOCK_MAX_S = 1.7;
/** A block is used only when this share of its samples had a vessel (the heart's motion averages out over whole beats only). */
const LEAST_COVERAGE = 0.7;
/** Consecutive blocks are differenced only along one vessel (cos of the largest turn between them). */
const SAME_VESSEL_COS = Math.cos((20 * Math.PI) / 180);
/** Blocks further apart than this are not differenced (a gap, a junction, a lost track). */
const ADJACENT_S = 2;
/** Beat-to-beat differences kept (a few minutes of beats), and how fast their weight fades (s). */
const KEPT = 256;
const MEMORY_S = 180;
/** Alternations per solve, one per sample (from the axis before: it moves little between solves). */
const ITERATIONS = 8;
/** A beat whose vessel runs within this of the axis says little of r_t (1 − cos² of the angle). */
const LEAST_ACROSS = 0.05;
/**
 * The prior: the axis's parts off the assumed one weigh as much as this many beats of the mean
 * breath's change; it holds the directions no vessel has shown yet. The axis is first worked out
 * after LEAST_BLOCKS differences. Chosen on training seeds 1–4 (EAM, demo twin, `standard`,
 * `physiological`, `variable-breathing` and `push-pause`, with the simulator's breathing and with
 * breathing turned 36° from head-to-foot): a prior of 12 beats and 25 differences learnt the axis
 * only 30–90 s into a run (an earlier estimator; turned `physiological` p95 4.52 mm); 4 and 5
 * within ~15 s (4.23 mm); 1 and 5 4.12 mm; 0.5, and 3 differences, within 0.1 mm of that.
 */
const PRIOR_BLOCKS = 1;
const LEAST_BLOCKS = 5;
/** The axis is worked out this often (s). */
const SOLVE_EVERY_S = 2;


export class BreathingAxis {
  /** The axis now: unit, in the measurement space, pointing as the prior does. */
  readonly axis: Float64Array;
  private readonly d: number;
  private readonly prior: Float64Array;
  private blockStart = Number.NaN;
  private blockN = 0;
  /** Samples in the block, with a vessel or not. */
  private blockAll = 0;
  private readonly sumAcross: Float64Array;
  private readonly sumAlong: Float64Array;
  private previousEnd = Number.NaN;
  private readonly previousAcross: Float64Array;
  private readonly previousAlong: Float64Array;
  /** The kept differences, a ring: time, Δe (d) and the vessel (d) of each. */
  private readonly keptT = new Float64Array(KEPT);
  private readonly keptE: Float64Array;
  private readonly keptV: Float64Array;
  private keptStart = 0;
  private keptCount = 0;
  private nextSolveT = Number.NaN;
  // Scratch.
  private readonly vessel: Float64Array;
  private readonly difference: Float64Array;
  private readonly M: Float64Array;
  private readonly w: Float64Array;

  /** `prior`: the assumed axis (2 or 3 dimensions; any length). */
  constructor(prior: ArrayLike<number>) {
    const d = (this.d = prior.length);
    this.axis = new Float64Array(d);
    this.prior = new Float64Array(d);
    this.sumAcross = new Float64Array(d);
    this.sumAlong = new Float64Array(d);
    this.previousAcross = new Float64Array(d);
    this.previousAlong = new Float64Array(d);
    this.keptE = new Float64Array(KEPT * d);
    this.keptV = new Float64Array(KEPT * d);
    this.vessel = new Float64Array(d);
    this.difference = new Float64Array(d);
    this.M = new Float64Array(d * (d + 1));
    this.w = new Float64Array(d);
    let norm = 0;
    for (let a = 0; a < d; a++) norm += prior[a]! ** 2;
    norm = Math.sqrt(norm) || 1;
    for (let a = 0; a < d; a++) { this.prior[a] = prior[a]! / norm; this.axis[a] = this.prior[a]!; }
  }

  /**
   * One sample's offset across the tracker's vessel (measurement less the centreline point and the
   * heart's fitted beat, its along part removed), the vessel's direction there, and the heart's
   * period now (s). Returns whether the axis changed.
   */
  add(t: number, across: ArrayLike<number>, along: ArrayLike<number>, beatS: number): boolean {
    const d = this.d;
    if (Number.isNaN(this.blockStart)) this.blockStart = t;
    this.blockAll++;
    // Along directions keep one sense within a block (a direction and its opposite are one vessel).
    let dot = 0;
    for (let a = 0; a < d; a++) dot += this.sumAlong[a]! * along[a]!;
    const sense = dot < 0 ? -1 : 1;
    for (let a = 0; a < d; a++) { this.sumAcross[a]! += across[a]!; this.sumAlong[a]! += sense * along[a]!; }
    this.blockN++;
    return this.advance(t, beatS);
  }

  /** A sample without a vessel: it counts against the block's coverage. */
  miss(t: number, beatS: number): boolean {
    if (Number.isNaN(this.blockStart)) return this.iteration >= 0 && this.alternate();
    this.blockAll++;
    return this.advance(t, beatS);
  }

  private advance(t: number, beatS: number): boolean {
    // A solve under way takes one alternation per sample (no sample pays for a whole solve).
    const solved = this.iteration >= 0 && this.alternate();
    const length = Math.min(BLOCK_MAX_S, Math.max(BLOCK_MIN_S, beatS));
    if (t - this.blockStart < length) return solved;
    if (this.blockN < LEAST_COVERAGE * this.blockAll) {
      // Too little of the beat was seen: its mean keeps some of the beat. Not differenced.
      this.resetBlock();
      this.previousEnd = Number.NaN;
      return solved;
    }
    this.closeBlock(t);
    if (Number.isNaN(this.nextSolveT)) this.nextSolveT = t + SOLVE_EVERY_S;
    if (t >= this.nextSolveT && this.iteration < 0) {
      this.nextSolveT = t + SOLVE_EVERY_S;
      this.startSolve(t);
    }
    return solved;
  }

  private resetBlock(): void {
    this.blockStart = Number.NaN;
    this.blockN = 0;
    this.blockAll = 0;
    this.sumAcross.fill(0);
    this.sumAlong.fill(0);
  }

  private closeBlock(t: number): void {
    const d = this.d, n = this.blockN, across = this.sumAcross, along = this.sumAlong, prev = this.previousAlong;
    let norm = 0;
    for (let a = 0; a < d; a++) norm += along[a]! ** 2;
    norm = Math.sqrt(norm);
    if (!(norm > 0)) { this.resetBlock(); return; }
    let dot = 0;
    for (let a = 0; a < d; a++) { across[a]! /= n; along[a]! /= norm; dot += prev[a]! * along[a]!; }
    if (!Number.isNaN(this.previousEnd) && t - this.previousEnd <= ADJACENT_S && Math.abs(dot) >= SAME_VESSEL_COS) {
      // The vessel between the two blocks: their mean direction (in one sense). Both offsets are
      // across their own vessel; the difference is taken across the mean one.
      const sense = dot < 0 ? -1 : 1, v = this.vessel, diff = this.difference;
      let vv = 0, dv = 0;
      for (let a = 0; a < d; a++) { v[a] = prev[a]! + sense * along[a]!; vv += v[a]! ** 2; }
      const vl = Math.sqrt(vv);
      for (let a = 0; a < d; a++) { v[a]! /= vl; diff[a] = across[a]! - this.previousAcross[a]!; dv += diff[a]! * v[a]!; }
      for (let a = 0; a < d; a++) diff[a]! -= dv * v[a]!;
      this.addDifference(diff, v, t);
    }
    this.previousEnd = t;
    for (let a = 0; a < d; a++) { this.previousAcross[a] = across[a]!; this.previousAlong[a] = along[a]!; }
    this.resetBlock();
  }

  /** One difference Δe across unit vessel v, kept (the oldest goes once the ring is full). */
  private addDifference(diff: Float64Array, v: Float64Array, t: number): void {
    const d = this.d, at = (this.keptStart + this.keptCount) % KEPT;
    this.keptT[at] = t;
    for (let a = 0; a < d; a++) { this.keptE[at * d + a] = diff[a]!; this.keptV[at * d + a] = v[a]!; }
    if (this.keptCount < KEPT) this.keptCount++;
    else this.keptStart = (this.keptStart + 1) % KEPT;
  }

  /** The solve under way: the alternation next (−1: none), and the time its weights are taken at. */
  private iteration = -1;
  private solveT = 0;
  /** Each kept difference's weight in the solve under way, and the time of the difference it was taken for. */
  private readonly weight = new Float64Array(KEPT);
  private readonly weightT = new Float64Array(KEPT).fill(Number.NaN);

  /** Slot i's weight at the solve's time: how recent its difference is (worked out once per solve and difference). */
  private weightOf(i: number): number {
    if (this.weightT[i] !== this.keptT[i]) {
      this.weight[i] = Math.exp(-(this.solveT - this.keptT[i]!) / MEMORY_S);
      this.weightT[i] = this.keptT[i]!;
    }
    return this.weight[i]!;
  }

  /** Starts a solve (w and the r_t by alternating least squares) from the axis now, if there is evidence enough. */
  private startSolve(now: number): void {
    this.solveT = now;
    this.weightT.fill(Number.NaN);
    // The differences kept, weighted by how recent: the data's share against the prior.
    let evidence = 0;
    for (let k = 0; k < this.keptCount; k++) evidence += this.weightOf((this.keptStart + k) % KEPT);
    if (evidence < LEAST_BLOCKS) return;
    for (let a = 0; a < this.d; a++) this.w[a] = this.axis[a]!;
    this.iteration = 0;
  }

  /** One alternation: r_t given w, then w given the r_t. After the last, the axis is w's direction (true). */
  private alternate(): boolean {
    const d = this.d, M = this.M, w = this.w, u0 = this.prior, e = this.keptE, V = this.keptV;
    // Normal equations of w: (Σ c r² P + μ P0) w = Σ c r Δe, P0 = I − u0 u0ᵀ the prior's.
    M.fill(0);
    let ww = 0;
    for (let a = 0; a < d; a++) ww += w[a]! ** 2;
    let weight = 0, rr = 0;
    for (let k = 0; k < this.keptCount; k++) {
      const i = (this.keptStart + k) % KEPT, o = i * d;
      let wv = 0, we = 0;
      for (let a = 0; a < d; a++) { wv += w[a]! * V[o + a]!; we += w[a]! * e[o + a]!; }
      // r given w: Δe's part along w's image across the vessel, P w (Δe is across already).
      const across = ww - wv * wv;
      if (!(across > LEAST_ACROSS * ww)) continue;
      const r = we / across, c = this.weightOf(i);
      const cr = c * r, crr = cr * r;
      weight += c;
      rr += crr;
      for (let a = 0; a < d; a++) {
        const row = a * (d + 1), va = V[o + a]!;
        for (let b = 0; b < d; b++) M[row + b]! += crr * ((a === b ? 1 : 0) - va * V[o + b]!);
        M[row + d]! += cr * e[o + a]!;
      }
    }
    let ok = weight > 0 && rr > 0;
    if (ok) {
      const mu = PRIOR_BLOCKS * (rr / weight);
      for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) M[a * (d + 1) + b]! += mu * ((a === b ? 1 : 0) - u0[a]! * u0[b]!) + (a === b ? 1e-9 * rr : 0);
      ok = solveInPlace(M, d, w);
    }
    let norm = 0, sense = 0;
    for (let a = 0; a < d; a++) { norm += w[a]! ** 2; sense += w[a]! * u0[a]!; }
    norm = Math.sqrt(norm);
    if (!ok || !(norm > 0)) { this.iteration = -1; return false; }
    if (++this.iteration < ITERATIONS) return false;
    this.iteration = -1;
    for (let a = 0; a < d; a++) this.axis[a] = ((sense < 0 ? -1 : 1) * w[a]!) / norm;
    return true;
  }
}

/** Gauss–Jordan with partial pivoting on an n × (n+1) augmented matrix; the solution into out. */
function solveInPlace(M: Float64Array, n: number, out: Float64Array): boolean {
  const w = n + 1;
  for (let c = 0; c < n; c++) {
    let pivot = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(M[r * w + c]!) > Math.abs(M[pivot * w + c]!)) pivot = r;
    if (!(Math.abs(M[pivot * w + c]!) > 1e-12)) return false;
    if (pivot !== c) for (let k = 0; k < w; k++) { const tmp = M[c * w + k]!; M[c * w + k] = M[pivot * w + k]!; M[pivot * w + k] = tmp; }
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = M[r * w + c]! / M[c * w + c]!;
      if (f === 0) continue;
      for (let k = c; k < w; k++) M[r * w + k]! -= f * M[c * w + k]!;
    }
  }
  for (let r = 0; r < n; r++) out[r] = M[r * w + n]! / M[r * w + r]!;
  return true;
}
