// Clean input is the easiest case there is: a lead pushed steadily (5 and 10 mm/s, through the
// coronary sinus into the posterolateral vein) and then held must be shown confidently all along
// (within what the first seconds allow: a breath may yet come), not as LOW CONFIDENCE for seconds
// because the tracker took its own speed for motion left in. At
// 20 mm/s the motion filter still takes part of the push for a heartbeat near the forks (confidence
// falls there, honestly): it must never be sure and wrong, and be confident once the lead is held.
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Guidance } from '../../protocol/index.ts';
import type { PipelineInput } from '../../server/pipeline/flow.ts';
import { guidancePipeline } from '../../server/pipeline/procedure-pipeline.ts';
import { identityRegistration } from '../../server/pipeline/registration.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { placeOnBranch, route } from '../../simulators/device/tree-route.ts';

let twin: Twin;
beforeAll(async () => { twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname, { loadModel: false }); });
afterAll(() => twin.close());

describe('a fast steady push on clean input', () => {
  const run = async (mmS: number): Promise<{ guidance: Guidance[]; path: ReturnType<typeof route> }> => {
    const zone = twin.zones.find((z) => z.branchId === 'plv')!;
    const path = route(twin, placeOnBranch(twin, 'cs', 2), placeOnBranch(twin, 'plv', zone.endArcMm), mmS / 100);
    const inputs: PipelineInput[] = [{ kind: 'registration', registration: identityRegistration() }];
    const end = path.at(-1)!;
    [...path, ...Array(300).fill(end)].forEach((p, seq) => inputs.push({ kind: 'sample', sample: { type: 'tip', seq, t: seq * 0.01, p: [p.x, p.y, p.z] } }));
    const guidance = (await lastValueFrom(from(inputs).pipe(guidancePipeline(twin, { procedureId: 'push' }), toArray()))).filter((m): m is Guidance => m.type === 'guidance');
    return { guidance, path };
  };

  it('at 20 mm/s is never sure and wrong, and is confident again within a second of stopping', async () => {
    const { guidance, path } = await run(20);
    for (const g of guidance) {
      const truth = path[Math.min(path.length - 1, g.seq)]!;
      const off = Math.hypot(g.tip.p[0] - truth.x, g.tip.p[1] - truth.y, g.tip.p[2] - truth.z);
      if (g.tip.confidence >= 0.8) expect(off).toBeLessThan(5);
    }
    const held = guidance.filter((g) => g.seq >= path.length + 100);
    expect(held.every((g) => g.tip.confidence >= 0.8 && g.zone.state === 'in')).toBe(true);
  });

  for (const mmS of [5, 10]) {
    it(`at ${mmS} mm/s is shown confidently while moving and once held`, async () => {
      const { guidance, path } = await run(mmS);
      const after = guidance.filter((g) => g.t >= 1); // the first second learns the heart (there is none)
      // For the first 15 s a breath may yet come (nothing has been watched long enough to say there
      // is none), and along the stretches that run head to foot the place is not claimed at 0.8:
      // confident here is ≥ 0.6 (before that change, ≥ 0.8 for > 0.85 of these samples).
      const confident = after.filter((g) => g.tip.confidence >= 0.6).length / after.length;
      const low = after.filter((g) => g.zone.text.startsWith('LOW CONFIDENCE')).length / after.length;
      // (At the forks confidence dips while another vein is as near as the one the tip is in: honest.)
      expect(confident).toBeGreaterThan(0.9);
      expect(low).toBeLessThan(0.05);
      // Held at the end: confident, in the zone, every sample.
      const held = guidance.filter((g) => g.seq >= path.length + 50);
      expect(held.every((g) => g.tip.confidence >= 0.8 && g.zone.state === 'in')).toBe(true);
    });
  }
});
