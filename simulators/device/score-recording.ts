// A recording made by the device simulator, scored: its recorded guidance against the ground truth
// it carries (the same scoring as the accuracy bench). null for a recording without truth.

import type { Guidance } from '../../protocol/index.ts';
import type { Recording } from '../../server/recording/procedure-recording.ts';
import type { GroundTruth } from './device-simulator.ts';
import { scoreGuidance, type AccuracyFigures } from './score.ts';

export function scoreRecording(recording: Recording): AccuracyFigures | null {
  if (recording.truths.length === 0) return null;
  const truths = new Map<number, GroundTruth>();
  for (const t of recording.truths as GroundTruth[]) truths.set(t.seq, t);
  const guidance = recording.outputs.filter((m): m is Guidance => m.type === 'guidance');
  return scoreGuidance(guidance, truths);
}
