// The first seconds of a procedure, before motion compensation has watched the patient long enough
// to know how the heart and the breath move it: found by an independent client (bench:independent),
// whose patients breathe and beat in their own way, not the device simulator's.
//  - A quiet start (the end-expiratory pause looks like nothing moves) and then the first breath,
//    on the second heart's trunk, which runs cranio-caudally there: the breath was read as a push
//    along the vein and shown up to 10 mm off at confidence 0.9–1.0.
//  - An unlearnt heartbeat at the ostium of the demo twin, where the middle cardiac vein leaves the
//    coronary sinus at a shallow angle: the sinus was shown as that vein at confidence ≥ 0.8.
// Neither can be placed right before it has been seen; the display must not be sure of it.
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Guidance } from '../../protocol/index.ts';
import type { PipelineInput } from '../../server/pipeline/flow.ts';
import { guidancePipeline } from '../../server/pipeline/procedure-pipeline.ts';
import { identityRegistration } from '../../server/pipeline/registration.ts';
import { CRANIAL } from '../../server/twin/heart-axes.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { pointOnBranch } from '../../server/twin/vein-tree.ts';
import { generator } from '../../bench/support/independent-client.ts';

let demo: Twin, second: Twin;
beforeAll(async () => {
  demo = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname, { loadModel: false });
  second = await loadTwinFile(new URL('../../data/bench-twins/second-heart.twin.json', import.meta.url).pathname, { loadModel: false });
});
afterAll(async () => { await demo.close(); await second.close(); });

type V3 = [number, number, number];
const RATE_HZ = 50;

/** Feed a still lead at `at`, moved by `motion(t)` (mm) plus 0.4 mm of noise, for `seconds`; the guidance with each sample's truth. */
async function still(twin: Twin, at: V3, motion: (t: number) => V3, seconds: number, seed: number): Promise<Guidance[]> {
  const gauss = generator(seed).gauss; // the independent client's, not the simulator's
  const inputs: PipelineInput[] = [{ kind: 'registration', registration: identityRegistration() }];
  for (let seq = 0; seq < seconds * RATE_HZ; seq++) {
    const t = seq / RATE_HZ, m = motion(t);
    inputs.push({ kind: 'sample', sample: { type: 'tip', seq, t, p: [at[0] + m[0] + 0.4 * gauss(), at[1] + m[1] + 0.4 * gauss(), at[2] + m[2] + 0.4 * gauss()] } });
  }
  return (await lastValueFrom(from(inputs).pipe(guidancePipeline(twin, { procedureId: 'first-seconds' }), toArray()))).filter((m): m is Guidance => m.type === 'guidance');
}

const off = (g: Guidance, truth: V3): number => Math.hypot(g.tip.p[0] - truth[0], g.tip.p[1] - truth[1], g.tip.p[2] - truth[2]);

it('is not sure of the place along a cranio-caudal vein when the first breath comes after a quiet start', async () => {
  // Where the second heart's great cardiac vein runs most nearly head to foot over 16 mm.
  const veins = second.veins, gcv = veins.branches[veins.branchById.get('gcv')!]!;
  let best = { arc: 0, share: 0 };
  const a = [0, 0, 0], b = [0, 0, 0];
  for (let arc = gcv.startArcMm + 10; arc < gcv.startArcMm + gcv.lengthMm - 10; arc += 1) {
    pointOnBranch(veins, gcv, arc - 8, a);
    pointOnBranch(veins, gcv, arc + 8, b);
    const share = Math.abs(b[2]! - a[2]!) / Math.hypot(b[0]! - a[0]!, b[1]! - a[1]!, b[2]! - a[2]!);
    if (share > best.share) best = { arc, share };
  }
  expect(best.share).toBeGreaterThan(0.8);
  const at = [0, 0, 0];
  pointOnBranch(veins, gcv, best.arc, at);
  // 3 s of end-expiratory pause, then an 8 mm breath toward the feet (1.3 s in, 1.5 s out), twice.
  const breath = (t: number): V3 => {
    const y = (t - 3) % 5.5;
    const depth = t < 3 ? 0 : y < 1.3 ? Math.sin((Math.PI / 2) * (y / 1.3)) ** 2 : y < 2.8 ? Math.cos((Math.PI / 2) * ((y - 1.3) / 1.5)) ** 2 : 0;
    return [-8 * depth * CRANIAL[0], -8 * depth * CRANIAL[1], -8 * depth * CRANIAL[2]];
  };
  const guidance = await still(second, at as V3, breath, 14, 5);
  const misplaced = guidance.filter((g) => off(g, at as V3) > 5);
  // The breath is read as the lead moving along the vein (what the test is about)…
  expect(misplaced.length).toBeGreaterThan(10);
  // …but never with confidence.
  const sure = misplaced.filter((g) => g.tip.confidence >= 0.8);
  expect(sure.length, `shown > 5 mm off at confidence ≥ 0.8 from t = ${sure[0]?.t} s (up to ${Math.max(0, ...sure.map((g) => g.tip.confidence)).toFixed(2)})`).toBe(0);
});

it('does not tell the coronary sinus from the middle cardiac vein beside it before it has learnt the heartbeat', async () => {
  const veins = demo.veins, cs = veins.branches[veins.branchById.get('cs')!]!;
  const apex = demo.landmarks.find((l) => l.name === 'lv-apex')!.positionMm;
  const base = demo.landmarks.filter((l) => l.name.includes('base') || l.name === 'cs-ostium').map((l) => l.positionMm);
  const centre = [0, 1, 2].map((k) => base.reduce((s, p) => s + p[k]!, 0) / base.length);
  const toApex = [0, 1, 2].map((k) => apex[k]! - centre[k]!);
  const length = Math.hypot(...toApex);
  let sureWrong = 0, wrong = 0;
  // Several places near the ostium, each its own procedure: a 6 mm systole toward the apex at 75/min.
  for (const [k, arc] of [3, 4, 5, 6, 7].entries()) {
    const at = [0, 0, 0];
    pointOnBranch(veins, cs, cs.startArcMm + arc, at);
    const beat = (t: number): V3 => {
      const x = (t * 1.25) % 1;
      const g = x < 0.32 ? 0.5 - 0.5 * Math.cos((Math.PI * x) / 0.32) : x < 0.55 ? 0.1 + 0.45 * (1 + Math.cos((Math.PI * (x - 0.32)) / 0.23)) : 0.1 * Math.exp(-(x - 0.55) / 0.08);
      return [6 * g * toApex[0]! / length, 6 * g * toApex[1]! / length, 6 * g * toApex[2]! / length];
    };
    const guidance = await still(demo, at as V3, beat, 3, 11 + k);
    for (const g of guidance) {
      if (g.tip.branch === 'cs') continue;
      wrong++;
      if (g.tip.confidence >= 0.8) sureWrong++;
    }
  }
  // The sinus is shown as another vein now and then (what the test is about)…
  expect(wrong).toBeGreaterThan(5);
  // …but never with confidence.
  expect(sureWrong).toBe(0);
});
