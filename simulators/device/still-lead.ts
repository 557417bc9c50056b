// A still lead mid-vein (the demo-like twin's first lateral vein) under a simulated heart and
// breath, with the lab's ECG and respiratory belt, through motion compensation alone (the
// tracker's place given as the truth): how well the filter takes the motion out when it has the
// signals. Shared by the tests of the signals and by bench:belt-noise.

import { MotionFilter } from '../../server/pipeline/motion-filter.ts';
import { PhysioPhase } from '../../server/pipeline/physio-phase.ts';
import { DEFAULT_COMPENSATION } from '../../server/pipeline/stages/compensate-motion.ts';
import { TrackFeedback } from '../../server/pipeline/track-feedback.ts';
import { CRANIAL, heartAxes } from '../../server/twin/heart-axes.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { Random } from '../twin/random.ts';
import { BELT_OFFSET, BELT_UNITS, gaussian } from './device-simulator.ts';
import { HeartMotion, type MotionSpec } from './heart-motion.ts';

export interface StillLeadOptions {
  /** Errors are kept from this time (s). */
  from?: number;
  /**
   * What the belt sends at t (25 Hz) given its true amplitude; null: nothing (unplugged). Default:
   * the true amplitude.
   */
  belt?: (t: number, amplitude: number) => number | null;
}

/** The compensated position's errors (mm), 100 Hz with 0.5 mm of noise per axis, and the filter at the end. */
export function stillLeadWithSignals(twin: Twin, spec: MotionSpec, seconds: number, options: StillLeadOptions = {}): { errors: number[]; filter: MotionFilter } {
  const from = options.from ?? 20;
  const belt = options.belt ?? ((_t: number, amplitude: number) => amplitude);
  const axis = heartAxes(twin).longAxis!;
  const motion = new HeartMotion(twin, spec);
  const filter = new MotionFilter(3, { ...DEFAULT_COMPENSATION.eam, noise: 1 });
  filter.setReferences([-axis[0], -axis[1], -axis[2]], CRANIAL);
  filter.setBreathingAxis(CRANIAL);
  const physio = new PhysioPhase();
  const feedback = new TrackFeedback(twin);
  const lmv = twin.veins.branches.find((b) => b.kind === 'lateral')!;
  const i = lmv.nodes[Math.floor(lmv.nodes.length / 2)]!;
  const p = [twin.veins.positionsMm[3 * i]!, twin.veins.positionsMm[3 * i + 1]!, twin.veins.positionsMm[3 * i + 2]!];
  const random = new Random(11);
  const d = [0, 0, 0];
  const out = new Float64Array(3);
  const errors: number[] = [];
  const beats = motion.rWaves(0, seconds + 1);
  let nextBeat = 0;
  for (let k = 0; k <= seconds * 100; k++) {
    const t = k / 100;
    while (nextBeat < beats.length && beats[nextBeat]! <= t) physio.rWave(beats[nextBeat++]!);
    if (k % 4 === 0) {
      const sent = belt(t, BELT_OFFSET + BELT_UNITS * motion.breathing(t));
      if (sent !== null) physio.respiration(t, sent);
    }
    motion.displacement(p, t, d);
    filter.update(t, [p[0]! + d[0]! + 0.5 * gaussian(random), p[1]! + d[1]! + 0.5 * gaussian(random), p[2]! + d[2]! + 0.5 * gaussian(random)], out, feedback.at(t - 0.01), physio);
    feedback.set(t, i, p[0]!, p[1]!, p[2]!, 1);
    if (t >= from) errors.push(Math.hypot(out[0]! - p[0]!, out[1]! - p[1]!, out[2]! - p[2]!));
  }
  return { errors, filter };
}
