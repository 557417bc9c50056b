import { from, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type FeedSample } from '../../protocol/index.ts';
import { PipelineCounters, type Flow } from '../../server/pipeline/flow.ts';
import { trackFeedState } from '../../server/pipeline/stages/feed-state.ts';
import { orderSamples } from '../../server/pipeline/stages/order-samples.ts';

const tip = (seq: number, t = seq * 0.01, quality?: FeedSample['quality']): Flow => ({ kind: 'sample', sample: { type: 'tip', seq, t, p: [0, 0, 0], ...(quality ? { quality } : {}) } });
const seqs = (flows: Flow[]): number[] => flows.flatMap((f) => (f.kind === 'sample' ? [f.sample.seq] : []));

async function order(input: Flow[], counters = new PipelineCounters()): Promise<Flow[]> {
  return lastValueFrom(from(input).pipe(orderSamples(DEFAULT_LIMITS, counters), toArray()));
}

describe('orderSamples', () => {
  it('passes in-order samples straight through', async () => {
    expect(seqs(await order([tip(1), tip(2), tip(3)]))).toEqual([1, 2, 3]);
  });

  it('passes the gaps of an in-order feed at once: a lost sample never stalls the display', async () => {
    const counters = new PipelineCounters();
    expect(seqs(await order([tip(1), tip(3), tip(4), tip(7)], counters))).toEqual([1, 3, 4, 7]);
    expect(counters.dropped.late ?? 0).toBe(0);
  });

  it('restores order within the window once the feed has delivered out of order', async () => {
    const counters = new PipelineCounters();
    // 2 arrives behind 3: dropped as late, and from then on early samples wait for their gap.
    expect(seqs(await order([tip(1), tip(3), tip(2), tip(5), tip(4), tip(6)], counters))).toEqual([1, 3, 4, 5, 6]);
    expect(counters.dropped.late).toBe(1);
  });

  it('drops and counts duplicates and late samples', async () => {
    const counters = new PipelineCounters();
    const out = await order([tip(1), tip(2), tip(2), tip(3), tip(1)], counters);
    expect(seqs(out)).toEqual([1, 2, 3]);
    expect(counters.dropped.duplicate).toBe(1);
    expect(counters.dropped.late).toBe(1);
    expect(counters.samplesIn).toBe(5);
  });

  it('accepts a gap once the window has passed (in samples or in time)', async () => {
    // The feed has reordered (1 behind 2); then seq 4 never comes: after 16 later samples it is given up on.
    const input = [tip(2), tip(1), tip(3), ...Array.from({ length: 20 }, (_, k) => tip(k + 5))];
    expect(seqs(await order(input))).toEqual([2, 3, ...Array.from({ length: 20 }, (_, k) => k + 5)]);
    // In time: a tick 0.2 s later releases what was held (before the stream ends).
    const held = await lastValueFrom(from([tip(2), tip(1), tip(3), tip(5), { kind: 'tick', t: 0.3 } as Flow]).pipe(orderSamples(DEFAULT_LIMITS, new PipelineCounters()), toArray()));
    expect(held.map((f) => f.kind)).toEqual(['sample', 'sample', 'sample', 'tick']);
  });

  it('drops and counts samples whose tracker had no position', async () => {
    const counters = new PipelineCounters();
    const out = await order([tip(1), tip(2, 0.02, 'missing'), tip(3, 0.03, 'out-of-view'), tip(4)], counters);
    expect(seqs(out)).toEqual([1, 4]);
    expect(counters.dropped['quality-missing']).toBe(1);
    expect(counters.dropped['quality-out-of-view']).toBe(1);
  });

  it('drops samples whose time runs backwards', async () => {
    const counters = new PipelineCounters();
    expect(seqs(await order([tip(1, 1), tip(2, 0.5), tip(3, 1.1)], counters))).toEqual([1, 3]);
    expect(counters.dropped['time-reversed']).toBe(1);
  });
});

