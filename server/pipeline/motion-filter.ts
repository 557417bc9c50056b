// Separating the catheter's own movement from the heart's. The lead tip rides on a beating,
// breathing heart while the twin is still (imaged at end-diastole, in a breath-hold), so each
// coordinate of the measured tip is modelled as
//   y(t) = m(t) + H(t) + noise,  H(t) = Σ a_k sin kφ_c + b_k cos kφ_c (k = 1, 2) + a_r sin φ_r + b_r cos φ_r
// with m(t) a constant-velocity catheter and H zero-mean cardiac/respiratory motion with slowly
// drifting amplitudes, estimated by a Kalman filter whose phases advance at frequencies found in
// the signal itself (periodogram peaks, in the cardiac and respiratory bands, of what the
// catheter's estimated movement leaves of the measurement).
// The twin's geometry is the heart at a reference phase, not at its mean: the tip where the twin
// has it is m + H(φ_ref), with φ_ref the extreme of H along a reference direction (toward the base
// for end-diastole, cranial for end-expiration), as ECG and respiratory gating would pick it.
// All time comes from the samples.

import { COS, COS2, MotionSpectrum, PHASES, SIN, SIN2 } from './motion-spectrum.ts';

export interface MotionFilterOptions {
  /** Measurement noise (standard deviation, in measurement units). */
  noise: number;
  /** Catheter acceleration spectral density (units²/s³): how quickly the physician changes speed. */
  accelerationDensity: number;
  /** Drift of the motion amplitudes (units²/s). */
  amplitudeDrift: number;
  /** Frequencies assumed before the signal has shown its own (Hz). */
  cardiacHz: number;
  respiratoryHz: number;
  /** Window (s) over which the frequencies are estimated, and how often. */
  spectrumWindowS: number;
  spectrumEveryS: number;
  /** A gap longer than this (s) loosens the filter's grip on position and velocity. */
  gapS: number;
  /** Estimate the frequencies from the signal (off: keep cardiacHz/respiratoryHz as given). */
  estimateFrequencies: boolean;
  /**
   * 'deharmonised': the measurement minus the estimated motion (no lag when the catheter starts,
   * stops or turns; measurement noise stays, for the tracker to absorb). 'smoothed': the filtered
   * catheter state (less noise, but it overshoots at every start, stop and turn).
   */
  output: 'deharmonised' | 'smoothed';
}

export const DEFAULT_MOTION_OPTIONS: MotionFilterOptions = {
  noise: 1,
  // Tuned on simulated dwell-and-advance runs (bench/accuracy): a freer catheter state starts
  // explaining the respiratory sinusoid, a stiffer one lags when the physician starts or stops.
  accelerationDensity: 10,
  amplitudeDrift: 0.5,
  cardiacHz: 1.1,
  respiratoryHz: 0.25,
  spectrumWindowS: 8,
  spectrumEveryS: 1,
  gapS: 0.5,
  estimateFrequencies: true,
  output: 'deharmonised',
};

const N = 8; // state: position, velocity, a_c1, b_c1, a_c2, b_c2, a_r, b_r


export class MotionFilter {
  readonly dims: number;
  private readonly o: MotionFilterOptions;
  /** State per dimension, row-major [dims × N]. */
  private readonly x: Float64Array;
  /** Shared covariance (the measurement model is the same for every dimension). */
  private readonly P = new Float64Array(N * N);
  private readonly tmp = new Float64Array(N * N);
  private readonly h = new Float64Array(N);
  private readonly k = new Float64Array(N);
  private readonly ph = new Float64Array(N);
  private readonly residual = new Float64Array(3);
  private initialised = false;
  private lastT = 0;
  private phaseC = 0;
  private phaseR = 0;
  private readonly spectrum: MotionSpectrum;
  private previousT = 0;
  private initialisedAt = Number.NaN;

