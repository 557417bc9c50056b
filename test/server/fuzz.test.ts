// Fuzzing every transport with seeded random input, bounded in count: random bytes, truncated
// frames, wrong types, huge sizes, wrong CRCs, path traversal. Each bad input is rejected and
// counted (or its connection closed), and a control procedure fed alongside keeps its guidance.
import { connect } from 'node:net';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, encodeMessage, type DisplayMessage } from '../../protocol/index.ts';
import { encodeIgtl } from '../../protocol/openigtlink/igtl-codec.ts';
import type { TwinguideServer } from '../../server/app.ts';
import { pause, startLiveServer, type LiveServer } from '../helpers/live-server.ts';

/** Counts of inputs tried, per transport (kept small enough for CI; printed for the closing note). */
const COUNTS = { wsFeed: 400, wsDisplay: 100, socketIo: 100, igtl: 200, rest: 300 };

let live: LiveServer;
let server: TwinguideServer;
let ws = '';
let igtlPort = 0;
beforeAll(async () => {
  live = await startLiveServer();
  ({ server, ws, igtlPort } = live);
});
afterAll(async () => { await live.close(); });

function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
const bytes = (next: () => number, n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(next() * 256)));
const open = (url: string, onMessage?: (m: DisplayMessage) => void): Promise<WebSocket> => live.open(url, onMessage);
const createProcedure = (igtlDevice?: string): Promise<string> => live.createProcedure(igtlDevice ? { igtlDevice } : {});
const samplesIn = async (id: string) => (await live.info(id)).samplesIn;
const rejectedTotal = async () => {
  const text = (await server.app.inject('/metrics')).body;
  return [...text.matchAll(/^twinguide_rejected_total\{[^}]*\} (\d+)/gm)].reduce((sum, m) => sum + Number(m[1]), 0);
};
/** A control procedure fed valid samples throughout; its display must keep getting guidance. */
const control = (): Promise<{ stop: () => Promise<number> }> => live.control();

