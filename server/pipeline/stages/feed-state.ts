// Feed state from gaps in sample time: live, stale after a gap of feedStaleAfterS, lost after
// feedLostAfterS or when the transport closes. Ticks carry "now" in source time, so a feed that
// falls silent is noticed without a wall clock. The sample rate is a smoothed 1/Δt, announced with
// every state change and once per second of sample time while live.

import type { FeedState, Limits } from '../../../protocol/index.ts';
import { kept, stage, type Flow, type PipelineState } from '../flow.ts';

export function trackFeedState(limits: Pick<Limits, 'feedStaleAfterS' | 'feedLostAfterS'>, state?: PipelineState) {
  return stage<Flow, Flow>((emit) => {
    const st = kept(state, 'feed', { state: 'lost' as FeedState, lastT: -Infinity, interval: 0, announcedAt: -Infinity });
    const rate = (): number => (st.interval > 0 ? Math.round((10 / st.interval)) / 10 : 0);
    const set = (next: FeedState, t: number): void => {
      if (next === st.state && t - st.announcedAt < 1) return;
      st.state = next;
      st.announcedAt = t;
      emit({ kind: 'feed', t, state: st.state, rateHz: rate() });
    };
    return {
      next(item) {
        if (item.kind === 'sample') {
          const t = item.sample.t;
          if (Number.isFinite(st.lastT)) {
            const dt = t - st.lastT;
            // Rate from sample spacing, ignoring gaps (they are dropouts, not a slower feed).
            if (dt > 0 && dt < limits.feedStaleAfterS) st.interval = st.interval === 0 ? dt : st.interval + 0.05 * (dt - st.interval);
          }
          st.lastT = t;
          set('live', t);
          emit(item);
          return;
        }
        if (item.kind === 'tick') {
          const gap = item.t - st.lastT;
          if (gap > limits.feedLostAfterS) { if (st.state !== 'lost') set('lost', item.t); }
          else if (gap > limits.feedStaleAfterS) { if (st.state === 'live') set('stale', item.t); }
          emit(item);
          return;
        }
        if (item.kind === 'closed') {
          if (st.state !== 'lost') set('lost', item.t);
          emit(item);
          return;
        }
        emit(item);
      },
    };
  });
}
