// The stillness gauge: how far a second of measurements strays from a smooth path. A wrong solve
// here once made every real heartbeat look still (and switched motion compensation off).
import { describe, expect, it } from 'vitest';
import { StillnessGauge } from '../../server/pipeline/stillness.ts';

function fill(f: (t: number) => [number, number, number], seconds = 1.8, hz = 100): StillnessGauge {
  const g = new StillnessGauge(3);
  for (let k = 0; k <= seconds * hz; k++) g.add(k / hz, f(k / hz));
  return g;
}

describe('stillness gauge', () => {
  it("says nothing until 1.5 s are in", () => {
    expect(fill(() => [0, 0, 0], 1).wobble()).toBeNaN();
  });

  it('a steady, a slowing and a curving push are smooth paths (far from the origin, too)', () => {
    expect(fill((t) => [100 + 20 * t, -80, 300]).wobble()).toBeLessThan(1e-6);
    expect(fill((t) => [100 + 20 * t - 8 * t * t, 50 + 3 * t * t, -200 + t]).wobble()).toBeLessThan(1e-6);
  });

  it('a heartbeat is not: a 2 mm sine at 0.7–1.5 Hz strays from the fit by more than the 0.3 mm EAM threshold, whatever its phase', () => {
    for (const hz of [0.7, 0.85, 1.1, 1.5]) {
      for (let phase = 0; phase < 1; phase += 0.1) {
        const w = fill((t) => [100 + 2 * Math.sin(2 * Math.PI * (hz * t + phase)), 0, 0]).wobble();
        expect(w).toBeGreaterThan(0.4); // (a slow, smooth, noiseless beat comes closest: 0.46 mm at 0.7 Hz)
        expect(w).toBeLessThan(1.5); // at most the sine's own RMS, 1.41 mm
      }
    }
  });

  it('measurement noise alone (0.6 mm per axis) is not still either', () => {
    let seed = 7;
    const noise = (): number => { seed = (seed * 16807) % 2147483647; return (seed / 2147483647 - 0.5) * 0.6 * Math.sqrt(12); };
    expect(fill(() => [noise(), noise(), noise()]).wobble()).toBeGreaterThan(0.3);
  });
});
