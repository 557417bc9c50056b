// Ordering by seq with a bounded reorder window. An in-order sample passes at once (no added
// latency). A feed that has never delivered out of order (the usual case over WebSocket or TCP) has
// its gaps (lost samples) accepted at once too, so a dropout never stalls the display; once a feed
// has shown reordering (a sample arriving behind one already passed), an early sample waits until
// the gap before it fills, or until the window (in samples or in source time) runs out. Duplicates, late arrivals (behind what was
// already passed on), time going backwards, and samples whose tracker reported no position are
// dropped and counted by reason.

import type { FeedSample, Limits } from '../../../protocol/index.ts';
import { kept, stage, type Flow, type PipelineCounters, type PipelineState } from '../flow.ts';

export function orderSamples(limits: Pick<Limits, 'reorderWindowSamples' | 'reorderWindowS'>, counters: PipelineCounters, state?: PipelineState) {
  return stage<Flow, Flow>((emit) => {
    // reorders: this feed has delivered out of order: hold early samples from now on.
    const st = kept(state, 'order', { lastSeq: -1, lastT: -Infinity, reorders: false });
    const held: FeedSample[] = kept(state, 'order.held', []);
    const release = (sample: FeedSample): void => {
      if (sample.t < st.lastT) {
        counters.drop('time-reversed');
        return;
      }
      st.lastSeq = sample.seq;
      st.lastT = sample.t;
      emit({ kind: 'sample', sample });
    };
    const drain = (): void => {
      // Pass on the held samples that now follow without a gap.
      while (held.length > 0 && held[0]!.seq === st.lastSeq + 1) release(held.shift()!);
    };
    const expire = (now: number, force: boolean): void => {
      while (held.length > 0 && (force || held.length > limits.reorderWindowSamples || now - held[0]!.t > limits.reorderWindowS)) {
        release(held.shift()!);
        drain();
      }
    };
    return {
      next(item) {
        if (item.kind === 'tick') {
          expire(item.t, false);
          emit(item);
          return;
        }
        if (item.kind === 'closed') {
          expire(item.t, true);
          emit(item);
          return;
        }
        if (item.kind !== 'sample') {
          emit(item);
          return;
        }
        const s = item.sample;
        counters.samplesIn++;
        if (s.quality === 'missing') return counters.drop('quality-missing');
        if (s.quality === 'out-of-view') return counters.drop('quality-out-of-view');
        if (s.seq === st.lastSeq) return counters.drop('duplicate');
        if (s.seq < st.lastSeq) {
          st.reorders = true;
          return counters.drop('late');
        }
        if (held.some((h) => h.seq === s.seq)) return counters.drop('duplicate');
        if (st.lastSeq < 0 || s.seq === st.lastSeq + 1 || (!st.reorders && held.length === 0)) {
          release(s);
          drain();
          return;
        }
        // Early: hold it in seq order.
        let at = held.length;
        while (at > 0 && held[at - 1]!.seq > s.seq) at--;
        held.splice(at, 0, s);
        expire(s.t, false);
      },
      complete() {
        expire(Infinity, true);
      },
    };
  });
}
