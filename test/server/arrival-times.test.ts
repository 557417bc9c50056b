import { describe, expect, it } from 'vitest';
import { ArrivalTimes } from '../../server/procedures/arrival-times.ts';

describe('ArrivalTimes', () => {
  it('gives back when each of the recent samples arrived, and forgets the old ones', () => {
    const arrivals = new ArrivalTimes();
    for (let seq = 1000; seq < 1000 + 2000; seq++) arrivals.set(seq, seq * 10 + 0.25);
    // The newest 512 are remembered exactly.
    for (let seq = 2999; seq > 2999 - 512; seq--) expect(arrivals.get(seq)).toBe(seq * 10 + 0.25);
    // Older ones (their slots reused) and ones never seen are not made up.
    expect(arrivals.get(2999 - 512)).toBeUndefined();
    expect(arrivals.get(1000)).toBeUndefined();
    expect(arrivals.get(5000)).toBeUndefined();
  });

  it('takes any seq a feed may send (zero, huge, out of order) without mixing them up', () => {
    const arrivals = new ArrivalTimes();
    arrivals.set(0, 1);
    arrivals.set(2 ** 53 - 1, 2);
    arrivals.set(7, 3);
    arrivals.set(5, 4);
    expect(arrivals.get(0)).toBe(1);
    expect(arrivals.get(2 ** 53 - 1)).toBe(2);
    expect(arrivals.get(7)).toBe(3);
    expect(arrivals.get(5)).toBe(4);
    expect(arrivals.get(512)).toBeUndefined(); // same slot as 0
  });
});
