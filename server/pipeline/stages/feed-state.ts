// Feed state from gaps in sample time: live, stale after a gap of feedStaleAfterS, lost after
// feedLostAfterS or when the transport closes. Ticks carry "now" in source time, so a feed that
// falls silent is noticed without a wall clock. The sample rate is a smoothed 1/Δt, announced with
// every state change and once per second of sample time while live.

import type { FeedState, Limits } from '../../../protocol/index.ts';
import { stage, type Flow } from '../flow.ts';

export function trackFeedState(limits: Pick<Limits, 'feedStaleAfterS' | 'feedLostAfterS'>) {
  return stage<Flow, Flow>((emit) => {
    let state: FeedState = 'lost';
    let lastT = -Infinity;
    let interval = 0;
    const rate = (): number => (interval > 0 ? Math.round((10 / interval)) / 10 : 0);
    let announcedAt = -Infinity;
    const set = (next: FeedState, t: number): void => {
      if (next === state && t - announcedAt < 1) return;
      state = next;
      announcedAt = t;
      emit({ kind: 'feed', t, state, rateHz: rate() });
    };
    return {
      next(item) {
        if (item.kind === 'sample') {
          const t = item.sample.t;
          if (Number.isFinite(lastT)) {
            const dt = t - lastT;
            // Rate from sample spacing, ignoring gaps (they are dropouts, not a slower feed).
            if (dt > 0 && dt < limits.feedStaleAfterS) interval = interval === 0 ? dt : interval + 0.05 * (dt - interval);
          }
          lastT = t;
          set('live', t);
          emit(item);
          return;
        }
        if (item.kind === 'tick') {
          const gap = item.t - lastT;
          if (gap > limits.feedLostAfterS) { if (state !== 'lost') set('lost', item.t); }
          else if (gap > limits.feedStaleAfterS) { if (state === 'live') set('stale', item.t); }
          emit(item);
          return;
        }
        if (item.kind === 'closed') {
          if (state !== 'lost') set('lost', item.t);
          emit(item);
          return;
        }
        emit(item);
      },
    };
  });
}
