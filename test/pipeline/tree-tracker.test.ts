// The tracker's candidate pool: a fluoro ray that meets no vein holds the last state, and must
// leave the previous states intact for the next observation (they were once recycled while in use).
import { afterAll, beforeAll, expect, it } from 'vitest';
import { TreeTracker, newTrackEstimate, type TrackEstimate } from '../../server/pipeline/tree-tracker.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import { pointAt, placeOnBranch } from '../../simulators/device/tree-route.ts';
import { WALL_CONTACT, WallContact } from '../../simulators/device/wall-contact.ts';

let twin: Twin;
beforeAll(async () => {
  twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname, { loadModel: false });
});
afterAll(() => twin.close());

/** Points along a branch, from its start, 1 mm apart, 2 mm off the centreline. */
function walk(branch: number, count: number): [number, number, number][] {
  const v = twin.veins;
  const nodes = v.branches[branch]!.nodes;
  const out: [number, number, number][] = [];
  for (let k = 1; k < nodes.length && out.length < count; k++) {
    const i = nodes[k]!;
    out.push([v.positionsMm[3 * i]! + 2, v.positionsMm[3 * i + 1]!, v.positionsMm[3 * i + 2]!]);
  }
  return out;
}

it('a ray that meets no vein leaves the previous states for the next observation untouched', () => {
  const branch = twin.veins.branches.findIndex((b) => b.id === 'gcv');
  const points = walk(branch, 40);
  const run = (withMisses: boolean): TrackEstimate[] => {
    const tracker = new TreeTracker(twin);
    const estimates: TrackEstimate[] = [];
    points.forEach((p, k) => {
      const t = k * 0.05;
      // A ray far from the heart, pointing away from it: it crosses no vein.
      if (withMisses && k % 5 === 4) tracker.updateRay(t - 0.01, [1000, 1000, 1000], [1, 0, 0], 3, newTrackEstimate());
      estimates.push({ ...tracker.updatePoint(t, p[0], p[1], p[2], newTrackEstimate()) });
    });
    return estimates;
  };
  const clean = run(false);
  const withMisses = run(true);
  expect(clean.every((e) => e.branch === branch)).toBe(true);
  for (let k = 0; k < clean.length; k++) {
    expect(withMisses[k]!.branch, `sample ${k}`).toBe(clean[k]!.branch);
    expect(withMisses[k]!.arcLengthMm, `sample ${k}`).toBeCloseTo(clean[k]!.arcLengthMm, 9);
    expect(withMisses[k]!.confidence, `sample ${k}`).toBeCloseTo(clean[k]!.confidence, 9);
  }
});

/** The last estimate of a walk up the GCV, with the tracker told something by `tell` first. */
function lastOnGcv(tell: (tracker: TreeTracker) => void): TrackEstimate {
  const points = walk(twin.veins.branches.findIndex((b) => b.id === 'gcv'), 40);
  // (The breath not yet watched in a walk this short is left out: these tests weigh the other terms.)
  const tracker = new TreeTracker(twin, { unwatchedBreathMm: 0 });
  tell(tracker);
  let e = newTrackEstimate();
  points.forEach((p, k) => { e = { ...tracker.updatePoint(k * 0.05, p[0], p[1], p[2], newTrackEstimate()) }; });
  return e;
}

it('is less sure where motion compensation took a large motion out along the vessel (its errors there are unseen)', () => {
  const last = (alongMotionMm: number): TrackEstimate => lastOnGcv((tracker) => { tracker.alongMotionMm = alongMotionMm; });
  const none = last(0), small = last(4), large = last(12);
  // The same place and branch; only the confidence changes, more for more motion taken out along.
  expect(large.branch).toBe(none.branch);
  expect(large.arcLengthMm).toBeCloseTo(none.arcLengthMm, 9);
  expect(small.confidence).toBeLessThanOrEqual(none.confidence);
  expect(large.confidence).toBeLessThan(small.confidence);
  expect(large.confidence).toBeLessThan(0.8 * none.confidence);
});

it('is less sure where motion compensation says its motion along the vessel may be wrong (an error there is unseen)', () => {
  const last = (alongSpreadMm: number): TrackEstimate => lastOnGcv((tracker) => { tracker.alongSpreadMm = alongSpreadMm; });
  const none = last(0), small = last(1), large = last(4);
  // Confidence is the chance of being right (within 5 mm): a 1 mm spread leaves it, a 4 mm one does not.
  expect(large.branch).toBe(none.branch);
  expect(large.arcLengthMm).toBeCloseTo(none.arcLengthMm, 9);
  expect(small.confidence).toBeCloseTo(none.confidence, 4);
  expect(large.confidence).toBeLessThan(0.85 * none.confidence);
  expect(large.confidence).toBeGreaterThan(0.7 * none.confidence);
});

it('follows a lead resting on the wall of a wide vein through its bends, not held back on the side it rests on', () => {
  // The CS of the demo twin is ~7 mm across and turns by ~65° near arc 50 mm: a lead 2.8 mm off its
  // centreline, advanced at 8 mm/s and measured at 100 Hz without noise. Every state but the best
  // was once left unnormalised at each step (a penalty of the best state's own log-likelihood), so
  // the place stuck at the inner corner of a bend: 3.6 mm behind here (6-7 mm in the bench's runs).
  const v = twin.veins;
  const cs = v.branches[v.branchById.get('cs')!]!;
  const wall = new WallContact(twin, WALL_CONTACT, 2);
  const tracker = new TreeTracker(twin);
  let worst = 0;
  for (let k = 0; k <= 700; k++) {
    const arc = 10 + 0.08 * k;
    const place = pointAt(twin, placeOnBranch(twin, 'cs', arc));
    wall.apply(place, k * 0.01);
    const e = tracker.updatePoint(k * 0.01, place.x, place.y, place.z, newTrackEstimate());
    if (k < 50) continue; // (settling)
    expect(v.branches[e.branch]!.id, `at arc ${arc.toFixed(1)}`).toBe('cs');
    worst = Math.max(worst, Math.abs(e.arcLengthMm - arc));
  }
  expect(cs.endArcMm).toBeGreaterThan(66);
  expect(worst).toBeLessThan(2.5);
});
