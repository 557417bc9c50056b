// The standard accuracy run: the scenarios on the demo twins for each feed kind, with cardiac and
// respiratory motion, ~1 mm noise, 2 % dropouts and a 500 ms gap, scored against ground truth; and
// the landmark registration's target error from 4 landmarks with 1 mm noise.

import type { Guidance } from '../../protocol/index.ts';
import type { Twin } from '../../server/twin/twin.ts';
import type { FeedKind, GroundTruth } from './device-simulator.ts';
import { defaultDeviceOptions } from './device-simulator.ts';
import { registrationError, runScenario, simulateLandmarkRegistration } from './run-scenario.ts';
import type { ScenarioName } from './scenarios.ts';
import { scoreGuidance, type AccuracyFigures } from './score.ts';

export interface AccuracyReport {
  eam: AccuracyFigures;
  fluoroBiplane: AccuracyFigures;
  fluoroSingle: AccuracyFigures;
  registration: { treMm: number; treP95Mm: number; treEstimateMm: number; trials: number; landmarks: number; noiseMmRms: number };
  conditions: string;
}

export const STANDARD_SCENARIOS: ScenarioName[] = ['reach-lateral-zone', 'wrong-branch-then-correct', 'tour'];
export const ACCURACY_SEEDS = [1, 2, 3, 4, 5, 6];

export async function accuracyReport(demo: Twin, progress?: (line: string) => void): Promise<AccuracyReport> {
  const figures = async (feed: FeedKind): Promise<AccuracyFigures> => {
    const guidance: Guidance[] = [];
    const truths = new Map<number, GroundTruth>();
    let offset = 0;
    for (const seed of ACCURACY_SEEDS) {
      for (const name of STANDARD_SCENARIOS) {
        const run = await runScenario(demo, name, feed, { device: { seed, dropoutFraction: 0.02, gaps: [[6, 0.5]] } });
        // Keep seqs distinct across runs so each guidance meets its own truth.
        for (const g of run.guidance) guidance.push({ ...g, seq: g.seq + offset });
        for (const [seq, truth] of run.truths) truths.set(seq + offset, truth);
        offset += 10_000_000;
        progress?.(`${feed} ${name} seed ${seed}: ${run.guidance.length} guidance messages`);
      }
    }
    return scoreGuidance(guidance, truths);
  };
  const eam = await figures('eam');
  const fluoroBiplane = await figures('fluoro-biplane');
  const fluoroSingle = await figures('fluoro-single');
  const twinToSource = defaultDeviceOptions('eam').twinToSource;
  const errors: number[] = [];
  let estimate = 0;
  const trials = 200;
  for (let seed = 1; seed <= trials; seed++) {
    const r = simulateLandmarkRegistration(demo, twinToSource, 0.58, seed);
    errors.push(registrationError(demo, r, twinToSource));
    estimate += r.treMm ?? 0;
  }
  errors.sort((a, b) => a - b);
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    eam,
    fluoroBiplane,
    fluoroSingle,
    registration: { treMm: r3(errors[errors.length >> 1]!), treP95Mm: r3(errors[Math.floor(errors.length * 0.95)]!), treEstimateMm: r3(estimate / trials), trials, landmarks: 4, noiseMmRms: 1 },
    conditions:
      `demo twin; scenarios ${STANDARD_SCENARIOS.join(', ')} × seeds ${ACCURACY_SEEDS.join(', ')}; cardiac 0.85–1.45 Hz, 8 mm peak-to-peak at the base (±3 % rate variability); ` +
      'respiratory 0.18–0.32 Hz, 5 mm; noise 0.6 mm per axis (≈1 mm RMS); 2 % dropouts; a 500 ms gap; EAM 100 Hz in a frame rotated 25° and shifted; fluoro 15 fps, LAO 30 / RAO 30',
  };
}

export function formatAccuracy(report: AccuracyReport): string {
  const rows: [string, AccuracyFigures, string][] = [
    ['EAM', report.eam, 'branch ≥ 0.99, median ≤ 1, p95 ≤ 2.5, zone ≥ 0.99'],
    ['fluoro biplane', report.fluoroBiplane, 'branch ≥ 0.99, median ≤ 1, p95 ≤ 2.5, zone ≥ 0.99'],
    ['fluoro single plane', report.fluoroSingle, 'branch ≥ 0.97, p95 ≤ 4'],
  ];
  const lines = [
    'feed                 samples  branch (strict)   tip median  tip p95   zone (strict)     instruction (strict)   targets',
    ...rows.map(([name, f, target]) =>
      `${name.padEnd(20)} ${String(f.samples).padStart(7)}  ${f.branchAccuracy.toFixed(4)} (${f.branchAccuracyStrict.toFixed(3)})  ${`${f.tipErrorMedianMm.toFixed(2)} mm`.padStart(10)}  ${`${f.tipErrorP95Mm.toFixed(2)} mm`.padStart(8)}  ${f.zoneAgreement.toFixed(4)} (${f.zoneAgreementStrict.toFixed(3)})  ${f.instructionAgreement.toFixed(4)} (${f.instructionAgreementStrict.toFixed(3)})      ${target}`,
    ),
    '',
    `registration from ${report.registration.landmarks} landmarks, ${report.registration.noiseMmRms} mm noise, ${report.registration.trials} trials: TRE at the veins median ${report.registration.treMm} mm, p95 ${report.registration.treP95Mm} mm (target ≤ 2 mm); leave-one-out estimate ${report.registration.treEstimateMm} mm`,
    `conditions: ${report.conditions}`,
    'strict = every sample; the other figure accepts either answer within 2 mm of a junction (branch: a fork, the ostium, or where one branch name gives way to the next) or 1.5 mm of a zone border (zone, instruction).',
  ];
  return lines.join('\n');
}
