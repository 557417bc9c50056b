// One fluoroscopic view sees no depth: the ray through the lead in the coronary sinus can also cross
// a vein 50–100 mm in front of it or behind it. While motion left in the image carries the ray off
// the lead's own vein (a breath the view has not learnt), that far vein fits better, frame after
// frame, and the tracker used to restart there within a few frames and show it with an instruction
// (the independent client, second heart: 75–97 mm off for up to 3 s, WITHDRAW shown). A path begun
// by a restart is now shown only once the path followed all along has failed to explain the view
// for rayRestartConfirmS on end.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TreeTracker, newTrackEstimate, type TrackEstimate, type TrackerOptions } from '../../server/pipeline/tree-tracker.ts';
import { RAY_TOLERANCE_MM } from '../../server/pipeline/stages/track-on-tree.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import { cross, norm, sub, unit, type Vec as V3 } from '../../simulators/twin/triangle-mesh.ts';

let twin: Twin;
/** The lead's place on the sinus, and a node of a far vein (another branch, far along the tree) 50–100 mm from it. */
let lead: V3, far: V3, farBranch: number, leadBranch: number;
beforeAll(async () => {
  twin = await loadTwinFile(new URL('../../data/bench-twins/second-heart.twin.json', import.meta.url).pathname, { loadModel: false });
  const v = twin.veins, at = (i: number): V3 => [v.positionsMm[3 * i]!, v.positionsMm[3 * i + 1]!, v.positionsMm[3 * i + 2]!];
  leadBranch = v.branches.findIndex((b) => b.id === 'cs');
  const sinus = v.branches[leadBranch]!.nodes;
  const i = sinus.find((n) => v.arcLengthMm[n]! >= 60) ?? sinus[sinus.length - 1]!;
  lead = at(i);
  let best = -1;
  v.branches.forEach((b, k) => {
    if (k === leadBranch) return;
    for (const n of b.nodes) {
      const d = norm(sub(at(n), lead));
      if (d >= 50 && d <= 100 && v.arcLengthMm[n]! > v.arcLengthMm[i]! + 150 && (best < 0 || v.arcLengthMm[n]! > v.arcLengthMm[best]!)) { best = n; farBranch = k; }
    }
  });
  far = at(best);
});
afterAll(() => twin.close());

const dist = (e: TrackEstimate, p: V3): number => Math.hypot(e.x - p[0], e.y - p[1], e.z - p[2]);

/**
 * 15 frames/s: 3 s of rays through the lead alone (a side-on direction; unless not `sideOnFirst`), then rays through both the
 * lead and the far vein, except from `missFrom` to `missTo` (s), when the ray is turned about the far
 * vein's point so that it misses the lead by 8 mm.
 */
function run(options: Partial<TrackerOptions>, missFrom: number, missTo: number, seconds: number, sideOnFirst = true): { t: number; e: TrackEstimate }[] {
  const tracker = new TreeTracker(twin, options);
  const beam = unit(sub(far, lead));
  const side = unit(cross(beam, [0, 0, 1]));
  const out: { t: number; e: TrackEstimate }[] = [];
  for (let k = 0; k < seconds * 15; k++) {
    const t = k / 15;
    let through = lead, dir = beam;
    if (sideOnFirst && t < 3) dir = unit(cross(beam, side));
    else if (t >= missFrom && t < missTo) {
      const off: V3 = [lead[0] + 8 * side[0], lead[1] + 8 * side[1], lead[2] + 8 * side[2]];
      dir = unit(sub(far, off));
      through = far;
    }
    const origin: V3 = [through[0] - 600 * dir[0], through[1] - 600 * dir[1], through[2] - 600 * dir[2]];
    out.push({ t, e: { ...tracker.updateRay(t, origin, dir, RAY_TOLERANCE_MM, newTrackEstimate()) } });
  }
  return out;
}

it('finds a far vein on the ray through the lead (the scenario)', () => {
  expect(norm(sub(far, lead))).toBeGreaterThan(50);
  expect(farBranch).not.toBe(leadBranch);
});

it('without the confirmation (the old tracker) a 1.5 s miss sends the place to the far vein, and it stays there', () => {
  // (Measured: 95 mm off from 0.4 s into the miss, at confidence up to 0.75, and at 0.5 after it,
  // the ray crossing both veins again. The old tracker counted one view's swing along the vein
  // neither: with the swing alone, that far place is never shown with an instruction.)
  const frames = run({ rayRestartConfirmS: 0, raySwingWeight: 0 }, 5, 6.5, 9);
  const during = frames.filter((f) => f.t >= 5 && f.t < 6.5);
  expect(during.some((f) => dist(f.e, far) < 15 && f.e.confidence >= 0.35)).toBe(true);
  expect(frames.filter((f) => f.t >= 8).every((f) => dist(f.e, far) < 15)).toBe(true);
});

it('a 1.5 s miss of the lead\'s own vein keeps the place on it, the instruction withheld, and no far place is ever shown', () => {
  const frames = run({}, 5, 6.5, 9);
  for (const f of frames.filter((x) => x.t >= 1)) expect(dist(f.e, lead), `t ${f.t.toFixed(2)}`).toBeLessThan(15);
  for (const f of frames.filter((x) => x.t >= 5 && x.t < 6.5)) expect(f.e.confidence, `t ${f.t.toFixed(2)}`).toBeLessThan(0.35);
  // Back on both veins: the lead's place is shown again with its confidence.
  const after = frames.filter((f) => f.t >= 8);
  expect(after.every((f) => f.e.branch === leadBranch)).toBe(true);
});

it('a miss that lasts is believed after rayRestartConfirmS: the place goes to the far vein, not held for ever', () => {
  const frames = run({}, 5, 20, 12);
  const moved = frames.find((f) => f.t >= 5 && dist(f.e, far) < 15);
  expect(moved, 'never moved').toBeDefined();
  expect(moved!.t).toBeGreaterThanOrEqual(5 + 3 - 0.2);
  expect(moved!.t).toBeLessThan(5 + 3 + 1);
  expect(frames.filter((f) => f.t >= 10).every((f) => f.e.branch === farBranch || dist(f.e, far) < 15)).toBe(true);
});

it('from the very first frame: a miss in the first second does not choose the far vein for good', () => {
  // The first ray crosses both veins; the one further along the tree (by more than the start
  // prior's 40 mm) is a newcomer. (Found by the independent client, demo twin, seed 6: a walk
  // shown 75 mm off in the anterior interventricular vein from its first second to its 36th.)
  const old = run({ rayRestartConfirmS: 0 }, 0.3, 1.5, 5, false);
  expect(old.filter((f) => f.t >= 3).every((f) => dist(f.e, far) < 15)).toBe(true);
  const frames = run({}, 0.3, 1.5, 5, false);
  for (const f of frames) expect(dist(f.e, lead), `t ${f.t.toFixed(2)}`).toBeLessThan(15);
});
