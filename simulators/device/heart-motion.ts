// Physiological motion of the heart, applied to a point of the (still) twin: the cardiac cycle
// contracts the ventricles toward the long axis and pulls the base toward the apex (largest at the
// base), and breathing moves the whole heart cranio-caudally with a little antero-posterior motion.
// Three heart and breath models, from kind to hard:
//  - 'standard': a smooth two-harmonic beat and a cosine breath (the bench's original model);
//  - 'sinusoidal': zero-mean sinusoids (a twin imaged at the mean phase);
//  - 'physiological': beat by beat, with a quick systole, rapid filling, a still diastasis and an
//    atrial kick, RR variability and ectopic beats (premature, then a compensatory pause); breath
//    by breath after Lujan (cos^2n: a long end-expiratory dwell), with period and depth varying
//    from one breath to the next and an occasional sigh.
// The twin shows the heart at its acquisition phase (default end-diastole, end-expiration): the
// displacement is measured from there. Every beat's R wave and every breath's phase are exposed,
// as an ECG and a respiratory belt would give them.

import type { Twin } from '../../server/twin/twin.ts';
import { heartAxes } from '../../server/twin/heart-axes.ts';
import { Random } from '../twin/random.ts';

export interface MotionSpec {
  cardiacHz: number;
  /** Peak-to-peak displacement at the base, mm. */
  cardiacMm: number;
  respiratoryHz: number;
  respiratoryMm: number;
  /** 'standard' (default), 'sinusoidal' or 'physiological' (see above). */
  waveform?: 'standard' | 'sinusoidal' | 'physiological';
  /** Breathing-rate variability ('standard'): relative swing of the rate, slowly (0.02 Hz); 0 keeps it constant. */
  respiratoryVariability?: number;
  /** 'physiological': beat-to-beat RR variability (SD, relative). */
  rrVariability?: number;
  /** 'physiological': fraction of beats that are premature (ectopic), each followed by a compensatory pause. */
  ectopicFraction?: number;
  /** 'physiological': breath-to-breath period and depth variability (SD, relative). */
  breathPeriodVariability?: number;
  breathDepthVariability?: number;
  /** 'physiological': a sigh (a breath twice as deep and 1.5× as long) about every this many breaths (0: none). */
  sighEvery?: number;
  /** 'physiological': Lujan's exponent n in cos^2n (1: a cosine; 2–3: a long end-expiratory dwell). */
  lujanN?: number;
  /**
   * Breathing's displacement per mm of respiratory motion (twin frame, LPS), default [0, 0.3, −1]:
   * caudal on inspiration with a little anterior-posterior motion.
   */
  respiratoryDirection?: readonly [number, number, number];
  /** Seed for the beat and breath schedules. */
  seed?: number;
  /**
   * The phase the twin was imaged at (default end-diastole and end-expiration): cardiac as a
   * fraction of the RR interval after the R wave (0 = end-diastole) or 'mean'; respiratory
   * 'end-expiration', 'end-inspiration' or 'mean'.
   */
  acquisition?: { cardiac: number | 'mean'; respiratory: 'end-expiration' | 'end-inspiration' | 'mean' };
}

/** Heart-rate variability ('standard'): relative frequency swing at 0.05 Hz. */
const HRV = 0.03;
const HRV_HZ = 0.05;
/** Breathing-rate variability swings at this rate (Hz). */
const BRV_HZ = 0.02;
/** Breathing's displacement per mm on inspiration: caudal (LPS −z) with a little antero-posterior motion. */
export const RESPIRATORY_DIRECTION: readonly [number, number, number] = [0, 0.3, -1];
export const DEFAULT_MOTION: MotionSpec = { cardiacHz: 1.1, cardiacMm: 8, respiratoryHz: 0.25, respiratoryMm: 5 };

/**
 * Base displacement over one beat as a fraction of the RR interval (0 = R wave = end-diastole):
 * systole to its peak by 35 %, rapid filling back to a quarter by 55 %, diastasis barely moving,
 * the atrial kick home from 85 %. Piecewise cosine ramps, so the motion is smooth.
 */
export function beatShape(f: number): number {
  const ramp = (x: number, a: number, b: number, from: number, to: number): number => from + (to - from) * (0.5 - 0.5 * Math.cos((Math.PI * (x - a)) / (b - a)));
  if (f < 0.35) return ramp(f, 0, 0.35, 0, 1);
  if (f < 0.55) return ramp(f, 0.35, 0.55, 1, 0.25);
  if (f < 0.85) return ramp(f, 0.55, 0.85, 0.25, 0.15);
  return ramp(f, 0.85, 1, 0.15, 0);
}

