// The accuracy bench's conditions: the same implant scenarios under inputs from the easiest (clean:
// no motion, no noise) to the hardest (a physiological heart with ectopic beats, breathing that
// differs breath to breath, a hand that pushes and pauses, a lead straying into the wrong vein,
// sensor spikes). Each condition draws its heart and breathing for a seed, so the pipeline has to
// find them. Tuning uses TRAINING_SEEDS only, a choice between variants is also judged on
// VALIDATION_SEEDS, and the bench reports HELD_OUT_SEEDS.

import type { Acquisition } from '../../protocol/index.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { Random } from '../twin/random.ts';
import type { DeviceOptions } from './device-simulator.ts';
import { PUSH_PAUSE } from './hand.ts';
import { WALL_CONTACT } from './wall-contact.ts';
import type { MotionSpec } from './heart-motion.ts';
import { withExcursions, type ScenarioPlan } from './scenarios.ts';

export const CONDITION_NAMES = ['standard', 'clean', 'gated', 'sinusoidal', 'physiological', 'ectopy', 'variable-breathing', 'push-pause', 'excursions', 'outliers', 'physiological-signals', 'wall-contact', 'wall-contact-moving'] as const;
export type ConditionName = (typeof CONDITION_NAMES)[number];

/** Seeds the pipeline's parameters may be tuned on. */
export const TRAINING_SEEDS = [1, 2, 3, 4, 5, 6];
/**
 * Seeds for judging a change, never tuned on (first run in the thirteenth session, for diagnosis).
 * Today's parameters were chosen on the training seeds, so the code sits at a good point for them
 * and a comparison there favours the code as it is: three variants tried in the fourteenth session
 * were each a little worse on seeds 1–4 and within ±0.03 mm on 5–8 (README, "Guidance accuracy").
 */
export const VALIDATION_SEEDS = [7, 8, 9, 10];
/** Seeds never used in tuning: the figures the README quotes. */
export const HELD_OUT_SEEDS = [11, 12, 13];

export interface AccuracyCondition {
  name: ConditionName;
  description: string;
  /** Device options for a seed, on top of the feed kind's defaults. */
  device(seed: number): Partial<DeviceOptions>;
  /** The phase the twin was imaged at, when not the default (the pipeline reads it from the twin). */
  acquisition?: Acquisition;
  /** Landmark noise of the EAM registration (mm per axis; default 0.58: ≈ 1 mm RMS). */
  landmarkNoiseMm?: number;
  /** A change to each scenario's plan. */
  plan?(twin: Twin, plan: ScenarioPlan, seed: number): ScenarioPlan;
}

const quiet = { dropoutFraction: 0, jitterS: 0, gaps: [] as [number, number][] };
const usual = { dropoutFraction: 0.02, gaps: [[6, 0.5]] as [number, number][] };

/** A heart and breathing drawn for the seed: rate, and amplitudes as measured in patients (LV catheter: ~10 mm cardiac, ~9 mm respiratory). */
function physiological(seed: number, extra: Partial<MotionSpec> = {}): MotionSpec {
  const r = new Random(seed * 6151 + 29);
  return {
    waveform: 'physiological',
    cardiacHz: r.range(0.8, 1.5),
    cardiacMm: r.range(5, 10),
    respiratoryHz: r.range(0.17, 0.33),
    respiratoryMm: r.range(4, 9),
    rrVariability: 0.05,
    breathPeriodVariability: 0.12,
    breathDepthVariability: 0.15,
    sighEvery: 15,
    lujanN: r.range(1.5, 3),
    seed,
    ...extra,
  };
}

function rates(seed: number): { cardiacHz: number; respiratoryHz: number } {
  const r = new Random(seed * 7919 + 17);
  return { cardiacHz: r.range(0.85, 1.45), respiratoryHz: r.range(0.18, 0.32) };
}

