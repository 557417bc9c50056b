// Where a condition's tip error comes from: the same runs (seeds, scenarios, hand, noise) with one
// part of the simulated motion taken away or made regular at a time, scored as `bench accuracy`
// scores them. A diagnostic for tuning, so it runs on the training seeds unless told otherwise.
// Printed, never asserted.
//   npx tsx bench/error-budget.bench.ts [--twin FILE] [--condition physiological] [--seeds 1,2,3,4] [--feed eam|fluoro-biplane|fluoro-single]

import { loadTwinFile } from '../server/twin/load-twin.ts';
import { conditionRuns, STANDARD_SCENARIOS } from '../simulators/device/accuracy.ts';
import { type ConditionName } from '../simulators/device/conditions.ts';
import type { MotionSpec } from '../simulators/device/heart-motion.ts';
import type { ScenarioRun } from '../simulators/device/run-scenario.ts';
import { poolRuns, scoreGuidance } from '../simulators/device/score.ts';
import { printJson } from './harness.ts';
import { conditionsArg, feedArg, seedsArg, twinArg } from './support/tuning-args.ts';

const twinPath = twinArg();
const [condition] = conditionsArg(['physiological'], '--condition') as [ConditionName];
const seeds = seedsArg();
const feed = feedArg();

/** Each variant changes the condition's motion and nothing else. */
const VARIANTS: [string, (m: MotionSpec) => MotionSpec][] = [
  ['as the condition has it', (m) => m],
  ['no heartbeat', (m) => ({ ...m, cardiacMm: 0 })],
  ['no breathing', (m) => ({ ...m, respiratoryMm: 0 })],
  ['regular heartbeat (no RR variability, no ectopy)', (m) => ({ ...m, rrVariability: 0, ectopicFraction: 0 })],
  ['regular breathing (no period or depth variability, no sighs)', (m) => ({ ...m, breathPeriodVariability: 0, breathDepthVariability: 0, sighEvery: 0 })],
  ['a cosine breath (Lujan n = 1)', (m) => ({ ...m, lujanN: 1 })],
];

const twin = await loadTwinFile(twinPath, { loadModel: false });
console.log(`error budget: ${condition}, ${feed}, ${twin.meta.id}, seeds ${seeds.join(',')}, scenarios ${STANDARD_SCENARIOS.join(', ')}`);
console.log(`  ${'variant'.padEnd(62)} branch   median   p95 mm`);
const figures: Record<string, number> = {};
for (const [name, change] of VARIANTS) {
  const runs: ScenarioRun[] = [];
  for await (const run of conditionRuns(twin, condition, feed, seeds, { motion: change })) runs.push(run);
  const pooled = poolRuns(runs);
  const f = scoreGuidance(pooled.guidance, pooled.truths);
  console.log(`  ${name.padEnd(62)} ${f.branchAccuracy.toFixed(4)}  ${f.tipErrorMedianMm.toFixed(2).padStart(6)}  ${f.tipErrorP95Mm.toFixed(2).padStart(6)}`);
  figures[`${name.split(' (')[0]!.replace(/[^a-z]+/gi, '_')}P95Mm`] = +f.tipErrorP95Mm.toFixed(2);
}
printJson('error-budget', { condition, feed, ...figures });
await twin.close();
