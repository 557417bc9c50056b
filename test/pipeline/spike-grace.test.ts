// A single sensor spike does not flash LOW CONFIDENCE: the tracker holds the place (it moved
// nothing in the model) and, within spikeGraceS of the last observation it took, keeps the place's
// claim up to 0.75 (never sure: a fast push can look like a spike): the lead was there a sample ago. Spikes in a row beyond the grace are capped as a held
// place (0.2 at most), and a spike after a gap is capped at once.
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEFAULT_TRACKER_OPTIONS, TreeTracker, newTrackEstimate } from '../../server/pipeline/tree-tracker.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';

let twin: Twin;
beforeAll(async () => {
  twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname, { loadModel: false });
});
afterAll(() => twin.close());

/** A still tip on the great cardiac vein at 100 Hz for 3 s, then what `then` feeds; the estimates after. */
function run(then: (feed: (t: number, off: number) => { confidence: number; arcLengthMm: number }) => void): void {
  const v = twin.veins, gcv = v.branches[v.branchById.get('gcv')!]!;
  const node = gcv.nodes[20]!;
  const p = [v.positionsMm[3 * node]!, v.positionsMm[3 * node + 1]!, v.positionsMm[3 * node + 2]!] as const;
  const tracker = new TreeTracker(twin, { unwatchedBreathMm: 0 });
  const estimate = newTrackEstimate();
  const feed = (t: number, off: number) => ({ ...tracker.updatePoint(t, p[0] + off, p[1], p[2], estimate) });
  for (let i = 0; i <= 300; i++) feed(i / 100, 0);
  then(feed);
}

it('keeps the claim through one spike and a few in a row, caps it when they last beyond the grace', () => {
  expect(DEFAULT_TRACKER_OPTIONS.spikeGraceS).toBeGreaterThan(0.01); // one sample at 100 Hz
  expect(DEFAULT_TRACKER_OPTIONS.spikeGraceS).toBeLessThanOrEqual(0.1);
  run((feed) => {
    const before = feed(3.01, 0);
    expect(before.confidence).toBeGreaterThan(0.35);
    const spike = feed(3.02, 25); // 25 mm in 10 ms: no lead moves so
    expect(spike.arcLengthMm).toBe(before.arcLengthMm); // the place held
    expect(spike.confidence).toBe(Math.min(before.confidence, 0.75)); // and its claim kept, though never sure
    expect(spike.confidence).toBeGreaterThan(0.35);
    expect(feed(3.03, 0).confidence).toBeGreaterThan(0.35); // back at once
    // Spikes in a row (each far from the last: not a leap the next one confirms): kept while within
    // the grace of the last observation taken, then capped.
    let k = 1, last = 1;
    for (; k / 100 <= DEFAULT_TRACKER_OPTIONS.spikeGraceS - 0.005; k++) last = feed(3.03 + k / 100, k % 2 ? 25 : -25).confidence;
    expect(last).toBeGreaterThan(0.35);
    let capped = before;
    for (; k / 100 <= DEFAULT_TRACKER_OPTIONS.spikeGraceS + 0.015; k++) capped = feed(3.03 + k / 100, k % 2 ? 25 : -25);
    expect(capped.arcLengthMm).toBe(before.arcLengthMm); // still the held place, not a leap taken
    expect(capped.confidence).toBeLessThanOrEqual(0.2);
  });
});

it('caps a spike after a gap at once (the place is not a sample old)', () => {
  run((feed) => {
    feed(3.01, 0);
    // A gap of 0.2 s, then an observation far beyond what the lead could reach: a spike, not a sample ago.
    expect(feed(3.21, 60).confidence).toBeLessThanOrEqual(0.2);
  });
});
