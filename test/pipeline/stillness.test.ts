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

describe('stillness gauge: the measurement noise it reads', () => {
  let seed = 11;
  const gauss = (): number => {
    seed = (seed * 16807) % 2147483647; const u = seed / 2147483647;
    seed = (seed * 16807) % 2147483647; const v = seed / 2147483647;
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  };
  /** Mean over many windows of noiseVariance() / the true noise variance (summed over the axes). */
  const readOver = (dims: number, hz: number, sigma: number, path: (t: number) => number): number => {
    const g = new StillnessGauge(dims);
    let sum = 0, n = 0;
    for (let k = 0; k < hz * 60; k++) {
      const t = k / hz;
      g.add(t, Array.from({ length: dims }, (_, a) => (a === 0 ? path(t) : 0) + sigma * gauss()));
      if (t > 2 && k % Math.round(hz * 1.5) === 0) { sum += g.noiseVariance() / (dims * sigma * sigma); n++; }
    }
    return sum / n;
  };

  it('white noise reads as itself (EAM at 100 Hz, a view at 15 frames a second), and a steady push adds nothing', () => {
    expect(readOver(3, 100, 0.6, () => 0)).toBeGreaterThan(0.85);
    expect(readOver(3, 100, 0.6, () => 0)).toBeLessThan(1.15);
    expect(readOver(2, 15, 4, () => 0)).toBeGreaterThan(0.75);
    expect(readOver(2, 15, 4, () => 0)).toBeLessThan(1.25);
    expect(readOver(2, 15, 4, (t) => 180 * t)).toBeLessThan(1.3); // 12 mm/s at 15 frames a second
  });

  it('a beating heart does not read as noise, even with a quick systole at 15 frames a second', () => {
    // 50 px (7.5 mm) toward the apex in 0.12 s, back over the rest of the beat: a few second
    // differences are huge, which a mean would read as noise 20× the true one.
    const beat = (t: number): number => { const ph = (t * 1.2) % 1; return ph < 0.15 ? (50 * ph) / 0.15 : 50 * Math.exp(-(ph - 0.15) * 8); };
    expect(readOver(2, 15, 4, beat)).toBeLessThan(3);
    const g = new StillnessGauge(2);
    for (let k = 0; k < 15 * 10; k++) g.add(k / 15, [beat(k / 15) + 4 * gauss(), 4 * gauss()]);
    expect(g.wobble() ** 2).toBeGreaterThan(2 * g.noiseVariance());
  });
});
