// Along a vein an error of motion compensation shows nowhere: the lead is still on the vein, only
// further along it than reported. On the second heart's long trunk, which runs with the breath, a
// breath that differs from the last, or a hand that pauses, left samples 5–7 mm off at confidence ≥ 0.8. Confidence now
// counts the motion filter's own spread along the vessel (alongSpread): fewer of them are shown as
// sure, while the place itself is unchanged.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Guidance } from '../../protocol/index.ts';
import { DEFAULT_COMPENSATION } from '../../server/pipeline/stages/compensate-motion.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { CONDITIONS } from '../../simulators/device/conditions.ts';
import type { GroundTruth } from '../../simulators/device/device-simulator.ts';
import { runScenario } from '../../simulators/device/run-scenario.ts';

let twin: Twin;
beforeAll(async () => { twin = await loadTwinFile(new URL('../../data/bench-twins/second-heart.twin.json', import.meta.url).pathname); });
afterAll(() => twin.close());

const confidentlyWrong = (g: Guidance, truth: GroundTruth): boolean =>
  g.tip.confidence >= 0.8 && (Math.hypot(g.tip.p[0] - truth.p[0], g.tip.p[1] - truth.p[1], g.tip.p[2] - truth.p[2]) > 5 || (g.tip.branch !== truth.branch && truth.junctionMm > 2));

it('is not sure of a place whose along-vessel motion it cannot vouch for (second heart, a physiological heart and breath)', async () => {
  // Training seeds 1–6 (the bench's held-out seeds are 11–13), pooled over two scenarios where a
  // lead sits in the long trunk: which samples end up sure and wrong on one seed is chaotic, the
  // pool is not.
  const runs = [['physiological', 'wrong-branch-then-correct'], ['physiological', 'tour']] as const;
  const run = (condition: (typeof runs)[number][0], scenario: (typeof runs)[number][1], seed: number, alongSpreadScale: number) => runScenario(twin, scenario, 'eam', {
    device: { seed, ...CONDITIONS[condition].device(seed) },
    // (Without the registration's error learnt from the veins: with it, this pool has no sample
    // sure and wrong either way, 0 with the term and 0 without, and the term's work would not show.)
    pipeline: { compensation: { ...DEFAULT_COMPENSATION, eam: { ...DEFAULT_COMPENSATION.eam, alongSpreadScale }, registrationOffset: { eam: 'off' } } },
  });
  const count = (r: Awaited<ReturnType<typeof run>>): number => r.guidance.filter((g) => confidentlyWrong(g, r.truths.get(g.seq)!)).length;
  let without = 0, with_ = 0;
  for (const [condition, scenario] of runs) {
    for (let seed = 1; seed <= 6; seed++) {
      const a = await run(condition, scenario, seed, 0);
      const b = await run(condition, scenario, seed, DEFAULT_COMPENSATION.eam.alongSpreadScale ?? 2.5);
      without += count(a);
      with_ += count(b);
      // The place is the same: only what is claimed about it changed.
      expect(b.guidance.map((g) => g.tip.arcLengthMm)).toEqual(a.guidance.map((g) => g.tip.arcLengthMm));
    }
  }
  // Measured: 28 samples sure and wrong without, 2 with (each scenario 14 → 1). The pool was
  // `standard` (13 → 4) until breathing was held to one learnt axis (breathing-axis.ts), which
  // left none sure and wrong there either way. Before that it was `physiological` until the
  // motion spectrum stopped reading a rate from the skirt of slow movement: that alone took it
  // from 66 to 30 without the term, and the 30 left were one place (seed 6's tour) the term did
  // not reach, 30 either way. (Before that round's tracking changes it was push-pause's
  // wrong-branch-then-correct: 27 → 6.)
  expect(without).toBeGreaterThan(8);
  expect(with_).toBeLessThan(0.5 * without);
}, 300_000);
