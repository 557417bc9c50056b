// The accuracy bench: the implant scenarios on a twin for each feed kind under every condition
// (conditions.ts), scored against ground truth, on held-out seeds (never used in tuning) unless
// asked for the training seeds; and the landmark registration's target error from 4 landmarks with
// 1 mm noise. The top-level figures pool every condition.

import type { Guidance } from '../../protocol/index.ts';
import type { PipelineOptions } from '../../server/pipeline/procedure-pipeline.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { CONDITIONS, CONDITION_NAMES, HELD_OUT_SEEDS, TRAINING_SEEDS, VALIDATION_SEEDS, twinFor, type ConditionName } from './conditions.ts';
import type { DeviceOptions, FeedKind, GroundTruth } from './device-simulator.ts';
import { defaultDeviceOptions } from './device-simulator.ts';
import type { MotionSpec } from './heart-motion.ts';
import { registrationError, runScenario, simulateLandmarkRegistration, type ScenarioRun } from './run-scenario.ts';
import type { ScenarioName } from './scenarios.ts';
import { poolRuns, scoreGuidance, type AccuracyFigures } from './score.ts';

export interface FeedFigures {
  eam: AccuracyFigures;
  fluoroBiplane: AccuracyFigures;
  fluoroSingle: AccuracyFigures;
}

export interface AccuracyReport extends FeedFigures {
  registration: { treMm: number; treP95Mm: number; treEstimateMm: number; trials: number; landmarks: number; noiseMmRms: number };
  conditions: Partial<Record<ConditionName, FeedFigures>>;
  twin: string;
  /** 'list': seeds given one by one (seedList). */
  seeds: { set: SeedSet | 'list'; seeds: number[] };
  scenarios: ScenarioName[];
  description: string;
}

export type SeedSet = 'held-out' | 'training' | 'validation';

const SEED_SETS: Record<SeedSet, readonly number[]> = { 'held-out': HELD_OUT_SEEDS, training: TRAINING_SEEDS, validation: VALIDATION_SEEDS };

export interface AccuracyOptions {
  seeds?: SeedSet;
  /** These seeds instead of a set (tuning runs on a subset of the training seeds). */
  seedList?: readonly number[];
  /** Pipeline options, for tuning (the bench itself runs the defaults). */
  pipeline?: Partial<PipelineOptions>;
  /** Feeds to run (default all three). */
  feeds?: readonly (keyof FeedFigures)[];
  conditions?: readonly ConditionName[];
  progress?: (line: string) => void;
}

export const STANDARD_SCENARIOS: ScenarioName[] = ['reach-lateral-zone', 'wrong-branch-then-correct', 'tour'];

const FEEDS: [keyof FeedFigures, FeedKind][] = [['eam', 'eam'], ['fluoroBiplane', 'fluoro-biplane'], ['fluoroSingle', 'fluoro-single']];

interface Pool { guidance: Guidance[]; truths: Map<number, GroundTruth> }
const pool = (): Pool => ({ guidance: [], truths: new Map() });

/** A change to a condition's runs: its device options, or its own heart and breath (`motion`). */
export interface ConditionChange { device?: Partial<DeviceOptions>; motion?: (spec: MotionSpec) => MotionSpec }

/** The device options a condition's runs use for a seed, with `change` applied. */
export function conditionDevice(name: ConditionName, seed: number, change: ConditionChange = {}): Partial<DeviceOptions> & { seed: number } {
  const device = { ...CONDITIONS[name].device(seed) };
  // `motion` changes the condition's own heart and breath (bench:error-budget takes parts away).
  if (change.motion && device.motion) device.motion = change.motion(device.motion);
  return { seed, ...device, ...change.device };
}

/**
 * One condition's runs for a feed, as the bench makes them: each seed through each standard
 * scenario, with the condition's device, landmark noise and plan. `device` overrides the device
 * options (another sample rate, say) for diagnostics.
 */
