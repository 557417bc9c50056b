// hypot2/hypot3 stand in for Math.hypot on the per-sample path: the same number, bit for bit, or a
// branch decision downstream could change with the replacement.
import { describe, expect, it } from 'vitest';
import { hypot2, hypot3 } from '../../server/geometry/hypot.ts';

const SPECIALS = [0, -0, 1, -1, 5e-324, 1e-310, 1e-160, 0.1, 3, 4, 1e160, 1e308, Number.MAX_VALUE, Infinity, -Infinity, Number.NaN];

describe('hypot2 and hypot3', () => {
  it('equal Math.hypot on zeros, subnormals, extremes, infinities and NaN', () => {
    for (const a of SPECIALS) {
      for (const b of SPECIALS) {
        expect(Object.is(hypot2(a, b), Math.hypot(a, b)), `hypot2(${a}, ${b})`).toBe(true);
        for (const c of SPECIALS) expect(Object.is(hypot3(a, b, c), Math.hypot(a, b, c)), `hypot3(${a}, ${b}, ${c})`).toBe(true);
      }
    }
  });

  it('equal Math.hypot bit for bit on 300,000 random triples over twelve decades', () => {
    let seed = 7;
    const random = (): number => { seed = (seed * 16807) % 2147483647; return seed / 2147483647; };
    const value = (): number => (random() - 0.5) * 10 ** Math.floor(random() * 12 - 6);
    let mismatches = 0;
    for (let i = 0; i < 300_000; i++) {
      const a = value(), b = value(), c = value();
      if (hypot3(a, b, c) !== Math.hypot(a, b, c)) mismatches++;
      if (hypot2(a, b) !== Math.hypot(a, b)) mismatches++;
    }
    expect(mismatches).toBe(0);
  });
});
