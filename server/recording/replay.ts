// Replay: a recording's inputs fed through a fresh pipeline, as fast as possible or at a pace
// relative to the recorded receive times, and the guidance compared with what was recorded, byte
// for byte (msgpack, as the displays received it).

import { Subject, type Observable } from 'rxjs';
import type { DisplayMessage } from '../../protocol/index.ts';
import { CHECKPOINT_CLASSES } from '../pipeline/checkpoint-classes.ts';
import type { PipelineInput } from '../pipeline/flow.ts';
import { applyState, sharedOfTwin } from '../pipeline/state-capture.ts';
import { decodeStartState } from './checkpoints.ts';
import { checkpointedPipelineState, guidancePipeline } from '../pipeline/procedure-pipeline.ts';
import type { Twin } from '../twin/twin.ts';
import type { Recording } from './procedure-recording.ts';
import { sameEncoding } from './same-encoding.ts';

export interface ReplayResult {
  messages: DisplayMessage[];
  /** Recorded messages compared (a crash-truncated recording may hold fewer outputs than inputs imply). */
  compared: number;
  identical: boolean;
  firstDifference?: { index: number; expected: DisplayMessage | null; actual: DisplayMessage | null };
}

export interface ReplayOptions {
  /** 'max' (default): as fast as possible; a number: that many times the recorded pace. */
  speed?: number | 'max';
  /**
   * Start delivering at this many seconds into the recording. The inputs before it still go
   * through the pipeline (as fast as possible, not delivered), so its state is exactly what it was.
   */
  seekS?: number;
  onMessage?: (message: DisplayMessage) => void;
}

export async function replayRecording(twin: Twin, recording: Recording, options: ReplayOptions = {}): Promise<ReplayResult> {
  const subject = new Subject<PipelineInput>();
  const messages: DisplayMessage[] = [];
  const start = recording.inputTimesNs[0] ?? 0n;
  const seekNs = start + BigInt(Math.round((options.seekS ?? 0) * 1e9));
  let delivering = (options.seekS ?? 0) <= 0;
  // A recording that starts from a checkpoint (a takeover's) starts its pipeline from that state.
  const from = recording.startState ? checkpointedPipelineState() : null;
  const done = new Promise<void>((resolve, reject) => {
    const pipeline: Observable<DisplayMessage> = subject.pipe(guidancePipeline(twin, { procedureId: recording.meta.procedureId, ...(from ?? {}) }));
    pipeline.subscribe({
      next: (m) => {
        messages.push(m);
        if (delivering) options.onMessage?.(m);
      },
      error: reject,
      complete: resolve,
    });
  });
  // (Into the stages' own state, which they make when the pipeline is subscribed, as a procedure does.)
  if (from) applyState(from.state.roots, decodeStartState(recording.startState!).state, sharedOfTwin(twin), CHECKPOINT_CLASSES);
  const speed = options.speed ?? 'max';
  let wallStart = process.hrtime.bigint();
  let paceFrom = start;
  for (let k = 0; k < recording.inputs.length; k++) {
    if (!delivering && recording.inputTimesNs[k]! >= seekNs) {
      delivering = true;
      wallStart = process.hrtime.bigint();
      paceFrom = recording.inputTimesNs[k]!;
    }
    if (speed !== 'max' && delivering) {
      const due = Number(recording.inputTimesNs[k]! - paceFrom) / speed;
      const wait = due - Number(process.hrtime.bigint() - wallStart);
      if (wait > 1e6) await new Promise((r) => setTimeout(r, wait / 1e6));
    }
    subject.next(recording.inputs[k]!);
  }
  subject.complete();
  await done;
  // Compare as many as both have: a crash may have cut the recorded outputs short.
  const compared = Math.min(messages.length, recording.outputs.length);
  for (let i = 0; i < compared; i++) {
    if (!sameEncoding(recording.outputs[i]!, messages[i]!)) return { messages, compared, identical: false, firstDifference: { index: i, expected: recording.outputs[i]!, actual: messages[i]! } };
  }
  const complete = recording.indexed ? messages.length === recording.outputs.length : true;
  return complete
    ? { messages, compared, identical: true }
    : { messages, compared, identical: false, firstDifference: { index: compared, expected: recording.outputs[compared] ?? null, actual: messages[compared] ?? null } };
}
