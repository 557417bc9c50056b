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
}

export const JUNCTION_TOLERANCE_MM = 2;
export const BORDER_TOLERANCE_MM = 1.5;

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

export function scoreGuidance(guidance: readonly Guidance[], truths: ReadonlyMap<number, GroundTruth>): AccuracyFigures {
  let n = 0, branch = 0, branchStrict = 0, zone = 0, zoneStrict = 0, instruction = 0, instructionStrict = 0;
  const errors: number[] = [];
  for (const g of guidance) {
    const truth = truths.get(g.seq);
    if (!truth) continue;
    n++;
    const sameBranch = g.tip.branch === truth.branch;
    branchStrict += sameBranch ? 1 : 0;
    branch += sameBranch || truth.junctionMm <= JUNCTION_TOLERANCE_MM ? 1 : 0;
    errors.push(Math.hypot(g.tip.p[0] - truth.p[0], g.tip.p[1] - truth.p[1], g.tip.p[2] - truth.p[2]));
    const zoneOk = g.zone.state === truth.zoneState;
    zoneStrict += zoneOk ? 1 : 0;
    zone += zoneOk || truth.borderMm <= BORDER_TOLERANCE_MM ? 1 : 0;
    const instructionOk = g.zone.instruction === truth.instruction;
    instructionStrict += instructionOk ? 1 : 0;
    instruction += instructionOk || truth.borderMm <= BORDER_TOLERANCE_MM || truth.junctionMm <= JUNCTION_TOLERANCE_MM ? 1 : 0;
  }
  errors.sort((a, b) => a - b);
  const r = (x: number): number => Math.round(x * 10000) / 10000;
  return {
    samples: n,
    branchAccuracy: r(branch / n),
    branchAccuracyStrict: r(branchStrict / n),
    tipErrorMedianMm: r(quantile(errors, 0.5)),
    tipErrorP95Mm: r(quantile(errors, 0.95)),
    zoneAgreement: r(zone / n),
    zoneAgreementStrict: r(zoneStrict / n),
    instructionAgreement: r(instruction / n),
    instructionAgreementStrict: r(instructionStrict / n),
  };
}
