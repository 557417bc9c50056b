// The server through fastify's inject() (REST) and over real sockets on 127.0.0.1 (feed → display).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDisplayFrame, encodeMessage, type DisplayMessage, type Guidance } from '../../protocol/index.ts';
import { buildServer, type TwinguideServer } from '../../server/app.ts';
import { resolveConfig } from '../../server/config.ts';
import { loadRecording } from '../../server/recording/procedure-recording.ts';
import { defaultDeviceOptions, simulateDevice } from '../../simulators/device/device-simulator.ts';
import { scenarioPlan } from '../../simulators/device/scenarios.ts';

const recordings = mkdtempSync(join(tmpdir(), 'twinguide-server-'));
let server: TwinguideServer;
let base = '';
beforeAll(async () => {
  server = await buildServer(resolveConfig({ port: 0, recordingsDir: recordings, twinsDir: fileURLToPath(new URL('../../data/twins', import.meta.url)), logLevel: 'silent' }), 'test');
  base = await server.app.listen({ host: '127.0.0.1', port: 0 });
});
afterAll(async () => {
  await server.close();
  rmSync(recordings, { recursive: true, force: true });
});

const json = <T>(body: string): T => JSON.parse(body) as T;

describe('REST (inject)', () => {
  it('lists and describes twins', async () => {
    const list = json<{ id: string; targetZones: number }[]>((await server.app.inject('/api/twins')).body);
    expect(list.map((t) => t.id).sort()).toEqual(['demo', 'demo-scar']);
    const demo = await server.app.inject('/api/twins/demo');
    expect(demo.statusCode).toBe(200);
    expect(json<{ counts: { targetZones: number } }>(demo.body).counts.targetZones).toBeGreaterThan(0);
    expect((await server.app.inject('/api/twins/demo/bundle')).statusCode).toBe(200);
  });

  it('refuses unknown ids, bad ids and bad bodies with stable codes', async () => {
    const missing = await server.app.inject('/api/twins/nope');
    expect(missing.statusCode).toBe(404);
    expect(json<{ code: string }>(missing.body).code).toBe('TG_ERR_NOT_FOUND');
    const traversal = await server.app.inject('/api/recordings/..%2F..%2Fetc%2Fpasswd');
    expect(traversal.statusCode).toBe(400);
    const bad = await server.app.inject({ method: 'POST', url: '/api/procedures', payload: { twinId: 'demo', source: 'ultrasound' } });
    expect(bad.statusCode).toBe(400);
    expect(json<{ code: string }>(bad.body).code).toBe('TG_ERR_BAD_REQUEST');
    const extra = await server.app.inject({ method: 'POST', url: '/api/procedures', payload: { twinId: 'demo', source: 'eam', surprise: 1 } });
    expect(extra.statusCode).toBe(400);
    expect((await server.app.inject({ method: 'POST', url: '/api/procedures', payload: { twinId: 'zzz', source: 'eam' } })).statusCode).toBe(404);
  });

  it('creates a procedure, registers it by landmark names, shows its snapshot, and ends it with a finalised recording', async () => {
    const created = await server.app.inject({ method: 'POST', url: '/api/procedures', payload: { twinId: 'demo', source: 'eam' } });
    expect(created.statusCode).toBe(201);
    const { id } = json<{ id: string }>(created.body);
    const twin = server.twins.get('demo');
    const pairs = twin.landmarks.slice(0, 4).map((l) => ({ name: l.name, source: [l.positionMm[0] + 10, l.positionMm[1] - 5, l.positionMm[2] + 2] }));
    const registered = await server.app.inject({ method: 'POST', url: `/api/procedures/${id}/registration`, payload: { method: 'landmarks', pairs } });
    expect(registered.statusCode).toBe(200);
    const r = json<{ state: string; transform: number[]; rmsMm: number }>(registered.body);
    expect(r.state).toBe('landmarks');
    expect(r.transform[3]).toBeCloseTo(-10, 6); // a pure shift back
    expect(r.rmsMm).toBeLessThan(1e-6);
    const unknown = await server.app.inject({ method: 'POST', url: `/api/procedures/${id}/registration`, payload: { method: 'landmarks', pairs: [{ name: 'nowhere', source: [0, 0, 0] }, ...pairs.slice(1)] } });
    expect(unknown.statusCode).toBe(422);
    expect(json<{ code: string }>(unknown.body).code).toBe('TG_ERR_REGISTRATION');
    const snapshot = json<{ snapshot: { type: string; zones: unknown[] } }>((await server.app.inject(`/api/procedures/${id}`)).body).snapshot;
    expect(snapshot.type).toBe('snapshot');
    expect(snapshot.zones.length).toBeGreaterThan(0);
    expect((await server.app.inject({ method: 'DELETE', url: `/api/procedures/${id}` })).statusCode).toBe(200);
    expect((await server.app.inject(`/api/procedures/${id}`)).statusCode).toBe(404);
    const recording = await loadRecording(join(recordings, `${id}.mcap`));
    expect(recording.indexed).toBe(true);
    expect(recording.inputs.some((i) => i.kind === 'registration')).toBe(true);
    const listed = json<{ id: string }[]>((await server.app.inject('/api/recordings')).body);
    expect(listed.map((x) => x.id)).toContain(id);
  });

  it('serves health, metrics and the display page', async () => {
    expect(json<{ status: string }>((await server.app.inject('/health')).body).status).toBe('ok');
    const metrics = await server.app.inject('/metrics');
    expect(metrics.body).toContain('twinguide_procedures');
    const page = await server.app.inject('/');
    expect(page.headers['content-type']).toContain('text/html');
    for (const path of ['/replay', '/assets/display.js', '/assets/replay.js', '/assets/display.css', '/vendor/gpu-browser.min.js']) expect((await server.app.inject(path)).statusCode, path).toBe(200);
    expect((await server.app.inject('/assets/../package.json')).statusCode).not.toBe(200);
  });

  it('refuses to listen beyond loopback without role tokens', () => {
    expect(() => resolveConfig({ host: '0.0.0.0' }, {})).toThrow(/refusing to listen on 0.0.0.0 without tokens/);
  });
});