  constructor(dims: number, options: Partial<MotionFilterOptions> = {}, capacity = 2048) {
    this.dims = dims;
    this.o = { ...DEFAULT_MOTION_OPTIONS, ...options };
    this.x = new Float64Array(dims * N);
    this.spectrum = new MotionSpectrum(dims, this.o, capacity);
  }

  get cardiacHz(): number {
    return this.spectrum.cardiacHz;
  }

  get respiratoryHz(): number {
    return this.spectrum.respiratoryHz;
  }

  /** Feed one measurement at time t; `out` receives the motion-compensated position. */
  update(t: number, y: ArrayLike<number>, out: Float64Array | number[]): void {
    const d = this.dims;
    if (!this.initialised) {
      for (let a = 0; a < d; a++) this.x[a * N] = y[a]!;
      this.P.fill(0);
      const s2 = this.o.noise ** 2;
      this.P[0] = s2;
      this.P[1 * N + 1] = 100;
      for (let i = 2; i < N; i++) this.P[i * N + i] = 25;
      this.lastT = t;
      this.initialised = true;
      this.initialisedAt = t;
      this.previousT = t;
    } else {
      const dt = Math.max(0, t - this.lastT);
      this.predict(dt);
      this.lastT = t;
    }
    const dt = this.initialisedAt === t ? 0 : t - this.previousT;
    this.previousT = t;
    this.initialisedAt = Number.NaN;
    if (this.o.estimateFrequencies) this.spectrum.step(t, dt);
    // Measurement row for this instant.
    const h = this.h;
    h[0] = 1; h[1] = 0;
    h[2] = Math.sin(this.phaseC); h[3] = Math.cos(this.phaseC);
    h[4] = Math.sin(2 * this.phaseC); h[5] = Math.cos(2 * this.phaseC);
    h[6] = Math.sin(this.phaseR); h[7] = Math.cos(this.phaseR);
    const P = this.P;
    let s = this.o.noise ** 2;
    for (let i = 0; i < N; i++) {
      let acc = 0;
      for (let j = 0; j < N; j++) acc += P[i * N + j]! * h[j]!;
      this.ph[i] = acc;
      s += h[i]! * acc;
    }
    for (let i = 0; i < N; i++) this.k[i] = this.ph[i]! / s;
    for (let a = 0; a < d; a++) {
      let pred = 0;
      for (let j = 0; j < N; j++) pred += h[j]! * this.x[a * N + j]!;
      const innovation = y[a]! - pred;
      for (let i = 0; i < N; i++) this.x[a * N + i]! += this.k[i]! * innovation;
    }
    // P = (I − k hᵀ) P = P − k (P h)ᵀ (P symmetric)
    for (let i = 0; i < N; i++) for (let j = 0; j < N; j++) P[i * N + j]! -= this.k[i]! * this.ph[j]!;
    // The spectrum is taken of what the catheter's own movement does not explain: y − m.
    for (let a = 0; a < d; a++) this.residual[a] = y[a]! - this.x[a * N]!;
    this.spectrum.remember(t, this.residual);
    this.atReference(out);
    if (this.o.output === 'deharmonised') {
      // out = m + H(φ_ref) so far; replace m by (y − H(now)).
      for (let a = 0; a < d; a++) {
        let motionNow = 0;
        for (let j = 2; j < N; j++) motionNow += h[j]! * this.x[a * N + j]!;
        out[a] = out[a]! - this.x[a * N]! + (y[a]! - motionNow);
      }
    }
  }

  private cardiacReference: ArrayLike<number> | null = null;
  private respiratoryReference: ArrayLike<number> | null = null;

  /** Directions (in measurement space) along which the reference phases are the extremes; null: mean. */
  setReferences(cardiac: ArrayLike<number> | null, respiratory: ArrayLike<number> | null): void {
    this.cardiacReference = cardiac;
    this.respiratoryReference = respiratory;
  }

