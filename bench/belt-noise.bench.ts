// How a noisy or drifting respiratory belt costs motion compensation: a still lead mid-vein under
// a physiological heart and breath (sighs, depth and period varying), with the lab's ECG and belt,
// the belt's amplitude given noise (in its own units, on a 300-unit breath) and a drifting baseline.
// A diagnostic for the open finding in the README (a noisy regressor biases the learnt coefficient):
// printed, never asserted.
//   npm run bench:belt-noise [-- --seeds 1,2,3,4]

import { MotionFilter } from '../server/pipeline/motion-filter.ts';
import { PhysioPhase } from '../server/pipeline/physio-phase.ts';
import { DEFAULT_COMPENSATION } from '../server/pipeline/stages/compensate-motion.ts';
import { TrackFeedback } from '../server/pipeline/track-feedback.ts';
import { CRANIAL, heartAxes } from '../server/twin/heart-axes.ts';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { gaussian } from '../simulators/device/device-simulator.ts';
import { HeartMotion } from '../simulators/device/heart-motion.ts';
import { Random } from '../simulators/twin/random.ts';
import { printJson } from './harness.ts';
import { seedsArg } from './support/tuning-args.ts';

const SECONDS = 180;
const BREATH_UNITS = 300;
const twin = await loadTwinFile(new URL('../data/twins/demo.twin.json', import.meta.url).pathname, { loadModel: false });
const seeds = seedsArg();
const quantile = (v: number[], q: number): number => [...v].sort((a, b) => a - b)[Math.floor(q * v.length)]!;

/** Compensated errors (mm) after 20 s, and the learnt cranio-caudal coefficient per breath unit at the end. */
function run(seed: number, noise: number, driftPerMin: number): { errors: number[]; coefficient: number; truth: number } {
  const axis = heartAxes(twin).longAxis!;
  const spec = { waveform: 'physiological' as const, cardiacHz: 1.1, cardiacMm: 6, respiratoryHz: 0.25, respiratoryMm: 8, rrVariability: 0.03, breathPeriodVariability: 0.2, breathDepthVariability: 0.35, sighEvery: 4, seed };
  const motion = new HeartMotion(twin, spec);
  const filter = new MotionFilter(3, { ...DEFAULT_COMPENSATION.eam, noise: 1 });
  filter.setReferences([-axis[0], -axis[1], -axis[2]], CRANIAL);
  filter.setBreathingAxis(CRANIAL);
  const physio = new PhysioPhase();
  const feedback = new TrackFeedback(twin);
  const lmv = twin.veins.branches.find((b) => b.kind === 'lateral')!;
  const i = lmv.nodes[Math.floor(lmv.nodes.length / 2)]!;
  const p = [twin.veins.positionsMm[3 * i]!, twin.veins.positionsMm[3 * i + 1]!, twin.veins.positionsMm[3 * i + 2]!];
  const random = new Random(11), belt = new Random(99);
  const d = [0, 0, 0];
  const out = new Float64Array(3);
  const errors: number[] = [];
  const beats = motion.rWaves(0, SECONDS + 1);
  let nextBeat = 0;
  for (let k = 0; k <= SECONDS * 100; k++) {
    const t = k / 100;
    while (nextBeat < beats.length && beats[nextBeat]! <= t) physio.rWave(beats[nextBeat++]!);
    if (k % 4 === 0) physio.respiration(t, 512 + BREATH_UNITS * motion.breathing(t) + noise * gaussian(belt) + (driftPerMin * t) / 60);
    motion.displacement(p, t, d);
    filter.update(t, [p[0]! + d[0]! + 0.5 * gaussian(random), p[1]! + d[1]! + 0.5 * gaussian(random), p[2]! + d[2]! + 0.5 * gaussian(random)], out, feedback.at(t - 0.01), physio);
    feedback.set(t, i, p[0]!, p[1]!, p[2]!, 1);
    if (t >= 20) errors.push(Math.hypot(out[0]! - p[0]!, out[1]! - p[1]!, out[2]! - p[2]!));
  }
  // The coefficient is per whole range of the last minute; per breath unit it is comparable with the truth.
  const state = filter as unknown as { x: Float64Array; regressorRange: number };
  return { errors, coefficient: state.x[2 * 8 + 6]! / state.regressorRange, truth: -spec.respiratoryMm / BREATH_UNITS };
}

console.log(`belt noise and drift: a still lead, demo twin, EAM, seeds ${seeds.join(',')}, ${SECONDS} s each (scored after 20 s)`);
console.log(`  ${'belt'.padEnd(40)} median   p95    p99 mm   learnt/true cranio-caudal coefficient`);
const figures: Record<string, number> = {};
for (const [noise, drift] of [[0, 0], [3, 0], [10, 0], [0, 30], [0, 100]] as const) {
  const all: number[] = [];
  let ratio = 0;
  for (const seed of seeds) {
    const r = run(seed, noise, drift);
    for (const e of r.errors) all.push(e);
    ratio += r.coefficient / r.truth / seeds.length;
  }
  const name = `noise ${noise} units, drift ${drift} units/min`;
  console.log(`  ${name.padEnd(40)} ${quantile(all, 0.5).toFixed(2).padStart(5)}  ${quantile(all, 0.95).toFixed(2).padStart(5)}  ${quantile(all, 0.99).toFixed(2).padStart(5)}   ${ratio.toFixed(2)}`);
  figures[`noise${noise}drift${drift}P95Mm`] = +quantile(all, 0.95).toFixed(2);
}
printJson('belt-noise', figures);
await twin.close();
