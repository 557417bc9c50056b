// What the physician reads must not flicker: a tip swinging with the heartbeat across a zone
// border or the approach distance keeps one state and one instruction; a real exit still shows
// within the decision lag, and entering a zone shows at once.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ZoneGuide, DEFAULT_GUIDANCE_OPTIONS, type ZoneDecision } from '../../server/pipeline/zone-guidance.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import { segmentAt } from '../helpers/twins.ts';

let twin: Twin;
beforeAll(async () => {
  twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname, { loadModel: false });
});
afterAll(() => twin.close());

/** Drive the guide along a zone's branch with arc(t); the displayed (state, text) changes. */
function run(arc: (t: number) => number, seconds: number): { changes: { t: number; d: ZoneDecision }[] } {
  const zone = twin.zones[0]!;
  const guide = new ZoneGuide(twin);
  const changes: { t: number; d: ZoneDecision }[] = [];
  let last = '';
  for (let i = 0; i <= seconds * 100; i++) {
    const t = i / 100;
    const s = arc(t);
    const d = guide.decide(t, zone.branch, segmentAt(twin, zone.branch, s), s, 0.9);
    const key = `${d.state}|${d.instruction}|${d.targetBranch ?? ''}`;
    if (key !== last) changes.push({ t, d });
    last = key;
  }
  return { changes };
}

// Deterministic "noise": a fixed sum of sines at incommensurate frequencies, about ±0.6 mm.
const jitter = (t: number): number => 0.35 * Math.sin(2 * Math.PI * 7.3 * t) + 0.25 * Math.sin(2 * Math.PI * 13.1 * t + 1);
const beat = (t: number): number => 2 * Math.sin(2 * Math.PI * 1.1 * t); // ±2 mm along the vein at 66 bpm

describe('zone hysteresis', () => {
  it('holds IN TARGET ZONE while the heartbeat swings the tip across the zone start', () => {
    const start = twin.zones[0]!.startArcMm;
    const { changes } = run((t) => (t < 1 ? start - 30 + 30 * t : start + 0.5 + beat(t) + jitter(t)), 12);
    const after = changes.filter((c) => c.t > 1.05);
    expect(after.every((c) => c.d.state === 'in')).toBe(true);
    expect(after.length).toBeLessThanOrEqual(1);
  });

  it('does not flicker between approaching and outside at the approach distance', () => {
    const start = twin.zones[0]!.startArcMm;
    const { changes } = run((t) => start - DEFAULT_GUIDANCE_OPTIONS.approachMm - 0.5 + 1.5 * Math.sin(2 * Math.PI * 1.1 * t) + jitter(t), 12);
    expect(changes.length).toBeLessThanOrEqual(2);
  });

  it('still shows a real withdrawal out of the zone within the decision lag, and an entry at once', () => {
    const start = twin.zones[0]!.startArcMm;
    // In the zone, then pulled back 1 mm per 10 ms from t = 2 s.
    const arc = (t: number): number => (t < 2 ? start + 3 : start + 3 - (t - 2) * 100);
    const { changes } = run(arc, 3);
    const entered = changes.find((c) => c.d.state === 'in')!;
    expect(entered.t).toBe(0); // inside from the first sample: IN at once
    const left = changes.find((c) => c.t > 2 && c.d.state !== 'in')!;
    const beyondMargin = 2 + (3 + DEFAULT_GUIDANCE_OPTIONS.exitMarginMm) / 100;
    expect(left.t - beyondMargin).toBeLessThanOrEqual(DEFAULT_GUIDANCE_OPTIONS.exitHoldS + 0.021); // the hold, plus up to two sample periods of rounding
    expect(DEFAULT_GUIDANCE_OPTIONS.exitHoldS).toBeLessThanOrEqual(0.15);
    expect(DEFAULT_GUIDANCE_OPTIONS.instructionHoldS).toBeLessThanOrEqual(0.15);
  });

  it('a steady withdrawal past the approach distance shows OUTSIDE after the narrow margin, not the wide one', () => {
    const o = DEFAULT_GUIDANCE_OPTIONS;
    const start = twin.zones[0]!.startArcMm;
    // From 5 mm short of the zone, withdrawn at 10 mm/s (the distance to the zone grows as fast).
    const speed = 10;
    const { changes } = run((t) => start - 5 - speed * t, 2);
    const out = changes.find((c) => c.d.state === 'outside')!;
    const atNarrow = (o.approachMm + o.recedingMarginMm - 5) / speed;
    expect(o.recedingMarginMm).toBeLessThan(o.approachMarginMm);
    expect(out.t).toBeGreaterThanOrEqual(atNarrow);
    expect(out.t - atNarrow).toBeLessThanOrEqual(o.instructionHoldS + 0.021);
    // The wide margin would have shown it only after (approachMm + approachMarginMm − 5) / speed.
    expect(out.t).toBeLessThan((o.approachMm + o.approachMarginMm - 5) / speed);
  });

  it('shows APPROACHING as the approach distance is crossed: a change of state alone does not wait for the instruction hold', () => {
    const o = DEFAULT_GUIDANCE_OPTIONS;
    const start = twin.zones[0]!.startArcMm;
    // Advanced steadily at 10 mm/s from 20 mm short of the zone: ADVANCE throughout, the state turns once.
    const speed = 10;
    const { changes } = run((t) => start - 20 + speed * t, 1.2);
    const approaching = changes.find((c) => c.d.state === 'approaching')!;
    const crossed = (20 - o.approachMm) / speed;
    expect(approaching.t).toBeGreaterThanOrEqual(crossed - 0.011);
    expect(approaching.t - crossed).toBeLessThanOrEqual(0.011); // within a sample (the hold would add 0.1 s)
    expect(approaching.d.instruction).toBe('advance');
  });

  it('a new instruction still waits for the hold', () => {
    const o = DEFAULT_GUIDANCE_OPTIONS;
    const zone = twin.zones[0]!;
    // Short of the zone (ADVANCE), then at once beyond its end (WITHDRAW): the old instruction stays for the hold.
    const { changes } = run((t) => (t < 1 ? zone.startArcMm - 4 : zone.endArcMm + 4), 1.5);
    const withdraw = changes.find((c) => c.d.instruction === 'withdraw')!;
    expect(changes[0]!.d.instruction).toBe('advance');
    expect(withdraw.t - 1).toBeGreaterThanOrEqual(o.instructionHoldS - 0.001);
    expect(withdraw.t - 1).toBeLessThanOrEqual(o.instructionHoldS + 0.021);
  });
});
