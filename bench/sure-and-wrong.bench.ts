// Where a condition's runs show the tip sure and wrong (confidence ≥ 0.8 and more than 5 mm off,
// or on the wrong branch away from a junction, as `bench accuracy` counts it): each episode with
// its seed, scenario, time, how far off and how sure, and where the lead truly was against where
// it was shown. For finding what a rare failure has in common over many seeds (the twenty-fifth
// session's 26 episodes over 225 seeds, 20 at one kink of the second heart's great cardiac vein).
// Beside it the instructions the display shows and how many of them are wrong (as the instruction
// agreement counts one: a wrong instruction on the panel is the other claim a physician acts on).
// Never on the held-out seeds. A diagnostic: printed, never asserted.
//   npx tsx bench/sure-and-wrong.bench.ts [--twin FILE] [--condition standard] [--feed eam] [--seeds 26-90]

import { loadTwinFile } from '../server/twin/load-twin.ts';
import { conditionRuns, STANDARD_SCENARIOS } from '../simulators/device/accuracy.ts';
import { HELD_OUT_SEEDS, type ConditionName } from '../simulators/device/conditions.ts';
import { instructionAgrees, isSureAndWrong, tipErrorMm } from '../simulators/device/score.ts';
import { printJson } from './harness.ts';
import { conditionsArg, feedArg, seedsArg, twinArg } from './support/tuning-args.ts';

const twinPath = twinArg();
const [condition] = conditionsArg(['standard'], '--condition') as [ConditionName];
const feed = feedArg();
const seeds = seedsArg([26, 27, 28, 29, 30, 31, 32, 33, 34, 35]);
if (seeds.some((s) => HELD_OUT_SEEDS.includes(s))) throw new Error(`seeds ${HELD_OUT_SEEDS.join(', ')} are held out: they are for 'twinguide bench accuracy' alone`);

interface Episode { seed: number; scenario: string; from: number; to: number; samples: number; worstMm: number; surest: number; where: string }
const episodes: Episode[] = [];
let samples = 0, sureWrong = 0, sure = 0, flips = 0, lowFlips = 0, lowSamples = 0, seconds = 0, instructed = 0, wronglyInstructed = 0;
const twin = await loadTwinFile(twinPath, { loadModel: false });
for (const seed of seeds) {
  let k = 0;
  for await (const run of conditionRuns(twin, condition, feed, [seed])) {
    const scenario = STANDARD_SCENARIOS[k++]!;
    let open: Episode | null = null;
    const close = (): void => { if (open) episodes.push(open); open = null; };
    // How often the display's certainty turns (sure ↔ not sure): a calm display turns seldom.
    let wasSure: boolean | null = null, wasLow: boolean | null = null, firstT = Number.NaN, lastT = Number.NaN;
    for (const g of run.guidance) {
      const truth = run.truths.get(g.seq);
      if (!truth) continue;
      samples++;
      const off = tipErrorMm(g, truth);
      const isSure = g.tip.confidence >= 0.8;
      if (isSure) sure++;
      if (wasSure !== null && isSure !== wasSure) flips++;
      wasSure = isSure;
      // …and how often the display's LOW CONFIDENCE banner (the instruction withheld) comes or goes.
      const isLow = g.zone.text.startsWith('LOW CONFIDENCE');
      if (isLow) lowSamples++;
      if (wasLow !== null && isLow !== wasLow) lowFlips++;
      wasLow = isLow;
      if (g.zone.instruction !== 'none') {
        instructed++;
        if (!instructionAgrees(g, truth)) wronglyInstructed++;
      }
      if (Number.isNaN(firstT)) firstT = truth.t;
      lastT = truth.t;
      if (!isSureAndWrong(g, truth, off)) { close(); continue; }
      sureWrong++;
      open ??= { seed, scenario, from: truth.t, to: truth.t, samples: 0, worstMm: 0, surest: 0, where: `${truth.branch} at ${truth.arcLengthMm.toFixed(1)} mm shown as ${g.tip.branch} at ${g.tip.arcLengthMm.toFixed(1)} mm` };
      open.to = truth.t; open.samples++;
      open.worstMm = Math.max(open.worstMm, off); open.surest = Math.max(open.surest, g.tip.confidence);
    }
    close();
    if (lastT > firstT) seconds += lastT - firstT;
  }
}
await twin.close();
const percent = (n: number): number => (100 * n) / Math.max(1, samples);
const perMinute = (n: number): number => (60 * n) / Math.max(1, seconds);

console.log(`sure and wrong: ${condition}, ${feed}, ${twin.meta.id}, seeds ${seeds[0]}–${seeds.at(-1)} (${seeds.length}); ${sureWrong} of ${samples} samples (${percent(sureWrong).toFixed(4)} %) in ${episodes.length} episodes; shown sure ${percent(sure).toFixed(2)} % of samples, turning sure or unsure ${perMinute(flips).toFixed(1)} times a minute; LOW CONFIDENCE on ${percent(lowSamples).toFixed(2)} % of samples, coming or going ${perMinute(lowFlips).toFixed(1)} times a minute; an instruction shown on ${percent(instructed).toFixed(2)} % of samples, a wrong one on ${percent(wronglyInstructed).toFixed(3)} %`);
for (const e of episodes) console.log(`  seed ${e.seed} ${e.scenario.padEnd(26)} ${e.from.toFixed(2)}–${e.to.toFixed(2)} s  ${String(e.samples).padStart(3)} samples  up to ${e.worstMm.toFixed(1)} mm at ${e.surest.toFixed(2)}  ${e.where}`);
printJson('sure-and-wrong', { condition, feed, twin: twin.meta.id, seeds: seeds.length, samples, sure, flipsPerMinute: +perMinute(flips).toFixed(2), lowSamples, lowFlipsPerMinute: +perMinute(lowFlips).toFixed(2), instructed, wronglyInstructed, sureWrong, rate: +((sureWrong / Math.max(1, samples)).toFixed(8)), episodes: episodes.length });
