// How guidance settles after the lead starts to be tracked: the accuracy figures (scored exactly as
// `bench accuracy` scores them) in windows of time since each run's first guidance, and how much of
// the whole run's tail (tip error over its p95) falls in each window. A diagnostic for tuning, so it
// runs on the training seeds unless told otherwise (the held-out seeds are for the bench alone).
// `--rate` changes the device's sample rate (an EAM system at 50 Hz instead of the simulator's 100).
// Printed, never asserted.
//   npx tsx bench/settling.bench.ts [--twin FILE] [--conditions a,b] [--seeds 1,2,3,4] [--feed eam|fluoro-biplane|fluoro-single] [--rate HZ]

import type { Guidance } from '../protocol/index.ts';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { conditionRuns, STANDARD_SCENARIOS } from '../simulators/device/accuracy.ts';
import type { GroundTruth } from '../simulators/device/device-simulator.ts';
import { scoreGuidance } from '../simulators/device/score.ts';
import { printJson } from './harness.ts';
import { arg, conditionsArg, feedArg, seedsArg, twinArg } from './support/tuning-args.ts';

const twinPath = twinArg();
const conditions = conditionsArg(['standard', 'physiological', 'variable-breathing']);
const seeds = seedsArg();
const feed = feedArg();
const rate = arg('--rate') === undefined ? undefined : Number(arg('--rate'));
if (rate !== undefined && !(rate >= 1 && rate <= 1000)) throw new Error('--rate takes a sample rate in Hz, 1–1000');

/** Window starts, s since the run's first guidance; the last window is open. */
const WINDOWS = [0, 2, 4, 6, 10, 20, 30];

const twin = await loadTwinFile(twinPath);
console.log(`settling: ${feed}${rate ? ` at ${rate} Hz` : ''}, ${twin.meta.id}, seeds ${seeds.join(',')}, scenarios ${STANDARD_SCENARIOS.join(', ')}`);
const figures: Record<string, number> = {};
for (const name of conditions) {
  const windows = WINDOWS.map(() => ({ guidance: [] as Guidance[], errors: [] as number[] }));
  const truths = new Map<number, GroundTruth>();
  let offset = 0;
  for await (const run of conditionRuns(twin, name, feed, seeds, rate ? { device: { rateHz: rate } } : {})) {
    const t0 = run.guidance[0]?.t ?? 0;
    for (const g of run.guidance) {
      const truth = run.truths.get(g.seq);
      if (!truth) continue;
      const shifted = { ...g, seq: g.seq + offset };
      truths.set(shifted.seq, truth);
      let w = WINDOWS.length - 1;
      while (g.t - t0 < WINDOWS[w]!) w--;
      windows[w]!.guidance.push(shifted);
      windows[w]!.errors.push(Math.hypot(g.tip.p[0] - truth.p[0], g.tip.p[1] - truth.p[1], g.tip.p[2] - truth.p[2]));
    }
    offset += 1_000_000;
  }
  const whole = scoreGuidance(windows.flatMap((w) => w.guidance), truths);
  const tail = whole.tipErrorP95Mm;
  const tailCount = windows.reduce((n, w) => n + w.errors.filter((e) => e > tail).length, 0);
  console.log(`\n${name}: whole run branch ${whole.branchAccuracy.toFixed(3)}, median ${whole.tipErrorMedianMm.toFixed(2)} mm, p95 ${tail.toFixed(2)} mm, confidently wrong ${(100 * whole.confidentlyWrongRate).toFixed(3)} % (n ${whole.samples})`);
  console.log('  window     samples  branch  median  p95     conf. wrong  share of the tail (> whole-run p95)');
  WINDOWS.forEach((from, w) => {
    const win = windows[w]!;
    if (win.guidance.length === 0) return;
    const s = scoreGuidance(win.guidance, truths);
    const share = win.errors.filter((e) => e > tail).length / Math.max(1, tailCount);
    const label = w + 1 < WINDOWS.length ? `${from}–${WINDOWS[w + 1]} s` : `≥ ${from} s`;
    console.log(`  ${label.padEnd(10)} ${String(s.samples).padStart(7)}  ${s.branchAccuracy.toFixed(3)}   ${s.tipErrorMedianMm.toFixed(2).padStart(5)}  ${s.tipErrorP95Mm.toFixed(2).padStart(5)}   ${(100 * s.confidentlyWrongRate).toFixed(3).padStart(6)} %     ${(100 * share).toFixed(0).padStart(3)} %`);
    figures[`${name}.${from}s.p95Mm`] = s.tipErrorP95Mm;
    figures[`${name}.${from}s.tailShare`] = +share.toFixed(3);
  });
  figures[`${name}.p95Mm`] = tail;
}
await twin.close();
printJson('settling', figures);
