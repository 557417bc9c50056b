// The responder probability at the tracked position. With a twin model the ONNX run is awaited;
// anything arriving meanwhile waits its turn, so outputs keep the order of the inputs. The
// synchronous path (at a site, or no model) allocates nothing beyond the outgoing item.

import type { Twin } from '../../twin/twin.ts';
import { kept, stage, type Flow, type PipelineState } from '../flow.ts';
import { ARC, BRANCH, FIELDS, IN_TREE, RESPONSE } from '../lead-placement.ts';
import { ResponseEvaluator, type ResponseValue } from '../response-evaluator.ts';

export function assessResponse(twin: Twin, state?: PipelineState) {
  return stage<Flow, Flow>((emit) => {
    const evaluator = kept(state, 'assess.evaluator', new ResponseEvaluator(twin));
    const queue: Flow[] = [];
    const scratch: ResponseValue = { p: 0, source: 'interpolated' };
    let busy = false;
    // A model run in flight is not state a checkpoint can hold: checkpoints wait for none.
    state?.whenIdle(() => !busy && queue.length === 0);
    let completeWhenIdle: (() => void) | null = null;
    const process = (item: Flow): boolean => {
      if (item.kind === 'measured') return assessMeasurement(item);
      if (item.kind !== 'track') {
        emit(item);
        return false;
      }
      // The twin's p at each electrode: from the response map or the sites, never a model run per electrode.
      const lead = item.lead ?? null;
      if (lead) {
        const d = lead.data;
        for (let e = 0; e < lead.count; e++) {
          const o = e * FIELDS;
          if (d[o + IN_TREE] !== 1) continue;
          evaluator.evaluateSync(d[o + BRANCH]!, d[o + ARC]!, scratch);
          d[o + RESPONSE] = scratch.p;
        }
      }
      const response: ResponseValue = { p: 0, source: 'interpolated' };
      const assessed: Flow = { kind: 'assessed', seq: item.seq, t: item.t, track: item.track, quality: item.quality, response, lead };
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
    /** Where a measurement was taken: the twin's QLV there, and (for a QLV) its model re-run with the measured one. */
    const assessMeasurement = (item: Extract<Flow, { kind: 'measured' }>): boolean => {
      const place = item.place;
      const o = item.electrode * FIELDS;
      if (!place || item.electrode >= place.count || place.data[o + IN_TREE] !== 1) {
        emit(item);
        return false;
      }
      const branch = place.data[o + BRANCH]!, arc = place.data[o + ARC]!;
      evaluator.evaluateSync(branch, arc, scratch);
      place.data[o + RESPONSE] = scratch.p;
      const qlv = evaluator.qlvAt(branch, arc);
      if (Number.isFinite(qlv)) item.twinQlvMs = qlv;
      const m = item.measurement;
      if (m.kind !== 'qlv' || !evaluator.usesModel) {
        emit(item);
        return false;
      }
      busy = true;
      evaluator.withMeasuredQlv(branch, arc, m.qlvMs).then(
        (p) => {
          busy = false;
          if (p !== null) item.pWithMeasuredQlv = p;
          emit(item);
          drain();
        },
        () => {
          busy = false; // the model failed: the measurement is kept without the re-evaluated p
          emit(item);
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
