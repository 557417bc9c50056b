// Gated input (positions at the reference phase, as EAM systems with respiratory gating and
// gated fluoroscopy deliver) carries the system's measurement noise and a hand that pushes and
// pauses, nothing else. The motion filter must take nothing out of it: before the gauge read the
// noise, noise above its smoothness threshold kept the input from ever counting as still, and the
// filters fitted noise and the catheter's starts and stops as a heartbeat and a breath and took
// them out (biplane `gated` p95 1.59 mm on the second heart's training seeds, 1.43 with motion
// compensation switched off). And a heart that beats from the first frame is still taken out.
import { describe, expect, it } from 'vitest';
import { MotionFilter } from '../../server/pipeline/motion-filter.ts';
import { DEFAULT_COMPENSATION } from '../../server/pipeline/stages/compensate-motion.ts';
import { gaussian } from '../../simulators/device/device-simulator.ts';
import { Random } from '../../simulators/twin/random.ts';

/** One fluoroscopic view's filter (pixels), fed at 15 frames a second with 4 px of noise (0.6 mm at the isocentre). */
function driveView(tip: (t: number) => [number, number], seconds: number): { y: number[][]; out: number[][]; t: number[] } {
  const filter = new MotionFilter(2, DEFAULT_COMPENSATION.fluoro);
  filter.setReferences([0, 1], [0, -1]);
  filter.setBreathingAxis([0, -1]);
  const random = new Random(5);
  const out = new Float64Array(2);
  const rec = { y: [] as number[][], out: [] as number[][], t: [] as number[] };
  for (let k = 0; k <= seconds * 15; k++) {
    const t = k / 15, p = tip(t);
    const y = [p[0] + 4 * gaussian(random), p[1] + 4 * gaussian(random)];
    filter.update(t, y, out);
    rec.y.push(y); rec.out.push([out[0]!, out[1]!]); rec.t.push(t);
  }
  return rec;
}

/** A hand that pushes 4 mm at 8 mm/s, then pauses 1.5 s, along a vein running across the image (pixels: 6.7 px per mm). */
const pushPause = (t: number): [number, number] => {
  const cycle = 2, k = Math.floor(t / cycle), into = t - k * cycle;
  const mm = 4 * k + Math.min(4, 8 * into);
  return [500 + 6.7 * mm * 0.8, 400 + 6.7 * mm * 0.6];
};

describe('motion compensation on gated input', () => {
  it('takes nothing out of a noisy gated view under a hand that pushes and pauses', () => {
    const { y, out, t } = driveView(pushPause, 40);
    let untouched = 0, n = 0;
    for (let k = 0; k < t.length; k++) {
      if (t[k]! < 2) continue;
      n++;
      if (Math.hypot(out[k]![0]! - y[k]![0]!, out[k]![1]! - y[k]![1]!) < 0.5) untouched++;
    }
    expect(untouched / n).toBeGreaterThan(0.9);
  });

  it('still takes out a heart that beats from the first frame', () => {
    // 50 px toward the apex (down the image) in 0.12 s, back over the rest of the beat, a still lead.
    const beat = (t: number): number => { const ph = (t * 1.2) % 1; return ph < 0.15 ? (50 * ph) / 0.15 : 50 * Math.exp(-(ph - 0.15) * 8); };
    const { y, out, t } = driveView((s) => [500, 400 + beat(s)], 30);
    const spread = (rows: number[][]): number => {
      const v = rows.map((r) => r[1]!), m = v.reduce((s, x) => s + x, 0) / v.length;
      return Math.sqrt(v.reduce((s, x) => s + (x - m) ** 2, 0) / v.length);
    };
    const from = t.findIndex((s) => s >= 15);
    expect(spread(out.slice(from))).toBeLessThan(0.7 * spread(y.slice(from)));
  });
});
