// The responder probability at the tracked position. With a twin model the ONNX run is awaited in
// order (concatMap), so outputs keep the order of the samples.

import { concatMap, defer, from, of, type Observable } from 'rxjs';
import type { Twin } from '../../twin/twin.ts';
import type { Flow } from '../flow.ts';
import { ResponseEvaluator, type ResponseValue } from '../response-evaluator.ts';

export function assessResponse(twin: Twin) {
  return (source: Observable<Flow>): Observable<Flow> =>
    defer(() => {
      const evaluator = new ResponseEvaluator(twin);
      return source.pipe(
        concatMap((item): Observable<Flow> => {
          if (item.kind !== 'track') return of(item);
          const response: ResponseValue = { p: 0, source: 'interpolated' };
          const needsModel = evaluator.evaluateSync(item.track.branch, item.track.arcLengthMm, response);
          const assessed = (): Flow => ({ kind: 'assessed', seq: item.seq, t: item.t, track: item.track, quality: item.quality, response });
          if (!needsModel) return of(assessed());
          return from(evaluator.refineWithModel(response).then(assessed));
        }),
      );
    });
}
