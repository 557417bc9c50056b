// Feed state from gaps in sample time: live, stale after a gap of feedStaleAfterS (or, for a slow
// feed, STALE_INTERVALS of its own interval: protocol/feed-timing.ts), lost after feedLostAfterS
// (likewise) or when the transport closes. Ticks carry "now" in source time, so a feed that falls
// silent is noticed without a wall clock. The sample rate is a smoothed 1/Δt, announced with every
// state change and once per second of sample time while live.

import { lostAfterS, staleAfterS, type FeedState, type Limits } from '../../../protocol/index.ts';
import { kept, stage, type Flow, type PipelineState } from '../flow.ts';

/**
 * The feed's rhythm: the median of its last RHYTHM_GAPS sample intervals (a dropped frame or a
 * late packet moves it not at all; a fluoroscopy system switched from 15 to 4 frames/s within
 * three frames). Only a feed slower than 10 samples/s moves the stale time off its floor.
 */
const RHYTHM_GAPS = 5;

export function trackFeedState(limits: Pick<Limits, 'feedStaleAfterS' | 'feedLostAfterS'>, state?: PipelineState) {
  return stage<Flow, Flow>((emit) => {
    // staleS: the stale time now, the floor or STALE_INTERVALS of the rhythm when that is longer
    // (set as each interval is recorded).
    const st = kept(state, 'feed', { state: 'lost' as FeedState, lastT: -Infinity, interval: 0, announcedAt: -Infinity, gaps: new Float64Array(RHYTHM_GAPS), gapCount: 0, staleS: limits.feedStaleAfterS });
    const sorted = new Float64Array(RHYTHM_GAPS);
    const recordGap = (dt: number): void => {
      st.gaps[st.gapCount++ % RHYTHM_GAPS] = dt;
      const n = Math.min(st.gapCount, RHYTHM_GAPS);
      // Insertion sort of at most five (nothing allocated).
      for (let k = 0; k < n; k++) {
        const v = st.gaps[k]!;
        let j = k;
        for (; j > 0 && sorted[j - 1]! > v; j--) sorted[j] = sorted[j - 1]!;
        sorted[j] = v;
      }
      st.staleS = staleAfterS(limits.feedStaleAfterS, sorted[n >> 1]!);
    };
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
            if (dt > 0 && dt < st.staleS) st.interval = st.interval === 0 ? dt : st.interval + 0.05 * (dt - st.interval);
            // The rhythm takes every interval short of being lost: a slow feed's own spacing included.
            if (dt > 0 && dt < limits.feedLostAfterS) recordGap(dt);
          }
          st.lastT = t;
          set('live', t);
          emit(item);
          return;
        }
        if (item.kind === 'tick') {
          const gap = item.t - st.lastT;
          if (gap > lostAfterS(limits.feedLostAfterS, st.staleS)) { if (st.state !== 'lost') set('lost', item.t); }
          else if (gap > st.staleS) { if (st.state === 'live') set('stale', item.t); }
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
