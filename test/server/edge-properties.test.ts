// Property tests at the edges (fast-check), through the real server with recording on: every
// numeric field of every inbound message, on every transport, drawn from the extremes (±1e308,
// ±5e-324, −0, 2^53 ± 1, ±Infinity, NaN, huge and negative seq) and from sequences whose time jumps
// forward and back by huge amounts and whose seq wraps. Whatever arrives: the server stays up, the
// sender gets a stable code or nothing, the procedure's displays get only valid messages, a
// neighbour procedure is untouched, and the recording stays readable and replays identically.
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { ERROR_CODES, decodeDisplayFrame, encodeMessage, isErrorCode, type DisplayMessage } from '../../protocol/index.ts';
import { encodeIgtl, type IgtlContent, type Matrix3 } from '../../protocol/openigtlink/igtl-codec.ts';
import { IgtlStreamDecoder } from '../../protocol/openigtlink/igtl-stream.ts';
import { loadRecording } from '../../server/recording/procedure-recording.ts';
import { replayRecording } from '../../server/recording/replay.ts';
import { pause, startLiveServer, type LiveServer } from '../helpers/live-server.ts';

/** Runs per property (the README's reliability figures quote these). */
export const RUNS = { wsSamples: 300, wsClockWalks: 100, igtl: 200, rest: 300 };

let live: LiveServer;
beforeAll(async () => { live = await startLiveServer(); });
afterAll(async () => { await live.close(); });

const EXTREMES = [1e308, -1e308, 5e-324, -5e-324, -0, 0, 2 ** 53 - 1, 2 ** 53 + 1, -(2 ** 53 + 1), 2 ** 32, -1, 1, 0.5, Infinity, -Infinity, Number.NaN, 3.4e38, 1e-9];
/** Any number a sender might put in a field: an extreme, any double, or a plausible value. */
const anyNumber = fc.oneof({ weight: 3, arbitrary: fc.constantFrom(...EXTREMES) }, { weight: 2, arbitrary: fc.double() }, { weight: 2, arbitrary: fc.double({ min: -2000, max: 2000, noNaN: true }) });
const anySeq = fc.oneof(fc.constantFrom(0, 1, -1, 2 ** 32 - 1, 2 ** 32, 2 ** 53 - 1, 2 ** 53 + 1, -(2 ** 53)), fc.nat(), anyNumber);
const vec = (n: number) => fc.array(anyNumber, { minLength: n, maxLength: n });

const tip = fc.record({ type: fc.constant('tip'), seq: anySeq, t: anyNumber, p: vec(3), q: fc.option(vec(4), { nil: undefined }) }, { requiredKeys: ['type', 'seq', 't', 'p'] });
const geometry = fc.record({ alpha: anyNumber, beta: anyNumber, sid: anyNumber, sod: anyNumber, pixelSpacing: vec(2), size: vec(2) });
const fluoro = fc.record({ type: fc.constant('fluoro'), seq: anySeq, t: anyNumber, views: fc.array(fc.record({ u: anyNumber, v: anyNumber, geometry }), { minLength: 1, maxLength: 2 }) });
const reset = fc.record({ type: fc.constant('reset'), seq: anySeq, t: anyNumber });
const rwave = fc.record({ type: fc.constant('rwave'), t: anyNumber });
const respiration = fc.record({ type: fc.constant('respiration'), t: anyNumber, amplitude: anyNumber });
const feedMessage = fc.oneof({ weight: 4, arbitrary: tip }, { weight: 2, arbitrary: fluoro }, { weight: 1, arbitrary: reset }, { weight: 1, arbitrary: rwave }, { weight: 1, arbitrary: respiration });

/** A clock walk: a plausible feed whose time jumps by huge amounts, back and forth, whose seq wraps, with resets. */
const clockStep = fc.oneof(
  { weight: 6, arbitrary: fc.record({ dt: fc.constant(0.01), dSeq: fc.constant(1), reset: fc.constant(false) }) },
  { weight: 1, arbitrary: fc.record({ dt: fc.constantFrom(1e9, -1e9, 3600, -3600, 59, -11, 2 ** 31, -(2 ** 31)), dSeq: fc.constantFrom(1, -(2 ** 32), 2 ** 40, -1000), reset: fc.boolean() }) },
);

/** The fuzzed procedure: every property feeds it; its display must only ever see valid messages. */
interface Target { id: string; invalidDisplayMessages: string[]; displayMessages: number; display: WebSocket }
async function target(source: 'eam' | 'fluoro' = 'eam', igtlDevice?: string): Promise<Target> {
  const id = await live.createProcedure({ source, ...(igtlDevice ? { igtlDevice } : {}) });
  const t: Target = { id, invalidDisplayMessages: [], displayMessages: 0, display: null as unknown as WebSocket };
  t.display = live.track(new WebSocket(`${live.ws}/ws/display?procedure=${id}`));
  t.display.binaryType = 'nodebuffer';
  t.display.on('message', (data: Buffer) => {
    t.displayMessages++;
    try { decodeDisplayFrame(data); } catch (e) { t.invalidDisplayMessages.push(String(e)); }
  });
  await new Promise((r) => t.display.once('open', r));
  return t;
}

