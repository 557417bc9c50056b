// One fluoroscopic view: the tip is where its ray crosses a vein. Motion left in the image can carry
// the ray off the lead's own vein for a breath; its only crossings are then other veins, possibly far
// away in depth. On the second heart's long trunk the tracker used to restart there and stay for
// seconds, 70 mm from the lead. Now the lead's own vein stays a candidate, scored by the miss, and a
// restart costs more: fewer samples far off, though not by as much as one seed first suggested. (What is left: a jump of 107 mm along the trunk itself, which a ray's
// transitions, 6 mm per log unit, price below a restart.) And the view takes out the breath beyond
// its harmonic, so less motion is left in the image to carry the ray off at all.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { conditionDevice } from '../../simulators/device/accuracy.ts';
import { runScenario } from '../../simulators/device/run-scenario.ts';

let twin: Twin;
/** Each sample's tip error (mm) by seed: a tour of the second heart in one view, training seeds 1–6. */
const errorsBySeed: number[][] = [];
beforeAll(async () => {
  twin = await loadTwinFile(new URL('../../data/bench-twins/second-heart.twin.json', import.meta.url).pathname);
  // A physiological heart and breath (Lujan, ±12 % period, ±15 % depth, sighs), pooled: what happens
  // on one seed is chaotic (a last-bit change in the motion spectrum took seed 1 from 17 samples far
  // off to 138), the pool is not. (The bench's held-out seeds are 11–13.)
  for (let seed = 1; seed <= 6; seed++) {
    const run = await runScenario(twin, 'tour', 'fluoro-single', { device: conditionDevice('physiological', seed) });
    errorsBySeed.push(run.guidance.map((g) => { const tr = run.truths.get(g.seq)!; return Math.hypot(g.tip.p[0] - tr.p[0], g.tip.p[1] - tr.p[1], g.tip.p[2] - tr.p[2]); }));
  }
}, 120_000);
afterAll(() => twin.close());

const samplesOff = (mm: number): number => errorsBySeed.reduce((n, errors) => n + errors.filter((e) => e > mm).length, 0);

it('a single-plane ray that misses the lead\'s vein for a breath does not send the place to another vein far away', () => {
  // Measured (samples more than 30 mm off, of about 12,000): before the near misses, 685
  // (85/119/92/291/49/49 by seed); with them 300 (17/125/2/156/0/0), and 421 with the spectrum's
  // bins stepped by rotation (138/125/2/156/0/0); 338 before one view took out a free-form breath
  // (82/0/75/127/34/20), 168 with it (10/3/11/103/34/7).
  expect(samplesOff(30)).toBeLessThan(685 * 0.7);
});

it('one view takes out a breath that is not its harmonic, so the ray stays on the lead\'s vein', () => {
  // The rest of a breath that is not its harmonic moves the image along the cranial axis as the
  // view shows it; with only the harmonic taken out, one view left it in the image and the ray fell
  // on other veins. Measured (samples more than 10 mm off, of 12,279): harmonic only 759
  // (117/70/174/241/87/70 by seed); with the free-form breath along the view's cranial axis 536
  // (46/75/75/196/108/36).
  expect(samplesOff(10)).toBeLessThan(759 * 0.85);
});