interface Beat { start: number; rr: number; ectopic: boolean }
interface Breath { start: number; period: number; depth: number }

export class HeartMotion {
  private readonly centre: [number, number, number];
  private readonly axis: [number, number, number];
  private readonly length: number;
  private readonly baseOffset: number;
  /** Separate streams for beats and breaths: the schedules do not depend on which is asked first. */
  private readonly beatRandom: Random;
  private readonly breathRandom: Random;
  private readonly beats: Beat[] = [];
  private readonly breaths: Breath[] = [];
  /** Cardiac waveform and breathing at the acquisition phase (subtracted: the twin sits there). */
  private readonly cardiacAtAcquisition: number;
  private readonly respiratoryAtAcquisition: number;

  constructor(twin: Twin, private readonly spec: MotionSpec) {
    const axes = heartAxes(twin);
    this.centre = axes.centre;
    this.axis = axes.longAxis ?? [0, 0, -1];
    this.length = Math.max(1, axes.extent[1] - axes.extent[0]);
    this.baseOffset = axes.extent[0];
    this.beatRandom = new Random((spec.seed ?? 1) * 2 + 1);
    this.breathRandom = new Random((spec.seed ?? 1) * 2 + 2);
    const acq = spec.acquisition ?? { cardiac: 0, respiratory: 'end-expiration' };
    this.cardiacAtAcquisition = acq.cardiac === 'mean' ? this.meanOf((f) => this.cardiacShape(f)) : this.cardiacShape(acq.cardiac);
    this.respiratoryAtAcquisition = acq.respiratory === 'mean' ? this.meanOf((f) => this.breathShape(f)) : acq.respiratory === 'end-inspiration' ? this.breathShape(0.5) : this.breathShape(0);
  }

  private get waveform(): 'standard' | 'sinusoidal' | 'physiological' {
    return this.spec.waveform ?? 'standard';
  }

  private meanOf(shape: (f: number) => number): number {
    let sum = 0;
    for (let k = 0; k < 1000; k++) sum += shape(k / 1000);
    return sum / 1000;
  }

  /** One beat's waveform at fraction f of its RR interval, 0 at end-diastole. */
  private cardiacShape(f: number): number {
    if (this.waveform === 'physiological') return beatShape(f);
    if (this.waveform === 'sinusoidal') return 0.5 - 0.5 * Math.cos(2 * Math.PI * f);
    const phase = 2 * Math.PI * f;
    return Math.max(0, Math.min(1, 0.5 - 0.5 * Math.cos(phase) + 0.12 * Math.sin(2 * phase)));
  }

  /** One breath at fraction f of its period: 0 at end-expiration, 1 at full inspiration (f = 0.5). */
  private breathShape(f: number): number {
    if (this.waveform !== 'physiological') return 0.5 - 0.5 * Math.cos(2 * Math.PI * f);
    // Lujan: the displacement from end-expiration is b·cos^2n(π t/τ − φ), a brief peak (inspiration)
    // over a long end-expiratory dwell; with the peak at f = ½ that is sin^2n(π f).
    return Math.abs(Math.sin(Math.PI * f)) ** (2 * (this.spec.lujanN ?? 2));
  }

  private gauss(random: Random): number {
    const u = Math.max(1e-12, random.next());
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
  }

  /** The beat at time t (the schedule grows as time goes on; deterministic for the seed). */
  private beatAt(t: number): Beat {
    const rr0 = 1 / this.spec.cardiacHz;
    while (this.beats.length === 0 || this.beats[this.beats.length - 1]!.start + this.beats[this.beats.length - 1]!.rr <= t) {
      const last = this.beats[this.beats.length - 1];
      const start = last ? last.start + last.rr : 0;
      let rr = rr0 * Math.max(0.6, 1 + (this.spec.rrVariability ?? 0) * this.gauss(this.beatRandom));
      let ectopic = false;
      if (last?.ectopic) rr = 2 * rr0 - last.rr; // the compensatory pause: two beats' time in all
      else if (this.beatRandom.next() < (this.spec.ectopicFraction ?? 0)) { rr = rr0 * 0.6; ectopic = true; }
      this.beats.push({ start, rr, ectopic });
    }
    // Times run forward: search from the end.
    for (let k = this.beats.length - 1; k >= 0; k--) if (this.beats[k]!.start <= t) return this.beats[k]!;
    return this.beats[0]!;
  }