/** End the procedure, then its recording must read back and replay byte-identically. */
async function recordingStaysReadable(t: Target): Promise<number> {
  const path = (await live.info(t.id)).recording!;
  t.display.close();
  expect((await live.server.app.inject({ method: 'DELETE', url: `/api/procedures/${t.id}` })).statusCode).toBe(200);
  const recording = await loadRecording(path);
  expect(recording.indexed).toBe(true);
  const replay = await replayRecording(live.server.twins.get('demo'), recording);
  expect(replay.identical, JSON.stringify(replay.firstDifference)).toBe(true);
  return recording.inputs.length;
}

/** A WebSocket feed that answers each batch: a text frame after it comes back as an error once everything before it was handled. */
async function feedSocket(id: string): Promise<{ sendBatch: (frames: Uint8Array[]) => Promise<DisplayMessage[]>; close: () => void }> {
  const socket = live.track(new WebSocket(`${live.ws}/ws/feed?procedure=${id}`));
  socket.binaryType = 'nodebuffer';
  let replies: DisplayMessage[] = [];
  let sentinel: (() => void) | null = null;
  socket.on('message', (data: Buffer) => {
    const m = decodeDisplayFrame(data);
    if (m.type === 'error' && m.code === 'TG_ERR_BAD_FRAME' && m.message.startsWith('frames are binary')) sentinel?.();
    else replies.push(m);
  });
  await new Promise((r) => socket.once('open', r));
  return {
    sendBatch: async (frames) => {
      replies = [];
      const done = new Promise<void>((resolve) => { sentinel = resolve; });
      for (const f of frames) socket.send(f);
      socket.send('sentinel');
      await done;
      return replies;
    },
    close: () => socket.close(),
  };
}

