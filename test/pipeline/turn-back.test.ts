// A lead pushed steadily to the end of a vein and pulled back at the same speed, on input with no
// motion in it (clean, or gated): the tracker's along-vein swing measure lagged the turn by a
// second and read the lag as motion left in, so the panel said LOW CONFIDENCE for seconds while the
// tip was shown within a millimetre (found on gated training seeds: 2.5 s at confidence 0.09, the
// place 0.5 mm off). Nothing is taken out of such input, so nothing is left in to swing.
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Guidance } from '../../protocol/index.ts';
import type { PipelineInput } from '../../server/pipeline/flow.ts';
import { guidancePipeline } from '../../server/pipeline/procedure-pipeline.ts';
import { identityRegistration } from '../../server/pipeline/registration.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { CONDITIONS, twinFor } from '../../simulators/device/conditions.ts';
import type { FeedKind } from '../../simulators/device/device-simulator.ts';
import { runScenario } from '../../simulators/device/run-scenario.ts';
import { placeOnBranch, route } from '../../simulators/device/tree-route.ts';

let twin: Twin;
beforeAll(async () => { twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname, { loadModel: false }); });
afterAll(() => twin.close());

it('keeps its instruction through a turn back at the end of a vein on clean input', async () => {
  const branch = twin.veins.branches.find((b) => b.id === 'plv')!;
  const end = branch.startArcMm + branch.lengthMm - 1;
  // 8 mm/s in, and back out 30 mm at 8 mm/s (100 Hz).
  const inward = route(twin, placeOnBranch(twin, 'plv', branch.startArcMm + 5), placeOnBranch(twin, 'plv', end), 0.08);
  const outward = route(twin, placeOnBranch(twin, 'plv', end), placeOnBranch(twin, 'plv', end - 30), 0.08);
  const path = [...inward, ...outward.slice(1)];
  const inputs: PipelineInput[] = [{ kind: 'registration', registration: identityRegistration() }];
  path.forEach((p, seq) => inputs.push({ kind: 'sample', sample: { type: 'tip', seq, t: seq * 0.01, p: [p.x, p.y, p.z] } }));
  const guidance = (await lastValueFrom(from(inputs).pipe(guidancePipeline(twin, { procedureId: 'turn' }), toArray()))).filter((m): m is Guidance => m.type === 'guidance');
  const turn = inward.length;
  // From half a second before the turn to the end of the pull-back.
  const around = guidance.filter((g) => g.seq >= turn - 50);
  let worstOff = 0;
  for (const g of around) {
    const truth = path[g.seq]!;
    worstOff = Math.max(worstOff, Math.hypot(g.tip.p[0] - truth.x, g.tip.p[1] - truth.y, g.tip.p[2] - truth.z));
  }
  // The place is right throughout (a test that the input is as easy as it is meant to be)…
  expect(worstOff).toBeLessThan(2);
  // …and so is the panel: no LOW CONFIDENCE at the turn, and the instruction there.
  const low = around.filter((g) => g.zone.instruction === 'none');
  expect(low.length, `LOW CONFIDENCE in ${low.length} of ${around.length} samples from ${low[0]?.seq}`).toBe(0);
  expect(Math.min(...around.map((g) => g.tip.confidence))).toBeGreaterThan(0.5);
});

// The simulator's tour (into every vein and back) on clean input, a seed never tuned on: the
// instruction is withheld from a right place only beside another vein, where a turn back may be a
// change of vein. (Before: 5.5 % of EAM samples and 14.5 % of biplane frames, at every turn; now 0.1 % and 3.2 %.)
for (const [feed, most] of [['eam', 0.02], ['fluoro-biplane', 0.05]] as [FeedKind, number][]) {
  it(`seldom withholds the instruction from a right place on a tour of clean input (${feed})`, async () => {
    const clean = CONDITIONS.clean, seed = 21;
    const run = await runScenario(twinFor(twin, clean), 'tour', feed, { device: { seed, ...clean.device(seed) }, landmarkNoiseMm: clean.landmarkNoiseMm! });
    let withheldRight = 0, n = 0;
    for (const g of run.guidance) {
      const truth = run.truths.get(g.seq);
      if (!truth || g.t - run.guidance[0]!.t < 2) continue; // the first seconds learn that nothing moves
      n++;
      const right = g.tip.branch === truth.branch && Math.hypot(g.tip.p[0] - truth.p[0], g.tip.p[1] - truth.p[1], g.tip.p[2] - truth.p[2]) <= 5;
      if (right && g.zone.instruction === 'none') withheldRight++;
    }
    expect(n).toBeGreaterThan(1000);
    expect(withheldRight / n).toBeLessThan(most);
  });
}
