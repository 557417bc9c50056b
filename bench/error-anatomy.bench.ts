// Where in a condition's runs the tip error and the branch misses are: by how far the simulated
// breath has taken the heart from the twin's phase, by how the vein at the tip runs against the
// breathing direction (along it, nothing across the vein shows the breath), by time into the run
// (before motion compensation has learnt the heart), and the branch misses as the spans a display
// would show (how long, how near a junction, how sure). The same runs as `bench accuracy` on the
// training seeds unless told otherwise. A diagnostic for tuning: printed, never asserted.
//   npx tsx bench/error-anatomy.bench.ts [--twin FILE] [--condition physiological] [--seeds 1,2,3,4] [--feed eam|fluoro-biplane|fluoro-single] [--spans]
// `--spans` lists every branch-miss span (seed, scenario, when, which branches, how near a junction).

import { loadTwinFile } from '../server/twin/load-twin.ts';
import { branchDirection } from '../server/twin/vein-tree.ts';
import { conditionDevice, conditionRuns } from '../simulators/device/accuracy.ts';
import { CONDITIONS, twinFor, type ConditionName } from '../simulators/device/conditions.ts';
import { HeartMotion, RESPIRATORY_DIRECTION } from '../simulators/device/heart-motion.ts';
import { JUNCTION_TOLERANCE_MM, quantileOfSorted } from '../simulators/device/score.ts';
import { printJson } from './harness.ts';
import { conditionsArg, feedArg, seedsArg, twinArg } from './support/tuning-args.ts';

const twinPath = twinArg();
const [condition] = conditionsArg(['physiological'], '--condition') as [ConditionName];
const seeds = seedsArg();
const feed = feedArg();

/** Bins by a value: [from, to) each, the last open. */
class Bins {
  readonly values: number[][];
  constructor(readonly edges: readonly number[]) { this.values = edges.map(() => []); }
  add(key: number, value: number): void {
    for (let k = this.edges.length - 1; k >= 0; k--) if (key >= this.edges[k]!) { this.values[k]!.push(value); return; }
  }
  label(k: number, unit: string): string {
    return k + 1 < this.edges.length ? `${this.edges[k]}–${this.edges[k + 1]} ${unit}` : `≥ ${this.edges[k]} ${unit}`;
  }
}
/** As `bench accuracy` takes quantiles (score.ts), of an unsorted list. */
const quantile = (xs: readonly number[], p: number): number => quantileOfSorted([...xs].sort((a, b) => a - b), p);
const mean = (xs: readonly number[]): number => xs.reduce((s, x) => s + x, 0) / xs.length;
const mm = (x: number): string => (Number.isNaN(x) ? '   –' : x.toFixed(2).padStart(6));

const byBreath = new Bins([0, 0.5, 2, 4, 6, 9]);
const leftAlongBreath = new Bins([0, 0.5, 2, 4, 6, 9]); // the error's component along the breathing direction
const byAngle = new Bins([0, 0.3, 0.6, 0.8, 0.9]);
const byAngleDeep = new Bins([0, 0.3, 0.6, 0.8, 0.9]); // the same with the breath beyond 4 mm
const byTime = new Bins([0, 5, 10, 20, 40]);
const missesByTime = new Bins([0, 4, 12, 40]);
const missesByJunction = new Bins([JUNCTION_TOLERANCE_MM, 4, 8, 15]);
interface Span { seed: number; scenario: string; start: number; seconds: number; sure: number; pair: string; junctionMm: number; truthArcMm: number }
const spans: Span[] = [];
const listSpans = process.argv.includes('--spans');
const all: number[] = [];
let regressionXY = 0, regressionXX = 0, misses = 0;

const twin = await loadTwinFile(twinPath, { loadModel: false });
const seen = twinFor(twin, CONDITIONS[condition]);
const branchById = new Map(twin.veins.branches.map((b) => [b.id, b]));
const direction = new Float64Array(3), chordA = new Float64Array(3), chordB = new Float64Array(3);
for (const seed of seeds) {
  // The heart and breath the simulator drew for this seed (the same as the runs' own).
  const motion = conditionDevice(condition, seed).motion;
  const heart = motion ? new HeartMotion(seen, { seed, ...motion }) : null;
  const dir = motion?.respiratoryDirection ?? RESPIRATORY_DIRECTION;
  const dirLength = Math.hypot(dir[0], dir[1], dir[2]);
  const unit = dir.map((x) => x / dirLength);
  for await (const run of conditionRuns(twin, condition, feed, [seed])) {
    let spanStart = Number.NaN, spanLast = 0, spanSure = 0, spanPair = '', spanJunction = 0, spanArc = 0;
    const closeSpan = (): void => {
      if (!Number.isNaN(spanStart)) spans.push({ seed, scenario: run.plan.name, start: spanStart, seconds: spanLast - spanStart, sure: spanSure, pair: spanPair, junctionMm: spanJunction, truthArcMm: spanArc });
      spanStart = Number.NaN;
    };
    for (const g of run.guidance) {
      const truth = run.truths.get(g.seq);
      if (!truth) continue;
      const e = [g.tip.p[0] - truth.p[0], g.tip.p[1] - truth.p[1], g.tip.p[2] - truth.p[2]];
      const error = Math.hypot(e[0]!, e[1]!, e[2]!);
      all.push(error);
      // The breath's displacement of the heart from the twin's phase (mm), and the error along it.
      const breath = heart && motion ? heart.respiratory(truth.t) * motion.respiratoryMm * dirLength : 0;
      const along = e[0]! * unit[0]! + e[1]! * unit[1]! + e[2]! * unit[2]!;
      byBreath.add(breath, error);
      leftAlongBreath.add(breath, along);
      regressionXY += along * breath; regressionXX += breath * breath;
      const branch = branchById.get(truth.branch);
      if (branch && branchDirection(twin.veins, branch, truth.arcLengthMm, 3, direction, chordA, chordB)) {
        const cos = Math.abs(direction[0]! * unit[0]! + direction[1]! * unit[1]! + direction[2]! * unit[2]!);
        byAngle.add(cos, error);
        if (breath > 4) byAngleDeep.add(cos, error);
      }
      byTime.add(truth.t, error);
      const missed = g.tip.branch !== truth.branch && truth.junctionMm > JUNCTION_TOLERANCE_MM;
      if (missed) {
        misses++;
        missesByTime.add(truth.t, 1);
        missesByJunction.add(truth.junctionMm, 1);
        if (Number.isNaN(spanStart)) {
          spanStart = truth.t; spanSure = 0; spanPair = `${truth.branch} shown as ${g.tip.branch}`;
          spanJunction = truth.junctionMm; spanArc = truth.arcLengthMm;
        }
        spanLast = truth.t;
        spanSure = Math.max(spanSure, g.tip.confidence);
      } else closeSpan();
    }
    closeSpan();
  }
}

