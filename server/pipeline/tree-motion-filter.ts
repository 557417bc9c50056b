// The catheter lives on the vein tree; the heart moves it around. With the tree known, the measured
// tip (twin frame, registered, not yet compensated) is modelled as
//   y(t) = c(s(t)) + d₀ + H(t) + noise
// where c(s) is the centreline point at arc length s along the tracked branch's root path, s and ṡ
// a one-dimensional catheter (constant velocity, acceleration noise), H(t) cardiac (two harmonics)
// and respiratory motion per axis with drifting amplitudes, and d₀ the offset between the heart's
// mean and its reference phase (the twin is end-diastole, end-expiration), tied to H by the
// pseudo-measurement d₀ + H(φ_ref) = 0. Whatever moves the tip off the centreline must be heart
// motion, which is what makes catheter and heart separable. An extended Kalman filter (the tree's
// tangent linearises c) estimates all of it; the tip is c(s), at the reference phase by construction.

import { COS, COS2, MotionSpectrum, PHASES, SIN, SIN2 } from './motion-spectrum.ts';
import { DEFAULT_MOTION_OPTIONS, type MotionFilterOptions } from './motion-filter.ts';
import type { VeinTree } from '../twin/vein-tree.ts';

const H = 6; // harmonic coefficients per axis: a_c1, b_c1, a_c2, b_c2, a_r, b_r
const N = 2 + 3 + 3 * H; // s, ṡ, d₀ (3), coefficients (3 × 6)
const D0 = 2;
const COEF = 5;

export interface TreeMotionOptions extends MotionFilterOptions {
  /** How tightly d₀ is tied to −H(φ_ref), mm. */
  referenceSigmaMm: number;
}

export const DEFAULT_TREE_MOTION: TreeMotionOptions = { ...DEFAULT_MOTION_OPTIONS, referenceSigmaMm: 0.3 };

export interface PathPoint {
  x: number;
  y: number;
  z: number;
  tx: number;
  ty: number;
  tz: number;
  branch: number;
  segment: number;
  t: number;
  radius: number;
}

/** The point and unit tangent at arc length s on the root path of `branch` (clamped to its ends). */
export function pathPoint(tree: VeinTree, branch: number, s: number, out: PathPoint): PathPoint {
  let b = branch;
  while (b >= 0 && s < tree.branches[b]!.startArcMm && tree.branches[b]!.parentBranch >= 0) b = tree.branches[b]!.parentBranch;
  const br = tree.branches[b]!;
  const nodes = br.nodes;
  const arc = tree.arcLengthMm;
  const pos = tree.positionsMm;
  let lo = 0, hi = nodes.length - 1;
  const sc = Math.min(arc[nodes[hi]!]!, Math.max(arc[nodes[0]!]!, s));
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (arc[nodes[mid]!]! <= sc) lo = mid;
    else hi = mid;
  }
  const a = nodes[lo]!, c = nodes[hi]!;
  const span = arc[c]! - arc[a]!;
  const f = span > 0 ? (sc - arc[a]!) / span : 0;
  const dx = pos[3 * c]! - pos[3 * a]!, dy = pos[3 * c + 1]! - pos[3 * a + 1]!, dz = pos[3 * c + 2]! - pos[3 * a + 2]!;
  const len = Math.hypot(dx, dy, dz) || 1;
  out.x = pos[3 * a]! + f * dx; out.y = pos[3 * a + 1]! + f * dy; out.z = pos[3 * a + 2]! + f * dz;
  out.tx = dx / len; out.ty = dy / len; out.tz = dz / len;
  out.branch = b; out.segment = c; out.t = f;
  out.radius = tree.radiiMm[a]! + f * (tree.radiiMm[c]! - tree.radiiMm[a]!);
  return out;
}

export function newPathPoint(): PathPoint {
  return { x: 0, y: 0, z: 0, tx: 0, ty: 0, tz: 1, branch: 0, segment: 0, t: 0, radius: 0 };
}

export class TreeMotionFilter {
  private readonly o: TreeMotionOptions;
  private readonly x = new Float64Array(N);
  private readonly P = new Float64Array(N * N);
  private readonly ph = new Float64Array(N);
  private readonly k = new Float64Array(N);
  private readonly h = new Float64Array(N);
  private readonly basis = new Float64Array(H);
  private readonly residual = new Float64Array(3);
  private readonly spectrum: MotionSpectrum;
  private readonly point = newPathPoint();
  private initialised = false;
  private lastT = 0;
  private phaseC = 0;
  private phaseR = 0;
  branch = -1;