export async function* conditionRuns(twin: Twin, name: ConditionName, feed: FeedKind, seeds: readonly number[], options: ConditionChange & { pipeline?: Partial<PipelineOptions> } = {}): AsyncGenerator<ScenarioRun> {
  const condition = CONDITIONS[name];
  const seen = twinFor(twin, condition);
  for (const seed of seeds) {
    const device = conditionDevice(name, seed, options);
    for (const scenario of STANDARD_SCENARIOS) {
      yield await runScenario(seen, scenario, feed, {
        device,
        ...(options.pipeline ? { pipeline: options.pipeline } : {}),
        ...(condition.landmarkNoiseMm !== undefined ? { landmarkNoiseMm: condition.landmarkNoiseMm } : {}),
        ...(condition.plan ? { plan: (plan) => condition.plan!(twin, plan, seed) } : {}),
      });
    }
  }
}

export async function accuracyReport(twin: Twin, options: AccuracyOptions = {}): Promise<AccuracyReport> {
  const seeds = options.seedList ?? SEED_SETS[options.seeds ?? 'held-out'];
  const set = options.seedList ? 'list' : (options.seeds ?? 'held-out');
  const names = options.conditions ?? CONDITION_NAMES;
  const pooled: Record<keyof FeedFigures, Pool> = { eam: pool(), fluoroBiplane: pool(), fluoroSingle: pool() };
  const conditions: Partial<Record<ConditionName, FeedFigures>> = {};
  let offset = 0;
  for (const name of names) {
    const figures: Partial<FeedFigures> = {};
    for (const [key, feed] of FEEDS) {
      if (options.feeds && !options.feeds.includes(key)) continue;
      const runs: ScenarioRun[] = [];
      for await (const run of conditionRuns(twin, name, feed, seeds, options)) runs.push(run);
      // Seqs distinct across every run of the report, so the feed's pool over conditions holds too.
      const mine = poolRuns(runs, offset);
      offset += runs.length * 10_000_000;
      // (One at a time: spread into push() passes every sample as an argument, and a condition's
      // ~100k samples overflow the stack.)
      for (const g of mine.guidance) pooled[key].guidance.push(g);
      for (const [seq, truth] of mine.truths) pooled[key].truths.set(seq, truth);
      figures[key] = scoreGuidance(mine.guidance, mine.truths);
      options.progress?.(`${name} ${feed}: branch ${figures[key]!.branchAccuracy}, median ${figures[key]!.tipErrorMedianMm} mm, p95 ${figures[key]!.tipErrorP95Mm} mm, zone ${figures[key]!.zoneAgreement}, confidently wrong ${figures[key]!.confidentlyWrongRate}`);
    }
    conditions[name] = figures as FeedFigures;
  }
  const twinToSource = defaultDeviceOptions('eam').twinToSource;
  const errors: number[] = [];
  let estimate = 0;
  const trials = 200;
  for (let seed = 1; seed <= trials; seed++) {
    const r = simulateLandmarkRegistration(twin, twinToSource, 0.58, seed);
    errors.push(registrationError(twin, r, twinToSource));
    estimate += r.treMm ?? 0;
  }
  errors.sort((a, b) => a - b);
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    eam: scoreGuidance(pooled.eam.guidance, pooled.eam.truths),
    fluoroBiplane: scoreGuidance(pooled.fluoroBiplane.guidance, pooled.fluoroBiplane.truths),
    fluoroSingle: scoreGuidance(pooled.fluoroSingle.guidance, pooled.fluoroSingle.truths),
    registration: { treMm: r3(errors[errors.length >> 1]!), treP95Mm: r3(errors[Math.floor(errors.length * 0.95)]!), treEstimateMm: r3(estimate / trials), trials, landmarks: 4, noiseMmRms: 1 },
    conditions,
    twin: twin.meta.id,
    seeds: { set, seeds: [...seeds] },
    scenarios: STANDARD_SCENARIOS,
    description:
      `twin ${twin.meta.id}; scenarios ${STANDARD_SCENARIOS.join(', ')} × ${set === 'list' ? 'the' : set} seeds ${seeds.join(', ')}; conditions ${names.join(', ')} ` +
      '(see simulators/device/conditions.ts); EAM 100 Hz in a frame rotated 25° and shifted, registered from 4 landmarks with 1 mm noise; fluoro 15 fps, LAO 30 / RAO 30',
  };
}

/** Targets by feed: [branch, median, p95, zone, confidently wrong]; null where none is set. */
export function targetsFor(feed: keyof FeedFigures, condition: ConditionName | 'pooled'): { branch: number; medianMm: number | null; p95Mm: number; zone: number | null; confidentlyWrong: number } {
  if (feed === 'fluoroSingle') return { branch: 0.97, medianMm: null, p95Mm: 4, zone: null, confidentlyWrong: 0.005 };
  const easy = condition === 'clean' || condition === 'gated';
  return { branch: easy ? 0.995 : 0.99, medianMm: 1, p95Mm: easy ? 1.5 : 2.5, zone: 0.99, confidentlyWrong: 0.001 };
}