const p95 = quantile(all, 0.95);
console.log(`error anatomy: ${condition}, ${feed}, ${twin.meta.id}, seeds ${seeds.join(',')}; ${all.length} samples, p95 ${p95.toFixed(2)} mm`);
console.log('\n  breath (heart from the twin\'s phase)   samples   median    p95   mean error along the breath');
byBreath.values.forEach((v, k) => console.log(`  ${byBreath.label(k, 'mm').padEnd(38)} ${String(v.length).padStart(7)}   ${mm(quantile(v, 0.5))} ${mm(quantile(v, 0.95))}   ${mm(mean(leftAlongBreath.values[k]!))}`));
const breathLeft = regressionXX > 0 ? regressionXY / regressionXX : Number.NaN;
console.log(`  share of the breath left in the shown tip (error along the breath regressed on the breath): ${breathLeft.toFixed(3)}`);
console.log('\n  vein against the breath (|cos|)          samples   median    p95   p95 with the breath > 4 mm');
byAngle.values.forEach((v, k) => console.log(`  ${byAngle.label(k, '').padEnd(38)} ${String(v.length).padStart(7)}   ${mm(quantile(v, 0.5))} ${mm(quantile(v, 0.95))}   ${mm(quantile(byAngleDeep.values[k]!, 0.95))}`));
console.log(`\n  time into the run                       samples    p95   share of the samples over the pooled p95`);
byTime.values.forEach((v, k) => console.log(`  ${byTime.label(k, 's').padEnd(38)} ${String(v.length).padStart(7)}  ${mm(quantile(v, 0.95))}   ${(v.filter((x) => x > p95).length / Math.max(1, all.length * 0.05)).toFixed(2)}`));
if (listSpans) {
  console.log('\n  seed scenario                     start s  length s  truth arc mm  junction mm  surest  pair');
  for (const s of spans) console.log(`  ${String(s.seed).padStart(4)} ${s.scenario.padEnd(28)} ${s.start.toFixed(2).padStart(7)} ${s.seconds.toFixed(2).padStart(9)} ${s.truthArcMm.toFixed(1).padStart(13)} ${s.junctionMm.toFixed(1).padStart(12)} ${s.sure.toFixed(2).padStart(7)}  ${s.pair}`);
}
spans.sort((a, b) => a.seconds - b.seconds);
const pairs = new Map<string, number>();
for (const s of spans) pairs.set(s.pair, (pairs.get(s.pair) ?? 0) + 1);
console.log(`\n  branch misses beyond ${JUNCTION_TOLERANCE_MM} mm of a junction: ${misses} samples (${((100 * misses) / all.length).toFixed(2)} %) in ${spans.length} spans`);
console.log(`    by time into the run: ${missesByTime.values.map((v, k) => `${missesByTime.label(k, 's')} ${v.length}`).join(', ')}`);
console.log(`    by distance to the nearest junction: ${missesByJunction.values.map((v, k) => `${missesByJunction.label(k, 'mm')} ${v.length}`).join(', ')}`);
console.log(`    spans: median ${quantile(spans.map((s) => s.seconds), 0.5).toFixed(2)} s, longest ${(spans.at(-1)?.seconds ?? 0).toFixed(2)} s; the surest ${Math.max(0, ...spans.map((s) => s.sure)).toFixed(2)}; shown at confidence ≥ 0.8 in ${spans.filter((s) => s.sure >= 0.8).length}`);
console.log(`    most often: ${[...pairs].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([p, n]) => `${p} ×${n}`).join('; ')}`);

/** One JSON figure per bin, named by its lower edge (p95BreathFrom4Mm: the breath 4–6 mm). */
function p95ByBin(prefix: string, suffix: string, bins: Bins): Record<string, number> {
  return Object.fromEntries(bins.values.map((v, k) => [`${prefix}${bins.edges[k]}${suffix}`, +quantile(v, 0.95).toFixed(2)]));
}
printJson('error-anatomy', {
  condition, feed, twin: twin.meta.id, p95Mm: +p95.toFixed(2), breathLeftShare: +breathLeft.toFixed(3),
  ...p95ByBin('p95BreathFrom', 'Mm', byBreath), ...p95ByBin('p95VeinCosFrom', 'Mm', byAngle), ...p95ByBin('p95TimeFrom', 'sMm', byTime),
  branchMisses: misses, branchMissSpans: spans.length,
});
await twin.close();
