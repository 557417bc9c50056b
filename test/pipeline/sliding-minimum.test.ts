// The sliding minimum the motion filter reads the free-form breath's floor with: checked against
// a plain scan of the window, through a window that changes, a full queue, and a restart.
import { describe, expect, it } from 'vitest';
import { SlidingMinimum } from '../../server/pipeline/sliding-minimum.ts';

/** A deterministic wobbly signal: a breath-like swing, a drift and a saw. */
const signal = (k: number): number => 3 + 2 * Math.sin(k * 0.037) + ((k * 7919) % 13) / 10 - k * 0.001;

describe('sliding minimum', () => {
  it('says nothing until its values reach back a whole window', () => {
    const m = new SlidingMinimum();
    for (let k = 0; k < 100; k++) m.add(k * 0.01, 5);
    expect(m.minimum(0.99, 1)).toBeNaN();
    m.add(1, 5);
    expect(m.minimum(1, 1)).toBe(5);
  });

  it('is the smallest value of the window, as a plain scan finds it, while the window changes', () => {
    const m = new SlidingMinimum();
    const ts: number[] = [], vs: number[] = [];
    let latestStart = -Infinity;
    for (let k = 0; k < 3000; k++) {
      const t = k * 0.01 + (k % 3) * 0.001; // uneven steps
      const v = signal(k);
      m.add(t, v);
      ts.push(t); vs.push(v);
      const window = 2 + Math.sin(k / 200); // 1–3 s: a breathing rate read afresh
      if (t < window) continue;
      let expected = Infinity;
      for (let i = ts.length - 1; i >= 0 && ts[i]! >= t - window; i--) expected = Math.min(expected, vs[i]!);
      // What a query let go of is gone: a window reaching back no further than every earlier one is
      // exact, one reaching back further lacks what was dropped (no smaller than the scan's minimum).
      const got = m.minimum(t, window);
      expect(got).toBeGreaterThanOrEqual(expected);
      if (t - window >= latestStart) expect(got).toBe(expected);
      latestStart = Math.max(latestStart, t - window);
    }
  });

  it('a full queue drops its oldest values: the minimum is then over a shorter window, never a made-up value', () => {
    const m = new SlidingMinimum(8);
    // Rising values are all kept: 20 of them overflow 8 slots.
    for (let k = 0; k < 20; k++) m.add(k, k);
    expect(m.minimum(19, 10)).toBe(12); // the window holds 9–19, the queue 12–19
  });

  it('starts afresh when cleared', () => {
    const m = new SlidingMinimum();
    for (let k = 0; k <= 200; k++) m.add(k * 0.01, 1);
    expect(m.minimum(2, 1)).toBe(1);
    m.clear();
    m.add(3, 7);
    expect(m.minimum(3, 1)).toBeNaN();
    m.add(4, 9);
    expect(m.minimum(4, 1)).toBe(7);
  });
});
