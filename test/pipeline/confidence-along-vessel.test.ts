// Along a vein an error of motion compensation shows nowhere: the lead is still on the vein, only
// further along it than reported. On the second heart's long trunk, which runs with the breath, a
// breath that differs from the last left samples 5–7 mm off at confidence ≥ 0.8. Confidence now
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

it('is not sure of a place whose along-vessel motion it cannot vouch for (second heart, a breath varying breath to breath)', async () => {
  // Training seed 5: the bench's held-out seeds are 11–13.
  const seed = 5;
  const condition = CONDITIONS['variable-breathing'];
  const run = (alongSpreadScale: number) => runScenario(twin, 'reach-lateral-zone', 'eam', {
    device: { seed, ...condition.device(seed) },
    pipeline: { compensation: { ...DEFAULT_COMPENSATION, eam: { ...DEFAULT_COMPENSATION.eam, alongSpreadScale } } },
  });
  const without = await run(0);
  const with_ = await run(DEFAULT_COMPENSATION.eam.alongSpreadScale ?? 2.5);
  const count = (r: Awaited<ReturnType<typeof run>>): number => r.guidance.filter((g) => confidentlyWrong(g, r.truths.get(g.seq)!)).length;
  // Measured: 164 of 2842 samples sure and wrong without, 100 with (the rest: a lead held still in
  // the trunk for seconds, 5–7 mm from where it is shown, which the filter believes it has learnt).
  expect(count(without)).toBeGreaterThan(50);
  expect(count(with_)).toBeLessThan(0.7 * count(without));
  // The place is the same: only what is claimed about it changed.
  expect(with_.guidance.map((g) => g.tip.arcLengthMm)).toEqual(without.guidance.map((g) => g.tip.arcLengthMm));
});
