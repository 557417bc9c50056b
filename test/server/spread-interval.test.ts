// Procedures created together must not keep their periodic work (ticks, recording flushes) due at
// one instant: every period all of it would run back to back while samples wait behind it.
import { afterEach, expect, it, vi } from 'vitest';
import { spreadInterval } from '../../server/spread-interval.ts';

afterEach(() => vi.useRealTimers());

it('spreads timers started together over the period, each then every period, until cleared', () => {
  vi.useFakeTimers();
  const period = 50;
  const firedAt: number[][] = [];
  const timers = Array.from({ length: 16 }, (_, k) => {
    firedAt.push([]);
    return spreadInterval(() => firedAt[k]!.push(Date.now()), period);
  });
  const t0 = Date.now();
  vi.advanceTimersByTime(10 * period);
  // Each fires every period after its first time, which lies within the first period.
  for (const times of firedAt) {
    const first = times[0]! - t0;
    expect(first).toBeGreaterThanOrEqual(0);
    expect(first).toBeLessThan(period);
    expect(times.slice(1).map((t, i) => t - times[i]!)).toEqual(Array(times.length - 1).fill(period));
  }
  // Their first times are spread: no two within 1 ms, and no gap between neighbours over a quarter period.
  const offsets = firedAt.map((times) => times[0]! - t0).sort((a, b) => a - b);
  const gaps = offsets.slice(1).map((o, i) => o - offsets[i]!);
  expect(Math.min(...gaps)).toBeGreaterThanOrEqual(1);
  expect(Math.max(...gaps, offsets[0]! + period - offsets.at(-1)!)).toBeLessThanOrEqual(period / 4);
  // Cleared, before or after the first time: nothing more.
  const counts = firedAt.map((times) => times.length);
  for (const timer of timers) timer.clear();
  vi.advanceTimersByTime(10 * period);
  expect(firedAt.map((times) => times.length)).toEqual(counts);
  const early = spreadInterval(() => { throw new Error('cleared before its first time'); }, period);
  early.clear();
  vi.advanceTimersByTime(10 * period);
  expect(vi.getTimerCount()).toBe(0);
});
