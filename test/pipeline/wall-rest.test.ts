// A lead rests on the wall of a vein wider than itself, not on the twin's centreline (the middle of
// the lumen). On still input the display shows the tip where it rests: the measured offset across
// the vein, once it is more than the registration's error and the noise explain (1 mm), and never
// further out than the lumen leaves a 5 F body. A tip on the centreline is not moved off it. The
// input is built here, not by the device
// simulator: a still or slowly pulled lead in the demo twin's coronary sinus (3–4 mm radius).
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Guidance } from '../../protocol/index.ts';
import type { PipelineInput } from '../../server/pipeline/flow.ts';
import { guidancePipeline } from '../../server/pipeline/procedure-pipeline.ts';
import { identityRegistration } from '../../server/pipeline/registration.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { branchDirection, pointOnBranch, radiusAt } from '../../server/twin/vein-tree.ts';
import { generator } from '../../bench/support/independent-client.ts';

let twin: Twin;
beforeAll(async () => { twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname, { loadModel: false }); });
afterAll(() => twin.close());

type V3 = [number, number, number];
const RATE_HZ = 50;
const LEAD_RADIUS_MM = 5 / 3 / 2;

/**
 * A lead in the coronary sinus at arc length arc(t), resting `share` of the way from the centreline
 * to the wall (the vein's radius less the lead's) on one side, plus heart(t) and 0.5 mm of noise;
 * each guidance with the true tip.
 */
async function run(arc: (t: number) => number, share: number, heart: (t: number) => V3, seconds: number, seed: number): Promise<{ g: Guidance; truth: V3 }[]> {
  const cs = twin.veins.branches.find((b) => b.id === 'cs')!;
  const gauss = generator(seed).gauss;
  const inputs: PipelineInput[] = [{ kind: 'registration', registration: identityRegistration() }];
  const truths: V3[] = [];
  const c = new Float64Array(3), dir = new Float64Array(3), a = new Float64Array(3), b = new Float64Array(3), at = { segment: 0, t: 0 };
  for (let seq = 0; seq < seconds * RATE_HZ; seq++) {
    const t = seq / RATE_HZ, s = cs.startArcMm + arc(t);
    pointOnBranch(twin.veins, cs, s, c, at);
    branchDirection(twin.veins, cs, s, 5, dir, a, b);
    // A side across the vein: the direction crossed with a fixed axis, made unit.
    let nx = dir[1]! * 0 - dir[2]! * 1, ny = dir[2]! * 0 - dir[0]! * 0, nz = dir[0]! * 1 - dir[1]! * 0;
    const n = Math.hypot(nx, ny, nz); nx /= n; ny /= n; nz /= n;
    const off = share * (radiusAt(twin.veins, at.segment, at.t) - LEAD_RADIUS_MM);
    const truth: V3 = [c[0]! + off * nx, c[1]! + off * ny, c[2]! + off * nz];
    truths.push(truth);
    const h = heart(t);
    inputs.push({ kind: 'sample', sample: { type: 'tip', seq, t, p: [truth[0] + h[0] + 0.5 * gauss(), truth[1] + h[1] + 0.5 * gauss(), truth[2] + h[2] + 0.5 * gauss()] } });
  }
  const out = (await lastValueFrom(from(inputs).pipe(guidancePipeline(twin, { procedureId: 'wall-rest' }), toArray()))).filter((m): m is Guidance => m.type === 'guidance');
  return out.map((g) => ({ g, truth: truths[g.seq]! }));
}

const median = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)]!;
const errors = (rows: { g: Guidance; truth: V3 }[], fromS: number): number[] =>
  rows.filter((r) => r.g.t >= fromS && r.g.tip.branch === 'cs').map((r) => Math.hypot(r.g.tip.p[0] - r.truth[0], r.g.tip.p[1] - r.truth[1], r.g.tip.p[2] - r.truth[2]));
const still = (): V3 => [0, 0, 0];

describe('the tip shown where it rests across the vein', () => {
  it('a lead resting on the wall of the coronary sinus, still and then pulled slowly, is shown there, not on the centreline', async () => {
    // 20 s still 40 mm into the sinus, then 20 s pulled back 20 mm: 2.2–3.2 mm off the centreline.
    const rows = await run((t) => 40 - Math.max(0, t - 20), 1, still, 40, 3);
    const e = errors(rows, 3);
    expect(e.length).toBeGreaterThan(1500);
    expect(median(e)).toBeLessThan(1); // on the centreline it is the whole offset, 2.2–3.2 mm
  });

  it('a lead on the centreline is not moved off it', async () => {
    const e = errors(await run((t) => 40 - Math.max(0, t - 20), 0, still, 40, 4), 3);
    expect(median(e)).toBeLessThan(0.3);
  });
});
