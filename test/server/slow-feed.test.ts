// Pulsed fluoroscopy at 4 frames/s (a dose-reduction protocol for device implantation) through the
// real server: the display must not be told "stale" between frames or at one dropped frame (the
// server's 50 ms ticks see a 250 ms gap at every frame), and must be told when the frames stop.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, type DisplayMessage } from '../../protocol/index.ts';
import { defaultDeviceOptions, simulateDevice } from '../../simulators/device/device-simulator.ts';
import { scenarioPlan } from '../../simulators/device/scenarios.ts';
import { pause, startLiveServer, type LiveServer } from '../helpers/live-server.ts';

let live: LiveServer;
beforeAll(async () => { live = await startLiveServer(); });
afterAll(async () => { await live.close(); });

describe('a slow fluoroscopic feed', () => {
  it('at 4 frames/s with one frame dropped stays live, then goes stale when the frames stop', async () => {
    const id = await live.createProcedure({ source: 'fluoro' });
    const twin = live.server.twins.get('demo')!;
    const statuses: { state: string; rateHz: number; at: number }[] = [];
    let sent = 0;
    const display = await live.open(`${live.ws}/ws/display?procedure=${id}`, (m: DisplayMessage) => {
      if (m.type === 'status') statuses.push({ state: m.feed.state, rateHz: m.feed.rateHz, at: sent });
    });
    const feed = await live.open(`${live.ws}/ws/feed?procedure=${id}`);
    const device = defaultDeviceOptions('fluoro-biplane', { rateHz: 4, durationS: 4, dropoutFraction: 0, twinToSource: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] });
    const frames = [...simulateDevice(twin, scenarioPlan(twin, 'reach-lateral-zone'), device)].map((s) => s.sample);
    expect(frames.length).toBeGreaterThanOrEqual(14);
    for (let k = 0; k < 14; k++) {
      // Frame 8 is dropped (not sent); each sent at its time, 250 ms apart.
      if (k !== 8) { feed.send(encodeMessage(frames[k]!)); sent++; }
      await pause(250);
    }
    const whileSending = statuses.filter((s) => s.at >= 2); // from the second frame the server knows the feed's rhythm
    // Then nothing: stale (after 2.5 of its intervals), and lost after 2 s.
    await pause(2600);
    feed.close();
    display.close();
    expect(whileSending.map((s) => s.state)).not.toContain('stale');
    expect(whileSending.some((s) => s.state === 'live' && Math.abs(s.rateHz - 4) < 0.5)).toBe(true);
    const after = statuses.filter((s) => s.at === 13).map((s) => s.state);
    expect(after).toContain('stale');
    expect(after.at(-1)).toBe('lost');
  }, 20_000);
});