export function meetsTargets(f: AccuracyFigures, feed: keyof FeedFigures, condition: ConditionName | 'pooled'): boolean {
  const t = targetsFor(feed, condition);
  return f.branchAccuracy >= t.branch && (t.medianMm === null || f.tipErrorMedianMm <= t.medianMm) && f.tipErrorP95Mm <= t.p95Mm && (t.zone === null || f.zoneAgreement >= t.zone) && f.confidentlyWrongRate <= t.confidentlyWrong;
}

export function formatAccuracy(report: AccuracyReport): string {
  const row = (label: string, feed: keyof FeedFigures, f: AccuracyFigures, condition: ConditionName | 'pooled'): string =>
    `${label.padEnd(34)} ${String(f.samples).padStart(7)}  ${f.branchAccuracy.toFixed(4)} (${f.branchAccuracyStrict.toFixed(3)})  ${`${f.tipErrorMedianMm.toFixed(2)}`.padStart(6)}  ${`${f.tipErrorP95Mm.toFixed(2)}`.padStart(6)}  ${f.zoneAgreement.toFixed(4)}  ${f.instructionAgreement.toFixed(4)}  ${(f.confidentlyWrongRate * 100).toFixed(3).padStart(7)} %  ${meetsTargets(f, feed, condition) ? 'met' : 'NOT MET'}`;
  const lines = ['condition / feed                   samples  branch (strict)   median  p95 mm  zone    instr.  conf.wrong  targets'];
  for (const [name, figures] of Object.entries(report.conditions) as [ConditionName, FeedFigures][]) {
    lines.push(row(`${name} · EAM`, 'eam', figures.eam, name), row(`${name} · biplane`, 'fluoroBiplane', figures.fluoroBiplane, name), row(`${name} · single plane`, 'fluoroSingle', figures.fluoroSingle, name));
  }
  lines.push(row('ALL POOLED · EAM', 'eam', report.eam, 'pooled'), row('ALL POOLED · biplane', 'fluoroBiplane', report.fluoroBiplane, 'pooled'), row('ALL POOLED · single plane', 'fluoroSingle', report.fluoroSingle, 'pooled'));
  // How right each confidence band is (pooled): the confidence claims the chance that the place is right.
  const band = (f: AccuracyFigures): string => f.calibration.map((b) => `${b.from}–${b.to}: ${((100 * b.samples) / Math.max(1, f.samples)).toFixed(1)} % of samples, ${b.samples > 0 ? `${(100 * b.right).toFixed(2)} % right` : 'none'}`).join(' · ');
  lines.push('', 'calibration, all pooled (confidence band: share of samples, right = ≤ 5 mm off and on the right branch away from a junction):');
  lines.push(`  EAM           ${band(report.eam)}`, `  biplane       ${band(report.fluoroBiplane)}`, `  single plane  ${band(report.fluoroSingle)}`);
  lines.push(
    '',
    `registration from ${report.registration.landmarks} landmarks, ${report.registration.noiseMmRms} mm noise, ${report.registration.trials} trials: TRE at the veins median ${report.registration.treMm} mm, p95 ${report.registration.treP95Mm} mm (target ≤ 2 mm); leave-one-out estimate ${report.registration.treEstimateMm} mm`,
    `conditions: ${report.description}`,
    'targets: EAM and biplane branch ≥ 0.99, median ≤ 1 mm, p95 ≤ 2.5 mm, zone ≥ 0.99, confidently wrong ≤ 0.1 % (clean and gated: branch ≥ 0.995, p95 ≤ 1.5 mm); single plane branch ≥ 0.97, p95 ≤ 4 mm, confidently wrong ≤ 0.5 %.',
    'strict = every sample; the other figure accepts either answer within 2 mm of a junction (a fork, the ostium, or where one branch name gives way to the next) or 1.5 mm of a zone border. Confidently wrong: confidence ≥ 0.8 and > 5 mm off, or on the wrong branch more than 2 mm from a junction.',
  );
  return lines.join('\n');
}