  private breathAt(t: number): Breath {
    const p0 = 1 / this.spec.respiratoryHz;
    while (this.breaths.length === 0 || this.breaths[this.breaths.length - 1]!.start + this.breaths[this.breaths.length - 1]!.period <= t) {
      const last = this.breaths[this.breaths.length - 1];
      const start = last ? last.start + last.period : 0;
      const sigh = (this.spec.sighEvery ?? 0) > 0 && this.breathRandom.next() < 1 / this.spec.sighEvery!;
      const period = p0 * Math.max(0.5, 1 + (this.spec.breathPeriodVariability ?? 0) * this.gauss(this.breathRandom)) * (sigh ? 1.5 : 1);
      const depth = Math.max(0.3, 1 + (this.spec.breathDepthVariability ?? 0) * this.gauss(this.breathRandom)) * (sigh ? 2 : 1);
      this.breaths.push({ start, period, depth });
    }
    for (let k = this.breaths.length - 1; k >= 0; k--) if (this.breaths[k]!.start <= t) return this.breaths[k]!;
    return this.breaths[0]!;
  }

  /** Cardiac waveform in [0, 1] at time t, relative to the acquisition phase. */
  cardiac(t: number): number {
    if (this.waveform === 'physiological') {
      const beat = this.beatAt(t);
      // A premature beat fills less: it moves the heart less.
      return beatShape((t - beat.start) / beat.rr) * (beat.ectopic ? 0.6 : 1) - this.cardiacAtAcquisition;
    }
    // The phase is the integral of the instantaneous rate f·(1 + HRV·sin ωt).
    const w = 2 * Math.PI * HRV_HZ;
    const cycles = this.spec.cardiacHz * (t + (HRV / w) * (1 - Math.cos(w * t)));
    return this.cardiacShape(cycles - Math.floor(cycles)) - this.cardiacAtAcquisition;
  }

  respiratory(t: number): number {
    if (this.waveform === 'physiological') {
      const breath = this.breathAt(t);
      return breath.depth * this.breathShape((t - breath.start) / breath.period) - this.respiratoryAtAcquisition;
    }
    const v = this.spec.respiratoryVariability ?? 0;
    const w = 2 * Math.PI * BRV_HZ;
    const cycles = this.spec.respiratoryHz * (t + (v / w) * (1 - Math.cos(w * t)));
    return this.breathShape(cycles - Math.floor(cycles)) - this.respiratoryAtAcquisition;
  }

  /** R-wave times in [from, to) (what an ECG would mark). */
  rWaves(from: number, to: number): number[] {
    const out: number[] = [];
    if (this.waveform === 'physiological') {
      this.beatAt(to);
      for (const b of this.beats) if (b.start >= from && b.start < to) out.push(b.start);
      return out;
    }
    // Smooth models: an R wave where the phase crosses a whole cycle.
    const w = 2 * Math.PI * HRV_HZ;
    const cycles = (t: number): number => this.spec.cardiacHz * (t + (HRV / w) * (1 - Math.cos(w * t)));
    for (let n = Math.ceil(cycles(from)); n < cycles(to); n++) {
      let lo = from, hi = to;
      for (let k = 0; k < 40; k++) { const mid = (lo + hi) / 2; if (cycles(mid) < n) lo = mid; else hi = mid; }
      out.push(hi);
    }
    return out;
  }

  /** Breathing as a belt would give it: 0 at end-expiration … 1 at a normal full inspiration. */
  breathing(t: number): number {
    return this.respiratory(t) + this.respiratoryAtAcquisition;
  }

  /** Displacement (mm) of twin point p at time t, written into out. */
  displacement(p: readonly number[], t: number, out: number[]): void {
    const rel = [p[0]! - this.centre[0], p[1]! - this.centre[1], p[2]! - this.centre[2]];
    const h = rel[0]! * this.axis[0] + rel[1]! * this.axis[1] + rel[2]! * this.axis[2];
    const fromBase = Math.max(0, Math.min(1, 1 - (h - this.baseOffset) / this.length)); // base 1 … apex 0
    const radial = [rel[0]! - h * this.axis[0], rel[1]! - h * this.axis[1], rel[2]! - h * this.axis[2]];
    const rn = Math.hypot(radial[0]!, radial[1]!, radial[2]!) || 1;
    const w = this.cardiac(t) * this.spec.cardiacMm;
    // Longitudinal shortening (base toward apex) dominates; radial contraction adds 40 %.
    const longitudinal = w * fromBase;
    const inward = 0.4 * w * (0.5 + 0.5 * fromBase);
    const r = this.respiratory(t) * this.spec.respiratoryMm;
    for (let k = 0; k < 3; k++) out[k] = longitudinal * this.axis[k]! - (inward * radial[k]!) / rn;
    const dir = this.spec.respiratoryDirection ?? RESPIRATORY_DIRECTION;
    for (let k = 0; k < 3; k++) out[k]! += dir[k]! * r;
  }
}