  constructor(private readonly tree: VeinTree, private readonly towardBase: readonly number[] | null, private readonly cranial: readonly number[], options: Partial<TreeMotionOptions> = {}) {
    this.o = { ...DEFAULT_TREE_MOTION, ...options };
    this.spectrum = new MotionSpectrum(3, this.o);
  }

  get arcLengthMm(): number {
    return this.x[0]!;
  }

  /** Start (or restart) at arc s on a branch's path, e.g. where the tree tracker placed the tip. */
  start(t: number, branch: number, s: number): void {
    if (!this.initialised) {
      this.P.fill(0);
      for (let i = COEF; i < N; i++) this.P[i * N + i] = 16;
      for (let i = D0; i < COEF; i++) this.P[i * N + i] = 16;
      this.initialised = true;
      this.lastT = t;
    }
    this.x[0] = s;
    this.x[1] = 0;
    // Position and velocity are relearnt; what the heart does is kept.
    for (let j = 0; j < N; j++) { this.P[j] = 0; this.P[j * N] = 0; this.P[N + j] = 0; this.P[j * N + 1] = 0; }
    this.P[0] = 25;
    this.P[N + 1] = 100;
    this.branch = branch;
  }

  get started(): boolean {
    return this.initialised;
  }

  /** Follow the tracker onto another branch at a junction (s carries over: arc is from the ostium). */
  switchBranch(branch: number): void {
    this.branch = branch;
  }

  /** The predicted heart motion at time t (d₀ + H), for compensating the tracker's observation. */
  predictedMotion(t: number, out: Float64Array | number[]): void {
    const dt = Math.max(0, t - this.lastT);
    const pc = this.phaseC + 2 * Math.PI * this.spectrum.cardiacHz * dt;
    const pr = this.phaseR + 2 * Math.PI * this.spectrum.respiratoryHz * dt;
    const b0 = Math.sin(pc), b1 = Math.cos(pc), b2 = Math.sin(2 * pc), b3 = Math.cos(2 * pc), b4 = Math.sin(pr), b5 = Math.cos(pr);
    for (let a = 0; a < 3; a++) {
      const o = COEF + a * H;
      out[a] = this.x[D0 + a]! + this.x[o]! * b0 + this.x[o + 1]! * b1 + this.x[o + 2]! * b2 + this.x[o + 3]! * b3 + this.x[o + 4]! * b4 + this.x[o + 5]! * b5;
    }
  }

  /** One measurement: predict to t, update with y (3D, twin frame). Returns the tip on the tree. */
  update(t: number, y: ArrayLike<number>): PathPoint {
    const dt = Math.max(0, t - this.lastT);
    this.predict(dt);
    this.lastT = t;
    if (dt > 0) this.spectrum.step(t, dt);
    const b = this.basis;
    b[0] = Math.sin(this.phaseC); b[1] = Math.cos(this.phaseC); b[2] = Math.sin(2 * this.phaseC); b[3] = Math.cos(2 * this.phaseC);
    b[4] = Math.sin(this.phaseR); b[5] = Math.cos(this.phaseR);
    const r2 = this.o.noise ** 2;
    // Three scalar updates (one per axis), relinearising c(s) before each.
    for (let a = 0; a < 3; a++) {
      const p = pathPoint(this.tree, this.branch, this.x[0]!, this.point);
      const c = a === 0 ? p.x : a === 1 ? p.y : p.z;
      const tangent = a === 0 ? p.tx : a === 1 ? p.ty : p.tz;
      this.h.fill(0);
      this.h[0] = tangent;
      this.h[D0 + a] = 1;
      const o = COEF + a * H;
      let predicted = c + this.x[D0 + a]!;
      for (let k = 0; k < H; k++) {
        this.h[o + k] = b[k]!;
        predicted += b[k]! * this.x[o + k]!;
      }
      this.scalarUpdate(y[a]! - predicted, r2);
    }
    // The reference-phase tie: d₀ + H(φ_ref) = 0 per axis.
    if (this.towardBase || this.cranial) this.referenceUpdate();
    // Keep s on the path.
    const end = this.tree.arcLengthMm[this.tree.branches[this.branch]!.nodes[this.tree.branches[this.branch]!.nodes.length - 1]!]!;
    if (this.x[0]! > end) { this.x[0] = end; this.x[1] = Math.min(0, this.x[1]!); }
    if (this.x[0]! < 0) { this.x[0] = 0; this.x[1] = Math.max(0, this.x[1]!); }
    const tip = pathPoint(this.tree, this.branch, this.x[0]!, this.point);
    this.residual[0] = y[0]! - tip.x; this.residual[1] = y[1]! - tip.y; this.residual[2] = y[2]! - tip.z;
    this.spectrum.remember(t, this.residual);
    return tip;
  }

