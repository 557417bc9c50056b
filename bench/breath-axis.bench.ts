// Breathing that does not go the way the filter assumes. A patient's heart moves head to foot as
// they breathe, and also antero-posteriorly and sideways by an amount of their own; an independent
// client's simulator may move it any way. This runs the EAM conditions with the breath turned to
// several directions, twice in the same run: with the EAM filter's breathing held to an axis it
// learns from the procedure (today's default, breathing-axis.ts) and with the assumed head-to-foot
// axis and no shaping (breathingOffAxis 1, learnBreathingAxis off: the code before the twelfth
// session, with today's other defaults). A diagnostic
// for tuning, so it runs on the training seeds unless told otherwise. Printed, never asserted.
//   npx tsx bench/breath-axis.bench.ts [--twin FILE] [--conditions a,b] [--seeds 1,2,3,4]

import { DEFAULT_COMPENSATION } from '../server/pipeline/stages/compensate-motion.ts';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { conditionRuns } from '../simulators/device/accuracy.ts';
import { poolRuns, scoreGuidance } from '../simulators/device/score.ts';
import { RESPIRATORY_DIRECTION } from '../simulators/device/heart-motion.ts';
import { printJson } from './harness.ts';
import { conditionsArg, seedsArg, twinArg } from './support/tuning-args.ts';

const twinPath = twinArg();
const conditions = conditionsArg(['standard', 'physiological', 'variable-breathing']);
const seeds = seedsArg();

/** Breathing's displacement per mm on inspiration (twin frame, LPS: +x left, +y posterior, +z head), and a name. */
const DIRECTIONS: { name: string; direction: [number, number, number] }[] = [
  { name: "the simulator's (0.3 AP)", direction: [...RESPIRATORY_DIRECTION] },
  { name: 'head to foot only', direction: [0, 0, -1] },
  // Anterior on inspiration, as Shechter et al. measured in patients (IEEE TMI 2004;23:1046).
  { name: '0.3 anterior', direction: [0, -0.3, -1] },
  { name: '0.8 AP', direction: [0, 0.8, -1] },
  { name: '0.4 LR, 0.6 AP', direction: [0.4, 0.6, -1] },
  { name: '−0.3 LR, 0.2 AP', direction: [-0.3, 0.2, -1] },
];
const ASSUMED = { ...DEFAULT_COMPENSATION, eam: { ...DEFAULT_COMPENSATION.eam, breathingOffAxis: 1, learnBreathingAxis: false } };

const twin = await loadTwinFile(twinPath, { loadModel: false });
const angle = (d: readonly number[]): number => (Math.acos(Math.abs(d[2]!) / Math.hypot(...d)) * 180) / Math.PI;
console.log(`breath axis: EAM, ${twin.meta.id}, seeds ${seeds.join(',')}; cells: branch / median mm / p95 mm / confidently wrong %`);
console.log(`${'breathing'.padEnd(28)} ${'condition'.padEnd(20)} ${'assumed head-to-foot axis'.padEnd(30)} learnt axis`);
const figures: Record<string, number> = {};
for (const { name, direction } of DIRECTIONS) {
  for (const condition of conditions) {
    const cells: string[] = [];
    for (const [key, compensation] of [['assumed', ASSUMED], ['learnt', DEFAULT_COMPENSATION]] as const) {
      const runs = [];
      for await (const run of conditionRuns(twin, condition, 'eam', seeds, { motion: (m) => ({ ...m, respiratoryDirection: direction }), pipeline: { compensation } })) runs.push(run);
      const pooled = poolRuns(runs);
      const s = scoreGuidance(pooled.guidance, pooled.truths);
      cells.push(`${s.branchAccuracy.toFixed(3)} / ${s.tipErrorMedianMm.toFixed(2)} / ${s.tipErrorP95Mm.toFixed(2)} / ${(100 * s.confidentlyWrongRate).toFixed(3)}`);
      figures[`${direction.join(',')}.${condition}.${key}.p95Mm`] = +s.tipErrorP95Mm.toFixed(3);
    }
    console.log(`${`${name} ${angle(direction).toFixed(0)}°`.padEnd(28)} ${condition.padEnd(20)} ${cells[0]!.padEnd(30)} ${cells[1]}`);
  }
}
await twin.close();
printJson('breath-axis', figures);
