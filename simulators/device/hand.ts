// The physician's hand: a lead is not advanced at a steady speed but in pushes of a few mm, with
// pauses between them and now and then a small pull-back. Modelled as a warp of the scenario's
// time: in a push the planned path is followed faster than planned, in a pause not at all, in a
// pull-back backwards. Deterministic for a seed.

import { Random } from '../twin/random.ts';

export interface HandSpec {
  /** Path length of one push, mm (drawn uniformly). */
  pushMm: [number, number];
  /** Speed of a push relative to the plan's (the plan advances at ~8 mm/s). */
  pushSpeedFactor: number;
  /** Pause after a push, s. */
  pauseS: [number, number];
  /** Chance that a pause is followed by a pull-back, and its length, mm. */
  pullbackChance: number;
  pullbackMm: [number, number];
}

export const PUSH_PAUSE: HandSpec = { pushMm: [2, 5], pushSpeedFactor: 2.5, pauseS: [0.3, 1.5], pullbackChance: 0.25, pullbackMm: [1, 3] };

/** The plan's nominal speed (mm/s), to turn a push's length into plan time. */
const PLAN_MM_S = 8;

/** Real time → the scenario's planned time, piecewise linear. */
export class HandWarp {
  private readonly real: number[] = [0];
  private readonly plan: number[] = [0];

  constructor(spec: HandSpec, seed: number, planDurationS: number) {
    const random = new Random(seed * 104729 + 11);
    let t = 0, tau = 0;
    const push = (mm: number, factor: number): void => {
      const dTau = mm / PLAN_MM_S;
      tau = Math.max(0, tau + Math.sign(factor) * dTau);
      t += dTau / Math.abs(factor);
      this.real.push(t); this.plan.push(tau);
    };
    while (tau < planDurationS) {
      push(random.range(spec.pushMm[0], spec.pushMm[1]), spec.pushSpeedFactor);
      t += random.range(spec.pauseS[0], spec.pauseS[1]);
      this.real.push(t); this.plan.push(tau);
      if (random.next() < spec.pullbackChance) push(random.range(spec.pullbackMm[0], spec.pullbackMm[1]), -spec.pushSpeedFactor);
    }
  }

  /** How long the warped scenario lasts, s. */
  get durationS(): number {
    return this.real[this.real.length - 1]!;
  }

  planTime(t: number): number {
    const r = this.real;
    if (t <= 0) return 0;
    if (t >= r[r.length - 1]!) return this.plan[this.plan.length - 1]!;
    let lo = 0, hi = r.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (r[mid]! <= t) lo = mid;
      else hi = mid;
    }
    const span = r[hi]! - r[lo]!;
    return this.plan[lo]! + (span > 0 ? (t - r[lo]!) / span : 0) * (this.plan[hi]! - this.plan[lo]!);
  }
}
