// One fluoroscopic view: where its place swings along the vein from frame to frame (a vein running
// toward the beam, a ray crossing two veins), the place is not known, however well each crossing
// fits. The swing beyond raySwingFloorMm now counts in the confidence, so the instruction is
// withheld there; a place that stays put (or swings within the view's own noise) is shown as before.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TreeTracker, newTrackEstimate, type TrackerOptions } from '../../server/pipeline/tree-tracker.ts';
import { RAY_TOLERANCE_MM } from '../../server/pipeline/stages/track-on-tree.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import { pointOnBranch } from '../../server/twin/vein-tree.ts';
import { cross, sub, unit, type Vec as V3 } from '../../simulators/twin/triangle-mesh.ts';

let twin: Twin;
beforeAll(async () => {
  twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname, { loadModel: false });
});
afterAll(() => twin.close());

/**
 * 15 frames/s of rays side-on to the coronary sinus through its point at arc length 40 mm +
 * swing(t): the view's crossing moves along the vein as the ray does. Confidences from 4 s on.
 */
function confidences(options: Partial<TrackerOptions>, swing: (t: number) => number): number[] {
  const v = twin.veins, sinus = v.branches.find((b) => b.id === 'cs')!;
  const tracker = new TreeTracker(twin, options);
  const p = new Float64Array(3), q = new Float64Array(3);
  const out: number[] = [];
  for (let k = 0; k < 10 * 15; k++) {
    const t = k / 15;
    pointOnBranch(v, sinus, 40 + swing(t), p);
    pointOnBranch(v, sinus, 41 + swing(t), q);
    const along = unit(sub([q[0]!, q[1]!, q[2]!], [p[0]!, p[1]!, p[2]!]));
    // Side-on: the beam across the vein, so the crossing is where the ray says.
    const beam = unit(cross(along, Math.abs(along[2]) < 0.9 ? [0, 0, 1] : [1, 0, 0]));
    const origin: V3 = [p[0]! - 600 * beam[0], p[1]! - 600 * beam[1], p[2]! - 600 * beam[2]];
    const e = tracker.updateRay(t, origin, beam, RAY_TOLERANCE_MM, newTrackEstimate());
    if (t >= 4) out.push(e.confidence);
  }
  return out;
}

const shown = (cs: number[]): number => cs.filter((c) => c >= 0.35).length / cs.length;
/** The place walking ±25 mm along the vein at 1.5 Hz (faster than any push: the heart's rhythm). */
const walking = (t: number): number => 25 * Math.sin(2 * Math.PI * 1.5 * t);

it('shows a place that stays on its vein', () => {
  expect(shown(confidences({}, () => 0))).toBeGreaterThan(0.9);
});

it('shows a place swinging within the view\'s own noise along the vein (±5 mm)', () => {
  expect(shown(confidences({}, (t) => 5 * Math.sin(2 * Math.PI * 1.5 * t)))).toBeGreaterThan(0.9);
});

it('shows a lead pushed and pulled back along the vein (±20 mm every 4 s): the catheter\'s own motion', () => {
  expect(shown(confidences({}, (t) => 20 * Math.sin(2 * Math.PI * 0.25 * t)))).toBeGreaterThan(0.9);
});

it('withholds the instruction while the place walks ±25 mm along the vein; without the swing counted it was shown', () => {
  expect(shown(confidences({ raySwingWeight: 0 }, walking))).toBeGreaterThan(0.9);
  expect(shown(confidences({}, walking))).toBeLessThan(0.2);
});
