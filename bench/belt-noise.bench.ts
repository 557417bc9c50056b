// How a noisy or drifting respiratory belt costs motion compensation: a still lead mid-vein under
// a physiological heart and breath (sighs, depth and period varying), with the lab's ECG and belt,
// the belt's amplitude given noise (in its own units, on a 300-unit breath) and a drifting baseline.
// A diagnostic for the open finding in the README (a noisy regressor biases the learnt coefficient):
// printed, never asserted.
//   npm run bench:belt-noise [-- --seeds 1,2,3,4]

import { loadTwinFile } from '../server/twin/load-twin.ts';
import { BELT_UNITS, gaussian } from '../simulators/device/device-simulator.ts';
import { stillLeadWithSignals } from '../simulators/device/still-lead.ts';
import { Random } from '../simulators/twin/random.ts';
import { printJson } from './harness.ts';
import { seedsArg } from './support/tuning-args.ts';

const SECONDS = 180;
const twin = await loadTwinFile(new URL('../data/twins/demo.twin.json', import.meta.url).pathname, { loadModel: false });
const seeds = seedsArg();
const quantile = (v: number[], q: number): number => [...v].sort((a, b) => a - b)[Math.floor(q * v.length)]!;

/** Compensated errors (mm) after 20 s, and the learnt cranio-caudal coefficient per belt unit against the truth. */
function run(seed: number, noise: number, driftPerMin: number): { errors: number[]; ratio: number } {
  const spec = { waveform: 'physiological' as const, cardiacHz: 1.1, cardiacMm: 6, respiratoryHz: 0.25, respiratoryMm: 8, rrVariability: 0.03, breathPeriodVariability: 0.2, breathDepthVariability: 0.35, sighEvery: 4, seed };
  const belt = new Random(99);
  const { errors, filter } = stillLeadWithSignals(twin, spec, SECONDS, { belt: (t, amplitude) => amplitude + noise * gaussian(belt) + (driftPerMin * t) / 60 });
  // The coefficient is per whole range of the last minute: per belt unit it compares with the truth
  // (the simulator's breath moves the heart respiratoryMm caudally per breath of depth 1).
  return { errors, ratio: filter.regressionCoefficient(2) / (-spec.respiratoryMm / BELT_UNITS) };
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
    ratio += r.ratio / seeds.length;
  }
  const name = `noise ${noise} units, drift ${drift} units/min`;
  console.log(`  ${name.padEnd(40)} ${quantile(all, 0.5).toFixed(2).padStart(5)}  ${quantile(all, 0.95).toFixed(2).padStart(5)}  ${quantile(all, 0.99).toFixed(2).padStart(5)}   ${ratio.toFixed(2)}`);
  figures[`noise${noise}drift${drift}P95Mm`] = +quantile(all, 0.95).toFixed(2);
}
printJson('belt-noise', figures);
await twin.close();