/** Connect, listening for messages from the start (the server speaks first: a snapshot or an error). */
function open(url: string, onMessage: (m: DisplayMessage) => void = () => undefined): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'nodebuffer';
    ws.on('message', (data: Buffer) => onMessage(decodeDisplayFrame(data)));
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

describe('feed → display over real WebSockets', () => {
  it('a display gets the snapshot first, then guidance for what the feed sends; bad frames get an error and the feed carries on; closing the feed shows it lost', async () => {
    const created = json<{ id: string }>((await server.app.inject({ method: 'POST', url: '/api/procedures', payload: { twinId: 'demo', source: 'eam' } })).body);
    const twin = server.twins.get('demo');
    await server.app.inject({ method: 'POST', url: `/api/procedures/${created.id}/registration`, payload: { method: 'identity' } });
    const received: DisplayMessage[] = [];
    const display = await open(`${base.replace('http', 'ws')}/ws/display?procedure=${created.id}`, (m) => received.push(m));
    const errors: DisplayMessage[] = [];
    const feed = await open(`${base.replace('http', 'ws')}/ws/feed?procedure=${created.id}`, (m) => errors.push(m));
    // Feed in the twin frame (identity registration), a second of the reach scenario.
    const device = defaultDeviceOptions('eam', { twinToSource: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], durationS: 1.5 });
    let sent = 0;
    for (const s of simulateDevice(twin, scenarioPlan(twin, 'reach-lateral-zone'), device)) {
      feed.send(encodeMessage(s.sample));
      if (++sent === 20) feed.send(Buffer.from([0xc1, 0x00])); // garbage in the middle
      if (sent % 10 === 0) await new Promise((r) => setTimeout(r, 20));
    }
    feed.send('a text frame');
    await new Promise((r) => setTimeout(r, 300));
    expect(errors.map((e) => (e.type === 'error' ? e.code : e.type))).toEqual(['TG_ERR_BAD_FRAME', 'TG_ERR_BAD_FRAME']);
    feed.close();
    await new Promise((r) => setTimeout(r, 300));
    display.close();
    expect(received[0]!.type).toBe('snapshot');
    const guidance = received.filter((m): m is Guidance => m.type === 'guidance');
    expect(guidance.length).toBeGreaterThan(10);
    expect(guidance[guidance.length - 1]!.seq).toBeGreaterThan(100); // the feed kept going after the bad frames
    const statuses = received.filter((m) => m.type === 'status').map((m) => (m.type === 'status' ? m.feed.state : ''));
    expect(statuses).toContain('live');
    expect(statuses[statuses.length - 1]).toBe('lost');
    const info = json<{ samplesIn: number }>((await server.app.inject(`/api/procedures/${created.id}`)).body);
    expect(info.samplesIn).toBe(sent);
    const metrics = (await server.app.inject('/metrics')).body;
    expect(metrics).toMatch(/twinguide_rejected_total\{code="TG_ERR_BAD_FRAME"\} 2/);
    // Every guidance message out of the pipeline was timed; every one sent to the display too.
    const count = (name: string) => Number(new RegExp(`^${name}_count (\\d+)`, 'm').exec(metrics)?.[1] ?? -1);
    expect(count('twinguide_pipeline_latency_seconds')).toBeGreaterThanOrEqual(guidance.length);
    expect(count('twinguide_display_latency_seconds')).toBeGreaterThanOrEqual(guidance.length);
    await server.app.inject({ method: 'DELETE', url: `/api/procedures/${created.id}` });
  });

  it('an unknown procedure gets an error and the socket is closed', async () => {
    let got: DisplayMessage | null = null;
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/display?procedure=nope`);
    ws.on('message', (d: Buffer) => { got = decodeDisplayFrame(d); });
    const code = await new Promise<number>((r) => ws.once('close', (c: number) => r(c)));
    expect(code).toBe(1008);
    expect(got !== null && (got as DisplayMessage).type === 'error' && (got as { code: string }).code).toBe('TG_ERR_NOT_FOUND');
  });
});

describe('socket.io /display (msgpack parser)', () => {
  it('gets the snapshot first, then guidance, as events named by message type', async () => {
    const { io } = await import('socket.io-client');
    const parser = (await import('socket.io-msgpack-parser')).default;
    const created = json<{ id: string }>((await server.app.inject({ method: 'POST', url: '/api/procedures', payload: { twinId: 'demo', source: 'eam' } })).body);
    await server.app.inject({ method: 'POST', url: `/api/procedures/${created.id}/registration`, payload: { method: 'identity' } });
    const client = io(`${base}/display`, { query: { procedure: created.id }, parser, transports: ['websocket'] });
    const received: string[] = [];
    let lastGuidance: Guidance | null = null;
    client.onAny((event: string, message: DisplayMessage) => {
      received.push(event);
      expect(message.type).toBe(event);
      if (message.type === 'guidance') lastGuidance = message;
    });
    await new Promise((r) => client.once('snapshot', r));
    const procedure = server.procedures.get(created.id);
    const twin = server.twins.get('demo');
    const device = defaultDeviceOptions('eam', { twinToSource: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], durationS: 1 });
    for (const s of simulateDevice(twin, scenarioPlan(twin, 'reach-lateral-zone'), device)) procedure.ingest(s.sample);
    await new Promise((r) => setTimeout(r, 300));
    client.close();
    expect(received[0]).toBe('snapshot');
    expect(received).toContain('guidance');
    expect(lastGuidance).not.toBeNull();
    await server.app.inject({ method: 'DELETE', url: `/api/procedures/${created.id}` });
  });
});

describe('OpenIGTLink over TCP', () => {
  it('takes TRANSFORM samples for a device mapped to a procedure, answers GET_STATUS and STT_TDATA, rejects NaN with a STATUS, survives garbage', async () => {
    const { connect } = await import('node:net');
    const { encodeIgtl } = await import('../../protocol/openigtlink/igtl-codec.ts');
    const { IgtlStreamDecoder } = await import('../../protocol/openigtlink/igtl-stream.ts');
    const port = await server.igtl.listen('127.0.0.1', 0);
    const created = json<{ id: string }>((await server.app.inject({ method: 'POST', url: '/api/procedures', payload: { twinId: 'demo', source: 'eam', igtlDevice: 'LeadTip' } })).body);
    const socket = connect(port, '127.0.0.1');
    await new Promise((r) => socket.once('connect', r));
    const replies: string[] = [];
    const decoder = new IgtlStreamDecoder(65536);
    socket.on('data', (d: Buffer) => { for (const e of decoder.push(d)) if (e.kind === 'message') replies.push(e.message.content.type === 'STATUS' ? `STATUS:${e.message.content.code}` : e.message.content.type); });
    const I: [[number, number, number], [number, number, number], [number, number, number]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
    for (let k = 1; k <= 30; k++) socket.write(encodeIgtl({ headerVersion: 1, deviceName: 'LeadTip', timestamp: { seconds: 1000 + Math.floor(k / 100), fraction: Math.round(((k % 100) / 100) * 2 ** 32) }, content: { type: 'TRANSFORM', rotation: I, translationMm: [k, 2, 3] } }));
    socket.write(Buffer.from('garbage that is not a header at all, long enough to be parsed as one....'));
    await new Promise((r) => setTimeout(r, 300));
    // The garbage parsed as a header with a huge BODY_SIZE closes the connection; reconnect.
    const again = connect(port, '127.0.0.1');
    await new Promise((r) => again.once('connect', r));
    again.on('data', (d: Buffer) => { for (const e of decoder.push(d)) if (e.kind === 'message') replies.push(e.message.content.type === 'STATUS' ? `STATUS:${e.message.content.code}` : e.message.content.type); });
    again.write(encodeIgtl({ headerVersion: 2, deviceName: 'LeadTip', timestamp: { seconds: 0, fraction: 0 }, messageId: 1, metadata: {}, content: { type: 'GET_STATUS' } }));
    again.write(encodeIgtl({ headerVersion: 1, deviceName: 'LeadTip', timestamp: { seconds: 0, fraction: 0 }, content: { type: 'STT_TDATA', resolutionMs: 20, coordinateName: 'Patient' } }));
    again.write(encodeIgtl({ headerVersion: 1, deviceName: 'LeadTip', timestamp: { seconds: 0, fraction: 0 }, content: { type: 'POSITION', positionMm: [Number.NaN, 0, 0], quaternion: null, contentSize: 12 } }));
    await new Promise((r) => setTimeout(r, 300));
    again.destroy();
    socket.destroy();
    expect(replies).toEqual(['STATUS:1', 'RTS_TDATA', 'STATUS:2']);
    const info = json<{ samplesIn: number }>((await server.app.inject(`/api/procedures/${created.id}`)).body);
    expect(info.samplesIn).toBe(30);
    const metrics = (await server.app.inject('/metrics')).body;
    expect(metrics).toMatch(/twinguide_samples_in_total\{transport="igtl"\} 30/);
    expect(metrics).toMatch(/twinguide_rejected_total\{code="TG_ERR_IGTL_TOO_LARGE"\} 1/);
    await server.app.inject({ method: 'DELETE', url: `/api/procedures/${created.id}` });
  });
});