describe('trackFeedState', () => {
  const states = async (input: Flow[]): Promise<string[]> =>
    (await lastValueFrom(from(input).pipe(trackFeedState(DEFAULT_LIMITS), toArray()))).flatMap((f) => (f.kind === 'feed' ? [`${f.state}@${f.t}`] : []));

  it('goes live with the first sample, stale after 250 ms without one, lost after 2 s, live again on the next', async () => {
    expect(await states([tip(1, 0), tip(2, 0.01), { kind: 'tick', t: 0.2 }, { kind: 'tick', t: 0.3 }, { kind: 'tick', t: 1 }, { kind: 'tick', t: 2.1 }, tip(3, 2.2)])).toEqual(['live@0', 'stale@0.3', 'lost@2.1', 'live@2.2']);
  });

  it('is lost when the transport closes', async () => {
    expect(await states([tip(1, 0), { kind: 'closed', t: 0.05 }])).toEqual(['live@0', 'lost@0.05']);
  });

  it('reports the sample rate from sample spacing', async () => {
    const out = await lastValueFrom(from([...Array.from({ length: 50 }, (_, k) => tip(k + 1, k / 100)), { kind: 'tick', t: 0.8 } as Flow]).pipe(trackFeedState(DEFAULT_LIMITS), toArray()));
    const stale = out.find((f) => f.kind === 'feed' && f.state === 'stale');
    expect(stale && stale.kind === 'feed' ? stale.rateHz : 0).toBeCloseTo(100, 0);
  });

  /** Frames every `interval` s from t = 0 with the server's 50 ms ticks between them; `missing`: frame numbers not sent. */
  const slowFeed = (interval: number, frames: number, missing: number[] = [], t0 = 0, seq0 = 1): Flow[] => {
    const out: Flow[] = [];
    for (let k = 0; k < frames; k++) {
      const t = t0 + k * interval;
      if (!missing.includes(k)) out.push(tip(seq0 + k, t));
      for (let g = 0.05; g < interval - 1e-9; g += 0.05) out.push({ kind: 'tick', t: t + g });
    }
    return out;
  };

  it('a slow feed (fluoroscopy at 4 frames/s) stays live between its frames and over one dropped frame; stale after 2.5 of its intervals', async () => {
    // Frames 10 and 20 dropped; after frame 39 (t 9.75 s) nothing more but ticks to 12 s.
    const input = [...slowFeed(0.25, 40, [10, 20]), ...Array.from({ length: 45 }, (_, k): Flow => ({ kind: 'tick', t: 9.8 + 0.05 * k }))];
    const got = await states(input);
    expect(got[0]).toBe('live@0');
    expect(got.filter((s) => s.startsWith('stale')).map((s) => Number(s.split('@')[1]))).toEqual([expect.closeTo(9.75 + 0.65, 5)]);
    expect(got.at(-1)!.startsWith('lost@')).toBe(true);
    expect(Number(got.at(-1)!.split('@')[1])).toBeCloseTo(9.75 + 2.05, 5);
    // The rate it reports is its own.
    const out = await lastValueFrom(from(input).pipe(trackFeedState(DEFAULT_LIMITS), toArray()));
    const stale = out.find((f) => f.kind === 'feed' && f.state === 'stale');
    expect(stale && stale.kind === 'feed' ? stale.rateHz : 0).toBeCloseTo(4, 0);
  });

  it('follows a feed that slows from 15 to 3 frames/s within a few frames, and a fast feed keeps its 250 ms', async () => {
    const fast = slowFeed(1 / 15, 30);
    const slow = slowFeed(1 / 3, 30, [], 2, 31);
    const got = await states([...fast, ...slow]);
    // Only the first slow frames read as stale (the rhythm is still 15 fps); none after the third.
    const staleAt = got.filter((s) => s.startsWith('stale')).map((s) => Number(s.split('@')[1]));
    expect(staleAt.length).toBeGreaterThan(0);
    expect(staleAt.every((t) => t < 2 + 3 / 3)).toBe(true);
    // 100 Hz: one 0.3 s gap is stale at the floor, 0.25 s, as before.
    expect(await states([...Array.from({ length: 20 }, (_, k) => tip(k + 1, k / 100)), { kind: 'tick', t: 0.19 + 0.25 }, { kind: 'tick', t: 0.19 + 0.26 }])).toEqual(['live@0', 'stale@0.45']);
  });
});
