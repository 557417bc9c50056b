// Physiological motion of the heart, applied to a point of the (still, end-diastolic) twin: the
// cardiac cycle contracts the ventricles toward the long axis and pulls the base toward the apex
// (largest at the base), and breathing moves the whole heart cranio-caudally with a little
// antero-posterior motion. The heart rate varies slowly (±3 %); the breathing rate can be made to.

import type { Twin } from '../../server/twin/twin.ts';
import { heartAxes } from '../../server/twin/heart-axes.ts';

export interface MotionSpec {
  cardiacHz: number;
  /** Peak-to-peak displacement at the base, mm. */
  cardiacMm: number;
  respiratoryHz: number;
  respiratoryMm: number;
  /** Breathing-rate variability: relative swing of the rate, slowly (0.02 Hz); 0 (default) keeps it constant. */
  respiratoryVariability?: number;
}

/** Heart-rate variability: relative frequency swing at 0.05 Hz. */
const HRV = 0.03;
const HRV_HZ = 0.05;
/** Breathing-rate variability swings at this rate (Hz). */
const BRV_HZ = 0.02;
export const DEFAULT_MOTION: MotionSpec = { cardiacHz: 1.1, cardiacMm: 8, respiratoryHz: 0.25, respiratoryMm: 5 };

export class HeartMotion {
  private readonly centre: [number, number, number];
  private readonly axis: [number, number, number];
  private readonly length: number;
  private readonly baseOffset: number;

  constructor(twin: Twin, private readonly spec: MotionSpec) {
    const axes = heartAxes(twin);
    this.centre = axes.centre;
    this.axis = axes.longAxis ?? [0, 0, -1];
    this.length = Math.max(1, axes.extent[1] - axes.extent[0]);
    this.baseOffset = axes.extent[0];
  }

  /** Cardiac phase waveform in [0, 1]: contraction (systole) then relaxation, not a pure sine. */
  private cardiac(t: number): number {
    // The phase is the integral of the instantaneous rate f·(1 + HRV·sin ωt). (Multiplying t by the
    // varying rate instead made the rate itself swing by HRV·ω·t: ±50 % a minute in.)
    const w = 2 * Math.PI * HRV_HZ;
    const phase = 2 * Math.PI * this.spec.cardiacHz * (t + (HRV / w) * (1 - Math.cos(w * t)));
    return Math.max(0, Math.min(1, 0.5 - 0.5 * Math.cos(phase) + 0.12 * Math.sin(2 * phase)));
  }

  private respiratory(t: number): number {
    // As for the heart: the phase integrates a rate swinging by ±variability.
    const v = this.spec.respiratoryVariability ?? 0;
    const w = 2 * Math.PI * BRV_HZ;
    return 0.5 - 0.5 * Math.cos(2 * Math.PI * this.spec.respiratoryHz * (t + (v / w) * (1 - Math.cos(w * t))));
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
    out[2]! += -r; // exhalation/inspiration: cranio-caudal (LPS z)
    out[1]! += 0.3 * r; // with a little antero-posterior motion
  }
}
