// The breathing axis learnt from the measurement across the tracker's vessels (breathing-axis.ts):
// along one vessel only the directions across it are seen and the prior holds the rest; along
// vessels that run different ways the whole axis is found, whichever way the patient's heart
// breathes; and too little evidence leaves the prior as it was.
import { describe, expect, it } from 'vitest';
import { BreathingAxis } from '../../server/pipeline/breathing-axis.ts';
import { gaussian } from '../../simulators/device/device-simulator.ts';
import { Random } from '../../simulators/twin/random.ts';

const unit = (v: readonly number[]): number[] => { const n = Math.hypot(...v); return v.map((x) => x / n); };
const dot = (a: ArrayLike<number>, b: ArrayLike<number>): number => { let s = 0; for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!; return s; };
const degrees = (a: ArrayLike<number>, b: ArrayLike<number>): number => (Math.acos(Math.min(1, Math.abs(dot(a, b)) / Math.sqrt(dot(a, a) * dot(b, b)))) * 180) / Math.PI;
/** a with its part along unit v removed. */
const across = (a: readonly number[], v: readonly number[]): number[] => { const d = dot(a, v); return a.map((x, i) => x - d * v[i]!); };

const CRANIAL = [0, 0, 1];

/**
 * 100 Hz samples of a lead on vessels running each way in `vessels` for `secondsEach`: a breath of
 * 6 mm at 0.27 Hz whose depth changes breath to breath, along `truth`; a heartbeat of 4 mm across
 * every direction (which a beat-long block averages away); 0.5 mm noise per axis; the lead's fixed
 * offset from each vessel's centreline.
 */
function learn(truth: readonly number[], vessels: readonly (readonly number[])[], secondsEach: number, seed = 3): BreathingAxis {
  const learner = new BreathingAxis(CRANIAL);
  const random = new Random(seed);
  const u = unit(truth);
  let t = 0;
  for (const direction of vessels) {
    const v = unit(direction);
    const offset = [gaussian(random), gaussian(random), gaussian(random)];
    for (let k = 0; k < secondsEach * 100; k++, t += 0.01) {
      const depth = 1 + 0.2 * Math.sin(0.05 * t);
      const b = 6 * depth * Math.sin(2 * Math.PI * 0.27 * t) ** 2;
      const beat = 4 * Math.sin(2 * Math.PI * 1.2 * t);
      const y = [0, 1, 2].map((a) => b * u[a]! + beat * [0.6, -0.5, 0.62][a]! + offset[a]! + 0.5 * gaussian(random));
      learner.add(t, across(y, v), v, 1 / 1.2);
    }
  }
  return learner;
}

describe('breathing axis', () => {
  it('finds a breathing axis 36° from head-to-foot along vessels that run different ways', () => {
    const truth = [0.4, 0.6, 1];
    const learner = learn(truth, [[1, 0, 0.2], [0.1, 1, 0.3], [0.7, 0.2, 0.7], [0.2, 0.9, -0.4]], 30);
    expect(degrees(CRANIAL, truth)).toBeGreaterThan(35);
    expect(degrees(learner.axis, truth)).toBeLessThan(5);
    // The sense stays the prior's.
    expect(dot(learner.axis, CRANIAL)).toBeGreaterThan(0);
  });

  it('finds head-to-foot breathing as head-to-foot', () => {
    const learner = learn(CRANIAL, [[1, 0, 0.2], [0.1, 1, 0.3], [0.7, 0.2, 0.7]], 30);
    expect(degrees(learner.axis, CRANIAL)).toBeLessThan(4);
  });

  it('along one vessel, learns the directions across it and keeps the prior along it', () => {
    // Breathing tilted toward x; the lead only ever along y: x and z are seen, y is not.
    const truth = [0.5, 0.3, 1];
    const v = [0, 1, 0];
    const learner = learn(truth, [v], 120);
    // Across the vessel the learnt axis has the truth's direction…
    expect(degrees(across([...learner.axis], v), across(truth, v))).toBeLessThan(5);
    // …and along it not the truth's (0.3 of 1.16): the prior's nothing, a little at most.
    expect(Math.abs(learner.axis[1]!)).toBeLessThan(0.1);
  });

  it('keeps the prior until it has seen a few beats', () => {
    const learner = learn([0.4, 0.6, 1], [[1, 0, 0]], 3);
    expect(Array.from(learner.axis)).toEqual(CRANIAL);
  });
});