  /** Current cardiac/respiratory frequencies and motion amplitude (for diagnostics). */
  motionAmplitude(): number {
    let sum = 0;
    for (let a = 0; a < this.dims; a++) for (let i = 2; i < N; i++) sum += this.x[a * N + i]! ** 2;
    return Math.sqrt(sum);
  }

  /** m + H(φ_ref): the catheter where the twin's (reference-phase) geometry has it. */
  private atReference(out: Float64Array | number[]): void {
    const d = this.dims, x = this.x;
    for (let a = 0; a < d; a++) out[a] = x[a * N]!;
    const dirC = this.cardiacReference, dirR = this.respiratoryReference;
    if (dirC) {
      // Cardiac: the phase where the waveform reaches furthest along the reference direction.
      let bestS = 0, bestC = 1, bestV = -Infinity;
      for (let k = 0; k < PHASES; k++) {
        const sn = SIN[k]!, cs = COS[k]!, s2 = SIN2[k]!, c2 = COS2[k]!;
        let v = 0;
        for (let a = 0; a < d; a++) v += dirC[a]! * (x[a * N + 2]! * sn + x[a * N + 3]! * cs + x[a * N + 4]! * s2 + x[a * N + 5]! * c2);
        if (v > bestV) { bestV = v; bestS = k; bestC = k; }
      }
      const sn = SIN[bestS]!, cs = COS[bestC]!, s2 = SIN2[bestS]!, c2 = COS2[bestC]!;
      for (let a = 0; a < d; a++) out[a]! += x[a * N + 2]! * sn + x[a * N + 3]! * cs + x[a * N + 4]! * s2 + x[a * N + 5]! * c2;
    }
    if (dirR) {
      // Respiratory (one harmonic): the extreme along the direction is amplitude-weighted, in closed form.
      let ua = 0, ub = 0;
      for (let a = 0; a < d; a++) { ua += dirR[a]! * x[a * N + 6]!; ub += dirR[a]! * x[a * N + 7]!; }
      const norm = Math.hypot(ua, ub);
      if (norm > 0) {
        const sn = ua / norm, cs = ub / norm;
        for (let a = 0; a < d; a++) out[a]! += x[a * N + 6]! * sn + x[a * N + 7]! * cs;
      }
    }
  }

  /** Time update over dt: position += velocity·dt, phases advance, noise added. */
  private predict(dt: number): void {
    const P = this.P;
    const gap = dt > this.o.gapS;
    if (dt > 0) {
      // Catheter position/velocity: F = [[1, dt], [0, 1]] on the first two states.
      for (let a = 0; a < this.dims; a++) this.x[a * N]! += dt * this.x[a * N + 1]!;
      const t = this.tmp;
      t.set(P);
      for (let j = 0; j < N; j++) t[j] = P[j]! + dt * P[N + j]!; // row 0 of F·P
      for (let i = 0; i < N; i++) {
        P[i * N] = t[i * N]! + dt * t[i * N + 1]!; // column 0 of (F·P)·Fᵀ
        for (let j = 1; j < N; j++) P[i * N + j] = t[i * N + j]!;
      }
      const q = this.o.accelerationDensity;
      P[0]! += (q * dt ** 3) / 3;
      P[1]! += (q * dt ** 2) / 2;
      P[N]! += (q * dt ** 2) / 2;
      P[N + 1]! += q * dt;
      for (let i = 2; i < N; i++) P[i * N + i]! += this.o.amplitudeDrift * dt;
      this.phaseC = (this.phaseC + 2 * Math.PI * this.spectrum.cardiacHz * dt) % (2 * Math.PI);
      this.phaseR = (this.phaseR + 2 * Math.PI * this.spectrum.respiratoryHz * dt) % (2 * Math.PI);
    }
    if (gap) {
      // After a dropout the catheter may have moved: let position and velocity be relearnt.
      P[0]! += 25;
      P[N + 1]! += 100;
    }
  }
}