describe('fuzzing the transports', () => {
  it(`WebSocket feed: ${COUNTS.wsFeed} random, truncated and mistyped frames are each rejected and counted, the connection stays up`, async () => {
    const next = random(7);
    const ctl = await control();
    const id = await createProcedure();
    const errors: string[] = [];
    const feed = await open(`${ws}/ws/feed?procedure=${id}`, (m) => { if (m.type === 'error') errors.push(m.code); });
    const before = await rejectedTotal();
    const valid = (seq: number): Record<string, unknown> => ({ type: 'tip', seq, t: seq * 0.01, p: [1, 2, 3], quality: 'ok' });
    const wrong = [null, 'x', -1, 1e308, Number.NaN, [], {}, [1, 2], true, 'ok'.repeat(100)];
    for (let k = 0; k < COUNTS.wsFeed; k++) {
      const kind = k % 4;
      if (kind === 0) feed.send(bytes(next, Math.floor(next() * 200)));
      else if (kind === 1) { const frame = encodeMessage(valid(100_000 + k) as never); feed.send(frame.subarray(0, Math.floor(next() * (frame.length - 1)))); }
      else if (kind === 2) {
        const sample = valid(100_000 + k);
        const keys = [...Object.keys(sample), 'surprise'];
        sample[keys[Math.floor(next() * keys.length)]!] = wrong[Math.floor(next() * wrong.length)];
        feed.send(encodeMessage(sample as never));
      } else feed.send(`text frame ${k}`);
      if (k % 50 === 0) await pause(5);
    }
    feed.send(encodeMessage(valid(1) as never)); // and a good sample still gets in
    await pause(400);
    const accepted = await samplesIn(id);
    const rejected = (await rejectedTotal()) - before;
    // Every frame is either taken or rejected with a counted error; none is lost silently.
    expect(accepted + rejected).toBe(COUNTS.wsFeed + 1);
    expect(errors.length).toBe(rejected);
    expect(accepted).toBeGreaterThanOrEqual(1);
    expect(feed.readyState).toBe(WebSocket.OPEN);
    // A frame over the size limit closes that connection (1009), nothing else.
    const closed = new Promise<number>((resolve) => feed.once('close', (code) => resolve(code)));
    feed.send(Buffer.alloc(DEFAULT_LIMITS.maxFrameBytes + 1));
    expect(await closed).toBe(1009);
    expect(await ctl.stop()).toBeGreaterThan(20);
    expect((await server.app.inject('/health')).statusCode).toBe(200);
  });

  it(`WebSocket display: ${COUNTS.wsDisplay} random frames from a display change nothing (a display token can never feed)`, async () => {
    const next = random(11);
    const ctl = await control();
    const id = await createProcedure();
    const display = await open(`${ws}/ws/display?procedure=${id}`);
    for (let k = 0; k < COUNTS.wsDisplay; k++) display.send(k % 2 ? bytes(next, Math.floor(next() * 100)) : encodeMessage({ type: 'tip', seq: k + 1, t: k, p: [0, 0, 0], quality: 'ok' }));
    await pause(200);
    expect(await samplesIn(id)).toBe(0);
    display.close();
    expect(await ctl.stop()).toBeGreaterThan(10);
  });

  it(`socket.io /display: ${COUNTS.socketIo} raw engine.io garbage frames and random events; a good socket.io display still gets guidance`, async () => {
    const next = random(19);
    const ctl = await control();
    const { io } = await import('socket.io-client');
    const parser = (await import('socket.io-msgpack-parser')).default;
    // Raw garbage on the engine.io WebSocket: the server may close each such connection, nothing else.
    for (let k = 0; k < COUNTS.socketIo / 2; k++) {
      const raw = new WebSocket(`${ws}/socket.io/?EIO=4&transport=websocket`);
      raw.on('error', () => undefined);
      await new Promise((r) => raw.once('open', r));
      raw.send(k % 2 ? bytes(next, 1 + Math.floor(next() * 100)) : `4${bytes(next, 20).toString('latin1')}`);
      await pause(5);
      raw.terminate();
    }
    // Random events and ids through a real client.
    const id = await createProcedure();
    const bad = io(`${ws.replace('ws', 'http')}/display`, { query: { procedure: '../../etc/passwd' }, parser, transports: ['websocket'], forceNew: true });
    const badError = await new Promise<{ code: string }>((resolve) => bad.once('error', resolve));
    expect(badError.code).toBe('TG_ERR_NOT_FOUND');
    bad.close();
    let guidance = 0;
    const good = io(`${ws.replace('ws', 'http')}/display`, { query: { procedure: id }, parser, transports: ['websocket'], forceNew: true });
    good.on('guidance', () => guidance++);
    await new Promise((r) => good.once('snapshot', r));
    for (let k = 0; k < COUNTS.socketIo / 2; k++) good.emit(bytes(next, 6).toString('hex'), bytes(next, Math.floor(next() * 50)), { tip: [next()] });
    const feed = await open(`${ws}/ws/feed?procedure=${id}`);
    for (let seq = 1; seq <= 30; seq++) {
      feed.send(encodeMessage({ type: 'tip', seq, t: seq * 0.01, p: [0, 0, 0], quality: 'ok' }));
      await pause(10);
    }
    await pause(200);
    expect(good.connected).toBe(true);
    expect(guidance).toBeGreaterThan(5);
    good.close();
    feed.close();
    expect(await ctl.stop()).toBeGreaterThan(20);
  });

  it(`OpenIGTLink: ${COUNTS.igtl} corrupted messages (flipped bytes, wrong CRC, bad versions, huge sizes) on their own connections`, async () => {
    const next = random(13);
    const ctl = await control();
    const id = await createProcedure('FuzzTip');
    const I: [[number, number, number], [number, number, number], [number, number, number]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    // A tracker's clock at 100 Hz: k × 10 ms.
    const good = (k: number) => Buffer.from(encodeIgtl({ headerVersion: 1, deviceName: 'FuzzTip', timestamp: { seconds: 1 + Math.floor(k / 100), fraction: Math.round(((k % 100) / 100) * 2 ** 32) }, content: { type: 'TRANSFORM', rotation: I, translationMm: [k, 0, 0] } }));
    for (let batch = 0; batch < COUNTS.igtl / 20; batch++) {
      await Promise.all(Array.from({ length: 20 }, async (_, j) => {
        const frame = good(batch * 20 + j);
        const flips = 1 + Math.floor(next() * 4);
        for (let f = 0; f < flips; f++) { const at = Math.floor(next() * frame.length); frame[at] = frame[at]! ^ (1 + Math.floor(next() * 255)); }
        const socket = connect(igtlPort, '127.0.0.1');
        socket.on('error', () => undefined); // the server may close it: that is allowed
        await new Promise((r) => socket.once('connect', r));
        socket.write(next() < 0.5 ? frame : frame.subarray(0, Math.floor(next() * frame.length)));
        await pause(20);
        socket.destroy();
      }));
    }
    // A clean client still gets through. (First let the corrupted ones settle: a flip the CRC cannot
    // see, in a field no check covers, is a sample, and on a loaded machine one may still be on its
    // way when the count is read.)
    let before = await samplesIn(id);
    for (let k = 0; k < 50; k++) {
      await pause(100);
      const now = await samplesIn(id);
      if (now === before) break;
      before = now;
    }
    const socket = connect(igtlPort, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    socket.write(good(COUNTS.igtl + 1));
    await pause(200);
    socket.destroy();
    expect(await samplesIn(id)).toBe(before + 1);
    const metrics = (await server.app.inject('/metrics')).body;
    expect(metrics).toMatch(/twinguide_rejected_total\{code="TG_ERR_IGTL_CRC"\} [1-9]/);
    expect(await ctl.stop()).toBeGreaterThan(20);
  });

  it(`REST: ${COUNTS.rest} random paths, ids and bodies never get a 5xx or a file outside the data directories`, async () => {
    const next = random(17);
    const ids = ['..%2F..%2Fetc%2Fpasswd', '../../etc/passwd', '%00', 'a'.repeat(5000), 'demo%2F..%2F..%2Fpackage', '.', '..', '~root', 'demo.twin.json', '%2e%2e'];
    const routes = ['/api/twins/ID', '/api/twins/ID/bundle', '/api/recordings/ID', '/api/recordings/ID/download', '/api/procedures/ID', '/api/procedures/ID/registration'];
    const bodies = [null, 'not json', '{"twinId":', JSON.stringify({ twinId: '../x', source: 'eam' }), JSON.stringify({ recording: '../../etc/passwd', speed: 1 }), JSON.stringify({ method: 'landmarks', pairs: Array(10_000).fill({ name: 'x', source: [0, 0, 0] }) }), JSON.stringify({ method: 'identity', extra: [1e308] })];
    const statuses = new Map<number, number>();
    for (let k = 0; k < COUNTS.rest; k++) {
      const url = routes[Math.floor(next() * routes.length)]!.replace('ID', next() < 0.8 ? ids[Math.floor(next() * ids.length)]! : bytes(next, 8).toString('hex'));
      const body = bodies[Math.floor(next() * bodies.length)];
      const method = next() < 0.5 || body === null ? 'GET' : 'POST';
      const response = await server.app.inject({ method, url: method === 'POST' ? url.replace(/\/(bundle|download)$/, '') : url, ...(method === 'POST' ? { payload: body!, headers: { 'content-type': 'application/json' } } : {}) });
      statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
      expect(response.statusCode, `${method} ${url}`).toBeLessThan(500);
      expect(response.body).not.toContain('root:');
      if (response.statusCode >= 400) expect(JSON.parse(response.body).code).toMatch(/^TG_ERR_/);
    }
    expect([...statuses.keys()].every((s) => s >= 400)).toBe(true);
  });
});
