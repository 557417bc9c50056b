// Scoring guidance against ground truth: branch identified, tip error, zone-state and instruction
// agreement. Strict figures count every sample; the tolerant ones accept either answer where the
// truth itself is ambiguous at the tracking's resolution (within 2 mm of a junction for the
// branch, within the hysteresis band of a zone border for zone state and instruction).

import type { Guidance } from '../../protocol/index.ts';
import type { GroundTruth } from './device-simulator.ts';

export interface AccuracyFigures {
  samples: number;
  branchAccuracy: number;
  branchAccuracyStrict: number;
  tipErrorMedianMm: number;
  tipErrorP95Mm: number;
  zoneAgreement: number;
  zoneAgreementStrict: number;
  instructionAgreement: number;
  instructionAgreementStrict: number;
  /**
   * Samples reported with confidence ≥ 0.8 that are more than 5 mm off, or on the wrong branch
   * away from a junction (the tolerance above): the display was sure, and wrong.
   */
  confidentlyWrongRate: number;
  /** Calibration: per confidence band, how many samples and what fraction were right (branch and ≤ 5 mm). */
  calibration: { from: number; to: number; samples: number; right: number }[];
}

/** Runs pooled for one score: each run's seqs moved `spacing` apart (from `offset`) so each guidance meets its own truth. */
export function poolRuns(runs: readonly { guidance: readonly Guidance[]; truths: ReadonlyMap<number, GroundTruth> }[], offset = 0, spacing = 10_000_000): { guidance: Guidance[]; truths: Map<number, GroundTruth> } {
  const guidance: Guidance[] = [];
  const truths = new Map<number, GroundTruth>();
  runs.forEach((run, k) => {
    const shift = offset + k * spacing;
    for (const g of run.guidance) guidance.push({ ...g, seq: g.seq + shift });
    for (const [seq, truth] of run.truths) truths.set(seq + shift, truth);
  });
  return { guidance, truths };
}

export const CONFIDENT = 0.8;
export const WRONG_BY_MM = 5;
const BANDS = [0, 0.2, 0.5, 0.8, 0.95, 1.0001];

export const JUNCTION_TOLERANCE_MM = 2;
export const BORDER_TOLERANCE_MM = 1.5;

/** The q-quantile of sorted values, as every figure here takes it (NaN when there are none). */
export function quantileOfSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

/** How far the shown tip is from where the lead truly is (mm). */
export function tipErrorMm(g: Guidance, truth: GroundTruth): number {
  return Math.hypot(g.tip.p[0] - truth.p[0], g.tip.p[1] - truth.p[1], g.tip.p[2] - truth.p[2]);
}

/** Wrong as every figure counts it: more than WRONG_BY_MM off, or on another branch away from a junction. */
export function isWrong(g: Guidance, truth: GroundTruth, errorMm = tipErrorMm(g, truth)): boolean {
  return errorMm > WRONG_BY_MM || (g.tip.branch !== truth.branch && truth.junctionMm > JUNCTION_TOLERANCE_MM);
}

/**
 * The instruction agrees with the truth's, as the instruction agreement counts it: the same, or the
 * truth within BORDER_TOLERANCE_MM of a zone border or JUNCTION_TOLERANCE_MM of a junction (where
 * either instruction is as right). A withheld instruction ('none') agrees only where the truth's is
 * none too, or within those tolerances.
 */
export function instructionAgrees(g: Guidance, truth: GroundTruth): boolean {
  return g.zone.instruction === truth.instruction || truth.borderMm <= BORDER_TOLERANCE_MM || truth.junctionMm <= JUNCTION_TOLERANCE_MM;
}

/** Sure and wrong (confidently wrong): wrong at confidence ≥ CONFIDENT. */
export function isSureAndWrong(g: Guidance, truth: GroundTruth, errorMm = tipErrorMm(g, truth)): boolean {
  return g.tip.confidence >= CONFIDENT && isWrong(g, truth, errorMm);
}

export function scoreGuidance(guidance: readonly Guidance[], truths: ReadonlyMap<number, GroundTruth>): AccuracyFigures {
  let n = 0, branch = 0, branchStrict = 0, zone = 0, zoneStrict = 0, instruction = 0, instructionStrict = 0, confidentlyWrong = 0;
  const bandSamples = new Array<number>(BANDS.length - 1).fill(0);
  const bandRight = new Array<number>(BANDS.length - 1).fill(0);
  const errors: number[] = [];
  for (const g of guidance) {
    const truth = truths.get(g.seq);
    if (!truth) continue;
    n++;
    const sameBranch = g.tip.branch === truth.branch;
    branchStrict += sameBranch ? 1 : 0;
    branch += sameBranch || truth.junctionMm <= JUNCTION_TOLERANCE_MM ? 1 : 0;
    const error = tipErrorMm(g, truth);
    errors.push(error);
    const wrong = isWrong(g, truth, error);
    if (wrong && g.tip.confidence >= CONFIDENT) confidentlyWrong++;
    const band = BANDS.findIndex((b, k) => g.tip.confidence >= b && g.tip.confidence < BANDS[k + 1]!);
    if (band >= 0) {
      bandSamples[band]!++;
      if (!wrong) bandRight[band]!++;
    }
    const zoneOk = g.zone.state === truth.zoneState;
    zoneStrict += zoneOk ? 1 : 0;
    zone += zoneOk || truth.borderMm <= BORDER_TOLERANCE_MM ? 1 : 0;
    instructionStrict += g.zone.instruction === truth.instruction ? 1 : 0;
    instruction += instructionAgrees(g, truth) ? 1 : 0;
  }
  errors.sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x * 10000) / 10000;
  return {
    samples: n,
    branchAccuracy: r(branch / n),
    branchAccuracyStrict: r(branchStrict / n),
    tipErrorMedianMm: r(quantileOfSorted(errors, 0.5)),
    tipErrorP95Mm: r(quantileOfSorted(errors, 0.95)),
    zoneAgreement: r(zone / n),
    zoneAgreementStrict: r(zoneStrict / n),
    instructionAgreement: r(instruction / n),
    instructionAgreementStrict: r(instructionStrict / n),
    confidentlyWrongRate: Math.round((confidentlyWrong / n) * 1e6) / 1e6,
    calibration: bandSamples.map((samples, k) => ({ from: BANDS[k]!, to: Math.min(1, BANDS[k + 1]!), samples, right: samples > 0 ? r(bandRight[k]! / samples) : 0 })),
  };
}