export const CONDITIONS: Record<ConditionName, AccuracyCondition> = {
  standard: {
    name: 'standard',
    description: 'the original bench: two-harmonic heart (8 mm), cosine breathing (5 mm), 0.6 mm noise, 2 % dropouts, a 500 ms gap',
    device: (seed) => ({ ...usual, motion: { cardiacMm: 8, respiratoryMm: 5, ...rates(seed) } }),
  },
  clean: {
    name: 'clean',
    description: 'no motion, no noise (nor in the landmarks), no dropouts, no jitter: the easiest input there is',
    landmarkNoiseMm: 0,
    device: () => ({ ...quiet, noiseMm: 0, motion: { cardiacHz: 1.1, cardiacMm: 0, respiratoryHz: 0.25, respiratoryMm: 0 } }),
  },
  gated: {
    name: 'gated',
    description: 'positions already at the reference phase (gated EAM), 0.6 mm noise, 2 % dropouts, a gap',
    device: (seed) => ({ ...usual, motion: { ...rates(seed), cardiacMm: 0, respiratoryMm: 0 } }),
  },
  sinusoidal: {
    name: 'sinusoidal',
    description: 'zero-mean sinusoidal heart (8 mm) and breathing (5 mm), the twin imaged at the mean phase (and saying so)',
    device: (seed) => ({ ...usual, motion: { waveform: 'sinusoidal', cardiacMm: 8, respiratoryMm: 5, ...rates(seed), acquisition: { cardiac: 'mean', respiratory: 'mean' } } }),
    acquisition: { cardiac: 'mean', respiratory: 'mean' },
  },
  physiological: {
    name: 'physiological',
    description: 'beat-by-beat heart (quick systole, rapid filling, diastasis, atrial kick; RR ±5 %), Lujan breathing varying ±12 % in period and ±15 % in depth with sighs, 5–10 mm cardiac and 4–9 mm respiratory, 0.7 mm noise',
    device: (seed) => ({ ...usual, noiseMm: 0.7, motion: physiological(seed) }),
  },
  ectopy: {
    name: 'ectopy',
    description: 'physiological, with 15 % ectopic beats (premature, weaker, then a compensatory pause)',
    device: (seed) => ({ ...usual, noiseMm: 0.7, motion: physiological(seed, { ectopicFraction: 0.15 }) }),
  },
  'variable-breathing': {
    name: 'variable-breathing',
    description: 'physiological, breathing varying ±30 % in period and ±35 % in depth, a sigh every ~6 breaths',
    device: (seed) => ({ ...usual, noiseMm: 0.7, motion: physiological(seed, { breathPeriodVariability: 0.3, breathDepthVariability: 0.35, sighEvery: 6 }) }),
  },
  'push-pause': {
    name: 'push-pause',
    description: 'physiological, the lead advanced in 2–5 mm pushes with 0.3–1.5 s pauses and 1–3 mm pull-backs',
    device: (seed) => ({ ...usual, noiseMm: 0.7, motion: physiological(seed), hand: PUSH_PAUSE }),
  },
  excursions: {
    name: 'excursions',
    description: 'physiological, the lead straying 5–25 mm into the wrong vein at most forks and coming back',
    device: (seed) => ({ ...usual, noiseMm: 0.7, motion: physiological(seed) }),
    plan: (twin, plan, seed) => withExcursions(twin, plan, seed),
  },
  'physiological-signals': {
    name: 'physiological-signals',
    description: 'as variable-breathing with 15 % ectopic beats, and the lab sending its ECG R waves (40 ms late) and a respiratory amplitude at 25 Hz',
    device: (seed) => ({ ...usual, noiseMm: 0.7, motion: physiological(seed, { ectopicFraction: 0.15, breathPeriodVariability: 0.3, breathDepthVariability: 0.35, sighEvery: 6 }), signals: { ecg: true, respiration: true } }),
  },
  'wall-contact': {
    name: 'wall-contact',
    description: 'gated, the tip resting against the vein wall (off the centreline by the vein radius less the 5 F lead\'s, on a side that turns slowly) and scored where it rests',
    device: (seed) => ({ ...usual, motion: { ...rates(seed), cardiacMm: 0, respiratoryMm: 0 }, wallContact: WALL_CONTACT }),
  },
  'wall-contact-moving': {
    name: 'wall-contact-moving',
    description: 'physiological, the tip resting against the vein wall as in wall-contact',
    device: (seed) => ({ ...usual, noiseMm: 0.7, motion: physiological(seed), wallContact: WALL_CONTACT }),
  },
  outliers: {
    name: 'outliers',
    description: 'physiological, 2 % sensor spikes of 3–5 mm, 5 % dropouts, gaps of 0.5 and 1.2 s',
    device: (seed) => ({ noiseMm: 0.7, motion: physiological(seed), spikeFraction: 0.02, spikeMm: [3, 5], dropoutFraction: 0.05, gaps: [[6, 0.5], [15, 1.2]] }),
  },
};

/** The twin as a pipeline sees it under a condition: with the condition's acquisition phase, if any. */
export function twinFor(twin: Twin, condition: AccuracyCondition): Twin {
  return condition.acquisition ? { ...twin, meta: { ...twin.meta, acquisition: condition.acquisition } } : twin;
}