  private scalarUpdate(innovation: number, r2: number): void {
    const P = this.P, h = this.h;
    let s = r2;
    for (let i = 0; i < N; i++) {
      let acc = 0;
      for (let j = 0; j < N; j++) { const hj = h[j]!; if (hj !== 0) acc += P[i * N + j]! * hj; }
      this.ph[i] = acc;
      s += h[i]! * acc;
    }
    for (let i = 0; i < N; i++) {
      this.k[i] = this.ph[i]! / s;
      this.x[i]! += this.k[i]! * innovation;
    }
    for (let i = 0; i < N; i++) {
      const ki = this.k[i]!;
      if (ki === 0) continue;
      for (let j = 0; j < N; j++) P[i * N + j]! -= ki * this.ph[j]!;
    }
  }

  /** Pseudo-measurements tying d₀ to the reference phase of the current motion estimate. */
  private referenceUpdate(): void {
    const x = this.x;
    // Cardiac reference: the phase where the cardiac waveform reaches furthest toward the base.
    let kc = -1;
    if (this.towardBase) {
      let best = -Infinity;
      for (let k = 0; k < PHASES; k++) {
        let v = 0;
        for (let a = 0; a < 3; a++) {
          const o = COEF + a * H;
          v += this.towardBase[a]! * (x[o]! * SIN[k]! + x[o + 1]! * COS[k]! + x[o + 2]! * SIN2[k]! + x[o + 3]! * COS2[k]!);
        }
        if (v > best) { best = v; kc = k; }
      }
    }
    // Respiratory reference: the most cranial point of the respiratory ellipse.
    let rs = 0, rc = 0;
    let ua = 0, ub = 0;
    for (let a = 0; a < 3; a++) { ua += this.cranial[a]! * x[COEF + a * H + 4]!; ub += this.cranial[a]! * x[COEF + a * H + 5]!; }
    const norm = Math.hypot(ua, ub);
    if (norm > 0) { rs = ua / norm; rc = ub / norm; }
    const r2 = this.o.referenceSigmaMm ** 2;
    for (let a = 0; a < 3; a++) {
      const o = COEF + a * H;
      this.h.fill(0);
      this.h[D0 + a] = 1;
      if (kc >= 0) { this.h[o] = SIN[kc]!; this.h[o + 1] = COS[kc]!; this.h[o + 2] = SIN2[kc]!; this.h[o + 3] = COS2[kc]!; }
      this.h[o + 4] = rs;
      this.h[o + 5] = rc;
      let value = 0;
      for (let i = 0; i < N; i++) value += this.h[i]! * x[i]!;
      this.scalarUpdate(0 - value, r2);
    }
  }

  private predict(dt: number): void {
    if (dt <= 0) return;
    const P = this.P;
    this.x[0]! += dt * this.x[1]!;
    // F = I + dt·e₀e₁ᵀ: row 0 += dt·row 1, then column 0 += dt·column 1.
    for (let j = 0; j < N; j++) P[j]! += dt * P[N + j]!;
    for (let i = 0; i < N; i++) P[i * N]! += dt * P[i * N + 1]!;
    const q = this.o.accelerationDensity;
    P[0]! += (q * dt ** 3) / 3;
    P[1]! += (q * dt ** 2) / 2;
    P[N]! += (q * dt ** 2) / 2;
    P[N + 1]! += q * dt;
    for (let i = COEF; i < N; i++) P[i * N + i]! += this.o.amplitudeDrift * dt;
    for (let i = D0; i < COEF; i++) P[i * N + i]! += 0.05 * this.o.amplitudeDrift * dt;
    if (dt > this.o.gapS) { P[0]! += 25; P[N + 1]! += 100; }
    this.phaseC = (this.phaseC + 2 * Math.PI * this.spectrum.cardiacHz * dt) % (2 * Math.PI);
    this.phaseR = (this.phaseR + 2 * Math.PI * this.spectrum.respiratoryHz * dt) % (2 * Math.PI);
  }
}
