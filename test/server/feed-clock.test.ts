// The feed clock at the edge: plausible steps pass at once, a corrupt time never becomes the
// reference, a restart is followed (said with a reset, or agreed on by a few samples), and the
// procedure's own time and seq only ever run forward.
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, TwinguideError, type FeedSample } from '../../protocol/index.ts';
import { FeedClock, REANCHOR_AFTER } from '../../server/procedures/feed-clock.ts';

const tip = (seq: number, t: number): FeedSample => ({ type: 'tip', seq, t, p: [0, 0, 0] });

/** Feed samples at 100 Hz of server time from `start`; returns what passed, and the codes refused. */
function run(clock: FeedClock, samples: { seq: number; t: number; at: number }[]): { passed: FeedSample[]; refused: string[] } {
  const passed: FeedSample[] = [];
  const refused: string[] = [];
  for (const s of samples) {
    try {
      passed.push(...clock.admit(tip(s.seq, s.t), s.at).samples);
    } catch (e) {
      refused.push((e as TwinguideError).code);
    }
  }
  return { passed, refused };
}
const steady = (from: number, n: number, t0: number, at0: number) => Array.from({ length: n }, (_, k) => ({ seq: from + k, t: t0 + k * 0.01, at: at0 + k * 0.01 }));

describe('FeedClock', () => {
  it('passes a steady feed unchanged, from any origin', () => {
    for (const origin of [-4e9, 0, 1.7e9]) {
      const clock = new FeedClock(DEFAULT_LIMITS);
      const { passed, refused } = run(clock, steady(7, 100, origin, 50));
      expect(refused).toEqual([]);
      expect(passed.map((s) => s.t)).toEqual(steady(7, 100, origin, 50).map((s) => s.t));
    }
  });

  it('follows a pause: time and server clock move together', () => {
    const clock = new FeedClock(DEFAULT_LIMITS);
    const { passed, refused } = run(clock, [...steady(0, 10, 0, 0), ...steady(10, 10, 600, 600)]);
    expect(refused).toEqual([]);
    expect(passed).toHaveLength(20);
  });

  it('holds a sample that runs ahead until the next confirms it (a dropout sent in a burst) …', () => {
    const clock = new FeedClock(DEFAULT_LIMITS);
    const { passed } = run(clock, [...steady(0, 10, 0, 0), { seq: 10, t: 3.1, at: 0.1 }, { seq: 11, t: 3.11, at: 0.1 }]);
    expect(passed.map((s) => s.seq)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
  });

  it('… and drops it when the next contradicts it (a corrupt time), which never becomes the reference', () => {
    const clock = new FeedClock(DEFAULT_LIMITS);
    const { passed, refused } = run(clock, [...steady(0, 10, 0, 0), { seq: 10, t: 50, at: 0.1 }, ...steady(11, 10, 0.11, 0.11)]);
    expect(refused).toEqual([]);
    expect(passed.map((s) => s.seq)).toEqual([...Array(10).keys(), ...Array.from({ length: 10 }, (_, k) => 11 + k)]);
    expect(clock.contradicted).toBe(1);
  });

  it('a held sample with nothing after it is released as confirmed a quarter second later', () => {
    const clock = new FeedClock(DEFAULT_LIMITS);
    run(clock, [...steady(0, 10, 0, 0), { seq: 10, t: 5, at: 0.1 }]);
    expect(clock.releaseHeld(0.2)).toBeNull();
    expect(clock.releaseHeld(0.4)?.seq).toBe(10);
  });

  it('refuses years ahead or behind, and re-anchors once enough samples agree on a new clock', () => {
    const clock = new FeedClock(DEFAULT_LIMITS);
    const restarted = steady(0, REANCHOR_AFTER + 3, 0, 100.1).map((s) => ({ ...s, t: s.t + 3e8 }));
    const { passed, refused } = run(clock, [...steady(0, 10, 100, 100), ...restarted]);
    expect(refused).toEqual(Array(REANCHOR_AFTER - 1).fill('TG_ERR_CLOCK_JUMP'));
    expect(clock.reanchors).toBe(1);
    // The procedure's time and seq ran on from where they were.
    const ts = passed.map((s) => s.t);
    expect(ts.every((t, k) => k === 0 || t > ts[k - 1]!)).toBe(true);
    expect(ts.at(-1)!).toBeLessThan(101);
    const seqs = passed.map((s) => s.seq);
    expect(seqs.every((s, k) => k === 0 || s === seqs[k - 1]! + 1)).toBe(true);
  });

  it('a reset re-anchors at once; a seq that wraps while time runs on carries on', () => {
    const clock = new FeedClock(DEFAULT_LIMITS);
    run(clock, steady(2 ** 32 - 5, 5, 10, 10));
    const wrapped = run(clock, steady(0, 5, 10.05, 10.05));
    expect(wrapped.refused).toEqual([]);
    expect(wrapped.passed.map((s) => s.seq)).toEqual([2 ** 32, 2 ** 32 + 1, 2 ** 32 + 2, 2 ** 32 + 3, 2 ** 32 + 4]);
    clock.reset({ type: 'reset', seq: 0, t: -50 }, 11);
    const after = run(clock, steady(0, 3, -50, 11));
    expect(after.refused).toEqual([]);
    expect(after.passed[0]!.seq).toBe(2 ** 32 + 5);
    expect(after.passed[0]!.t).toBeGreaterThan(10.09);
  });

  it('refuses more samples than the rate allows in the time that passed', () => {
    const clock = new FeedClock(DEFAULT_LIMITS);
    const { refused } = run(clock, [...steady(0, 10, 0, 0), { seq: 2 ** 52, t: 0.1, at: 0.1 }]);
    expect(refused).toEqual(['TG_ERR_CLOCK_JUMP']);
  });

  it('a simulator or replay run faster than real time is not taken for a clock jump', () => {
    const clock = new FeedClock(DEFAULT_LIMITS);
    clock.speed = 100;
    const samples = Array.from({ length: 50 }, (_, k) => ({ seq: k, t: k * 0.5 + (k === 25 ? 120 : 0) + (k > 25 ? 120 : 0), at: k * 0.005 + (k >= 25 ? 1.2 : 0) }));
    expect(run(clock, samples).refused).toEqual([]);
  });
});
