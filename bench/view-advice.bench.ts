// How often one fluoroscopic view gets the "vein foreshortened" advice, how far off the tip is under
// it against elsewhere (is the advice where the errors are?), and how calm it is (changes of the
// advice line per minute of procedure). Single plane, both hearts, training seeds unless told.
// Printed, never asserted.
//   npx tsx bench/view-advice.bench.ts [--conditions standard,physiological] [--seeds 1,2,3,4]

import { fileURLToPath } from 'node:url';
import { viewAdvice } from '../client/src/display/guidance-panel.ts';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { conditionRuns } from '../simulators/device/accuracy.ts';
import { conditionsArg, seedsArg } from './support/tuning-args.ts';

const conditions = conditionsArg(['standard', 'physiological']);
const seeds = seedsArg();
const TWINS = { demo: '../data/twins/demo.twin.json', 'second heart': '../data/bench-twins/second-heart.twin.json' };
/** The tip counts as off by more than this (mm): confidence's own "right" (RIGHT_WITHIN_MM in the tracker). */
const OFF_MM = 5;

console.log(`single plane (LAO 30), seeds ${seeds.join(',')}: advice shown / tip > ${OFF_MM} mm off under the advice / elsewhere / changes of the advice line per minute (of which a suggestion swapped for another)`);
for (const [name, path] of Object.entries(TWINS)) {
  const twin = await loadTwinFile(fileURLToPath(new URL(path, import.meta.url)), { loadModel: false });
  try {
    for (const condition of conditions) {
      let n = 0, shown = 0, offUnder = 0, offElse = 0, changes = 0, swaps = 0, minutes = 0;
      for await (const run of conditionRuns(twin, condition, 'fluoro-single', seeds)) {
        let last = '';
        for (const g of run.guidance) {
          const truth = run.truths.get(g.seq);
          if (!truth) continue;
          const off = Math.hypot(g.tip.p[0] - truth.p[0], g.tip.p[1] - truth.p[1], g.tip.p[2] - truth.p[2]) > OFF_MM;
          const advice = viewAdvice(g);
          n++;
          if (advice) { shown++; if (off) offUnder++; } else if (off) offElse++;
          if (advice !== last) { changes++; if (advice && last) swaps++; }
          last = advice;
        }
        if (run.guidance.length > 1) minutes += (run.guidance[run.guidance.length - 1]!.t - run.guidance[0]!.t) / 60;
      }
      const pct = (a: number, b: number): string => `${((100 * a) / Math.max(1, b)).toFixed(1)} %`;
      console.log(`${name.padEnd(12)} ${condition.padEnd(14)} shown ${pct(shown, n)}, off ${pct(offUnder, shown)} under it / ${pct(offElse, n - shown)} elsewhere, ${(changes / minutes).toFixed(1)} changes/min (${(swaps / minutes).toFixed(1)} swaps), ${n} samples`);
    }
  } finally {
    await twin.close();
  }
}