describe('property: hostile numbers at every edge, through the real server with recording on', () => {
  it(`WebSocket feed: ${RUNS.wsSamples} runs of up to 12 tip, fluoro, reset, rwave and respiration messages with extreme numbers in every field`, async () => {
    const ctl = await live.control();
    for (const source of ['eam', 'fluoro'] as const) {
      const t = await target(source);
      const feed = await feedSocket(t.id);
      await fc.assert(
        fc.asyncProperty(fc.array(feedMessage, { minLength: 1, maxLength: 12 }), async (messages) => {
          const replies = await feed.sendBatch(messages.map((m) => encodeMessage(m as never)));
          for (const r of replies) {
            expect(r.type).toBe('error');
            expect(isErrorCode((r as { code: string }).code)).toBe(true);
          }
          expect(replies.length).toBeLessThanOrEqual(messages.length);
        }),
        { numRuns: RUNS.wsSamples / 2, seed: source === 'eam' ? 1701 : 1702 },
      );
      feed.close();
      await pause(100);
      expect(t.invalidDisplayMessages).toEqual([]);
      expect((await live.server.app.inject('/health')).statusCode).toBe(200);
      await recordingStaysReadable(t);
    }
    expect(await ctl.stop()).toBeGreaterThan(10);
  }, 120_000);

  it(`WebSocket feed: ${RUNS.wsClockWalks} clock walks (time jumping ±1e9 s, seq wrapping, resets); the procedure's time never runs backward`, async () => {
    const ctl = await live.control();
    const t = await target();
    const times: number[] = [];
    t.display.on('message', (data: Buffer) => { const m = decodeDisplayFrame(data); if (m.type === 'guidance') times.push(m.t); });
    const feed = await feedSocket(t.id);
    let seq = 2 ** 32 - 20;
    let time = 1.7e9;
    await fc.assert(
      fc.asyncProperty(fc.array(clockStep, { minLength: 5, maxLength: 30 }), async (steps) => {
        const frames: Uint8Array[] = [];
        for (const step of steps) {
          time += step.dt;
          seq = Math.max(0, seq + step.dSeq);
          frames.push(encodeMessage(step.reset ? { type: 'reset', seq, t: time } : { type: 'tip', seq, t: time, p: [10, 20, 30] } as never));
        }
        const replies = await feed.sendBatch(frames);
        for (const r of replies) expect(['TG_ERR_CLOCK_JUMP', 'TG_ERR_BAD_MESSAGE']).toContain((r as { code: string }).code);
      }),
      { numRuns: RUNS.wsClockWalks, seed: 1703 },
    );
    feed.close();
    await pause(100);
    expect(times.length).toBeGreaterThan(0);
    expect(times.every((x, k) => k === 0 || x >= times[k - 1]!)).toBe(true);
    expect(t.invalidDisplayMessages).toEqual([]);
    await recordingStaysReadable(t);
    expect(await ctl.stop()).toBeGreaterThan(10);
  }, 120_000);

  it(`OpenIGTLink: ${RUNS.igtl} runs of TRANSFORM, POSITION and TDATA with extreme timestamps and matrices`, async () => {
    const ctl = await live.control();
    const t = await target('eam', 'PropTip');
    const socket = live.track(connect(live.igtlPort, '127.0.0.1'));
    await new Promise((r) => socket.once('connect', r));
    const decoder = new IgtlStreamDecoder(1 << 20);
    let statuses: Extract<IgtlContent, { type: 'STATUS' }>[] = [];
    let answered: (() => void) | null = null;
    socket.on('data', (chunk) => {
      for (const e of decoder.push(chunk)) {
        if (e.kind !== 'message' || e.message.content.type !== 'STATUS') continue;
        if (e.message.deviceName === 'Sentinel') answered?.();
        else statuses.push(e.message.content);
      }
    });
    const u32 = fc.oneof(fc.constantFrom(0, 1, 0x7fffffff, 0xffffffff), fc.nat({ max: 0xffffffff }));
    const f32 = fc.oneof(fc.constantFrom(3.4e38, -3.4e38, 1e-45, Number.NaN, Infinity, -Infinity, 0, 1, -1), fc.float(), fc.float({ min: -500, max: 500, noNaN: true }));
    const m3 = fc.array(f32, { minLength: 9, maxLength: 9 }).map((v): Matrix3 => [[v[0]!, v[1]!, v[2]!], [v[3]!, v[4]!, v[5]!], [v[6]!, v[7]!, v[8]!]]);
    const v3 = fc.tuple(f32, f32, f32);
    const content: fc.Arbitrary<IgtlContent> = fc.oneof(
      fc.record({ type: fc.constant('TRANSFORM' as const), rotation: fc.oneof(m3, fc.constant<Matrix3>([[1, 0, 0], [0, 1, 0], [0, 0, 1]])), translationMm: v3 }),
      fc.record({ type: fc.constant('POSITION' as const), positionMm: v3, quaternion: fc.tuple(f32, f32, f32, f32), contentSize: fc.constant(28 as const) }),
      fc.record({ type: fc.constant('TDATA' as const), elements: fc.array(fc.record({ name: fc.constant('PropTip'), type: fc.constantFrom(1, 3), rotation: m3, translationMm: v3 }), { minLength: 1, maxLength: 3 }) }),
    );
    await fc.assert(
      fc.asyncProperty(fc.array(fc.record({ seconds: u32, fraction: u32, content }), { minLength: 1, maxLength: 8 }), async (messages) => {
        statuses = [];
        const done = new Promise<void>((resolve) => { answered = resolve; });
        for (const m of messages) socket.write(encodeIgtl({ headerVersion: 1, deviceName: 'PropTip', timestamp: { seconds: m.seconds, fraction: m.fraction }, content: m.content }));
        socket.write(encodeIgtl({ headerVersion: 1, deviceName: 'Sentinel', timestamp: { seconds: 0, fraction: 0 }, content: { type: 'GET_STATUS' } }));
        await done;
        for (const s of statuses) {
          expect(s.code).toBe(2);
          expect(ERROR_CODES.some((c) => c.startsWith(s.errorName))).toBe(true);
        }
        expect(socket.destroyed).toBe(false);
      }),
      { numRuns: RUNS.igtl, seed: 1704 },
    );
    socket.destroy();
    await pause(100);
    expect(t.invalidDisplayMessages).toEqual([]);
    await recordingStaysReadable(t);
    expect(await ctl.stop()).toBeGreaterThan(10);
  }, 120_000);

  it(`REST: ${RUNS.rest} registration and replay bodies with extreme numbers never get a 5xx, and a registration accepted is finite`, async () => {
    const id = await live.createProcedure({ register: false });
    const pair = fc.record({ name: fc.constantFrom('a', 'b', 'c', 'd', 'cs-ostium'), source: vec(3), twin: fc.option(vec(3), { nil: undefined }) }, { requiredKeys: ['name', 'source'] });
    const body = fc.oneof(
      fc.record({ method: fc.constant('landmarks'), pairs: fc.array(pair, { minLength: 0, maxLength: 6 }), scaling: fc.option(fc.boolean(), { nil: undefined }) }, { requiredKeys: ['method', 'pairs'] }),
      fc.record({ recordingId: fc.constantFrom('x', 'demo'), speed: anyNumber }),
    );
    await fc.assert(
      fc.asyncProperty(body, async (payload) => {
        const url = 'method' in payload ? `/api/procedures/${id}/registration` : '/api/replays';
        // JSON cannot carry NaN or Infinity: send what a JSON client would (null), and raw text too.
        const response = await live.server.app.inject({ method: 'POST', url, payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
        expect(response.statusCode, response.body).toBeLessThan(500);
        const json = JSON.parse(response.body) as { code?: string; transform?: number[] | null };
        if (response.statusCode >= 400) expect(isErrorCode(json.code)).toBe(true);
        else if (json.transform) expect(json.transform.every(Number.isFinite)).toBe(true);
      }),
      { numRuns: RUNS.rest, seed: 1705 },
    );
    expect((await live.server.app.inject('/health')).statusCode).toBe(200);
  }, 60_000);
});
