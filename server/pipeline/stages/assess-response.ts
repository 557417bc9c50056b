// The responder probability at the tracked position. With a twin model the ONNX run is awaited;
// anything arriving meanwhile waits its turn, so outputs keep the order of the inputs. The
// synchronous path (at a site, or no model) allocates nothing beyond the outgoing item.

import type { Twin } from '../../twin/twin.ts';
import { kept, stage, type Flow, type PipelineState } from '../flow.ts';
import { ResponseEvaluator, type ResponseValue } from '../response-evaluator.ts';

export function assessResponse(twin: Twin, state?: PipelineState) {
  return stage<Flow, Flow>((emit) => {
    const evaluator = kept(state, 'assess.evaluator', new ResponseEvaluator(twin));
    const queue: Flow[] = [];
    let busy = false;
    // A model run in flight is not state a checkpoint can hold: checkpoints wait for none.
    state?.whenIdle(() => !busy && queue.length === 0);
    let completeWhenIdle: (() => void) | null = null;
    const process = (item: Flow): boolean => {
      if (item.kind !== 'track') {
        emit(item);
        return false;
      }
      const response: ResponseValue = { p: 0, source: 'interpolated' };
      const assessed: Flow = { kind: 'assessed', seq: item.seq, t: item.t, track: item.track, quality: item.quality, response };
      if (!evaluator.evaluateSync(item.track.branch, item.track.arcLengthMm, response)) {
        emit(assessed);
        return false;
      }
      busy = true;
      evaluator.refineWithModel(response).then(
        () => {
          busy = false;
          emit(assessed);
          drain();
        },
        () => {
          // The model failed on this sample: keep the interpolated p rather than lose the sample.
          busy = false;
          response.source = 'interpolated';
          emit(assessed);
          drain();
        },
      );
      return true;
    };
    const drain = (): void => {
      while (!busy && queue.length > 0) process(queue.shift()!);
      if (!busy && queue.length === 0 && completeWhenIdle) completeWhenIdle();
    };
    return {
      next(item) {
        if (busy || queue.length > 0) queue.push(item);
        else process(item);
      },
      complete(finish) {
        if (!busy && queue.length === 0) return false;
        completeWhenIdle = finish; // complete once the pending model run and the queue are emitted
        return true;
      },
    };
  });
}
