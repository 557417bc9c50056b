// A real server as a child process: fed over its feed socket, killed with SIGKILL mid-procedure;
// its recording must read back everything sent up to 100 ms before the kill. Also the simulator's
// live targets (ws:// with registration, igtl://) and a recording that stops at its size limit.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { decodeDisplayFrame, encodeMessage, type DisplayMessage } from '../../protocol/index.ts';
import { buildServer } from '../../server/app.ts';
import { resolveConfig } from '../../server/config.ts';
import { loadRecording } from '../../server/recording/procedure-recording.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import { defaultDeviceOptions, simulateDevice } from '../../simulators/device/device-simulator.ts';
import { scenarioPlan } from '../../simulators/device/scenarios.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'twinguide-crash-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function startServer(recordings: string): Promise<{ child: ChildProcess; http: string; igtl: number }> {
  const child = spawn(process.execPath, [join(ROOT, 'bin/twinguide.js'), 'serve', '--port', '0', '--igtl-port', '0', '--recordings', recordings, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+), OpenIGTLink on 127\.0\.0\.1:(\d+)/.exec(out);
      if (m) resolve({ child, http: m[1]!, igtl: Number(m[2]) });
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
}

const post = async <T>(url: string, body: unknown): Promise<T> => (await (await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as T;
const io = () => {
  const out: string[] = [];
  return { out, io: { out: (t: string) => { out.push(t); }, err: (t: string) => { out.push(t); } } };
};

describe('a real server, killed with SIGKILL mid-procedure', () => {
  it('leaves a recording that reads back everything older than 100 ms before the kill', async () => {
    const recordings = join(dir, 'killed');
    const { child, http } = await startServer(recordings);
    const { id } = await post<{ id: string }>(`${http}/api/procedures`, { twinId: 'demo', source: 'eam' });
    const twin = await loadTwinFile(join(ROOT, 'data/twins/demo.twin.json'), { loadModel: false });
    const samples = [...simulateDevice(twin, scenarioPlan(twin, 'reach-lateral-zone'), defaultDeviceOptions('eam', { durationS: 3 }))];
    await twin.close();
    const feed = new WebSocket(`${http.replace('http', 'ws')}/ws/feed?procedure=${id}`);
    await new Promise((r) => feed.once('open', r));
    const sentAt = new Map<number, number>();
    const start = Date.now();
    for (const s of samples) {
      const due = start + s.arrivalS * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      feed.send(encodeMessage(s.sample));
      sentAt.set(s.sample.seq, Date.now());
      if (s.sample.t > 2) break; // kill in the middle of the procedure
    }
    const killedAt = Date.now();
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    feed.terminate();

    const recording = await loadRecording(join(recordings, `${id}.mcap`));
    expect(recording.indexed).toBe(false); // no summary: it was killed
    const recorded = new Set(recording.inputs.flatMap((i) => (i.kind === 'sample' ? [i.sample.seq] : [])));
    const due = [...sentAt].filter(([, at]) => at < killedAt - 100).map(([seq]) => seq);
    expect(due.length).toBeGreaterThan(150);
    expect(due.filter((seq) => !recorded.has(seq))).toEqual([]);
    expect(recording.outputs.some((m) => m.type === 'guidance')).toBe(true);
  }, 30_000);
});

describe('the simulator against a live server', () => {
  it('sends to ws:// (registering first) and to igtl://, and the server takes every sample', async () => {
    const { child, http, igtl } = await startServer(join(dir, 'live'));
    try {
      const a = await post<{ id: string }>(`${http}/api/procedures`, { twinId: 'demo', source: 'eam' });
      const ws = io();
      expect(await main(['simulate', '--twin', 'data/twins/demo.twin.json', '--scenario', 'reach-lateral-zone', '--to', `${http.replace('http', 'ws')}/ws/feed?procedure=${a.id}`, '--register', '--duration', '1', '--speed', '4'], ws.io)).toBe(0);
      const sent = Number(/sent (\d+) samples/.exec(ws.out.join('\n'))![1]);
      expect(ws.out.join('\n')).toContain('registered procedure');
      await new Promise((r) => setTimeout(r, 200));
      const infoA = (await (await fetch(`${http}/api/procedures/${a.id}`)).json()) as { samplesIn: number; registration: { state: string } };
      expect(infoA.samplesIn).toBe(sent);
      expect(infoA.registration.state).toBe('landmarks');

      const b = await post<{ id: string }>(`${http}/api/procedures`, { twinId: 'demo', source: 'eam', igtlDevice: 'SimTip' });
      const tcp = io();
      expect(await main(['simulate', '--twin', 'data/twins/demo.twin.json', '--scenario', 'reach-lateral-zone', '--to', `igtl://127.0.0.1:${igtl}`, '--device', 'SimTip', '--duration', '1', '--speed', '4'], tcp.io)).toBe(0);
      const sentB = Number(/sent (\d+) samples/.exec(tcp.out.join('\n'))![1]);
      await new Promise((r) => setTimeout(r, 200));
      const infoB = (await (await fetch(`${http}/api/procedures/${b.id}`)).json()) as { samplesIn: number };
      expect(infoB.samplesIn).toBe(sentB);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
  }, 30_000);
});

describe('the simulator with the lab\'s signals against a live server', () => {
  it('sends ECG R waves and respiration (--signals) to ws:// and, as SENSOR messages, to igtl://, and the procedure records every one', async () => {
    const { child, http, igtl } = await startServer(join(dir, 'signals'));
    const sentBy: Record<string, number> = {};
    const paths: Record<string, string> = {};
    try {
      const a = await post<{ id: string }>(`${http}/api/procedures`, { twinId: 'demo', source: 'eam' });
      const ws = io();
      expect(await main(['simulate', '--twin', 'data/twins/demo.twin.json', '--scenario', 'reach-lateral-zone', '--to', `${http.replace('http', 'ws')}/ws/feed?procedure=${a.id}`, '--register', '--signals', '--duration', '3', '--speed', '1.5'], ws.io)).toBe(0);
      expect(ws.out.join('\n')).not.toContain('rejected');
      sentBy[a.id] = Number(/and (\d+) ECG and respiration readings/.exec(ws.out.join('\n'))![1]);
      const b = await post<{ id: string }>(`${http}/api/procedures`, { twinId: 'demo', source: 'eam', igtlDevice: 'SigTip' });
      const tcp = io();
      expect(await main(['simulate', '--twin', 'data/twins/demo.twin.json', '--scenario', 'reach-lateral-zone', '--to', `igtl://127.0.0.1:${igtl}`, '--device', 'SigTip', '--signals', '--duration', '3', '--speed', '1.5'], tcp.io)).toBe(0);
      expect(tcp.out.join('\n')).not.toContain('rejected');
      sentBy[b.id] = Number(/and (\d+) ECG and respiration readings/.exec(tcp.out.join('\n'))![1]);
      await new Promise((r) => setTimeout(r, 200));
      for (const id of [a.id, b.id]) paths[id] = ((await (await fetch(`${http}/api/procedures/${id}`)).json()) as { recording: string }).recording;
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    for (const [id, sent] of Object.entries(sentBy)) {
      // 3 s: about 3 R waves and 75 belt readings.
      expect(sent).toBeGreaterThan(60);
      const recording = await loadRecording(paths[id]!);
      const signals = recording.inputs.filter((i) => i.kind === 'signal');
      expect(signals.length).toBe(sent);
      expect(signals.some((i) => i.kind === 'signal' && i.signal.type === 'rwave')).toBe(true);
      expect(signals.some((i) => i.kind === 'signal' && i.signal.type === 'respiration')).toBe(true);
    }
  }, 30_000);
});

describe('a recording that reaches its size limit', () => {
  it('stops, tells the displays so, and guidance goes on', async () => {
    const server = await buildServer(resolveConfig({ port: 0, recordingsDir: join(dir, 'limited'), twinsDir: join(ROOT, 'data/twins'), logLevel: 'silent', limits: { maxRecordingBytes: 60_000 } }), 'test');
    const base = await server.app.listen({ host: '127.0.0.1', port: 0 });
    try {
      const { id } = JSON.parse((await server.app.inject({ method: 'POST', url: '/api/procedures', payload: { twinId: 'demo', source: 'eam' } })).body) as { id: string };
      await server.app.inject({ method: 'POST', url: `/api/procedures/${id}/registration`, payload: { method: 'identity' } });
      const received: DisplayMessage[] = [];
      const display = new WebSocket(`${base.replace('http', 'ws')}/ws/display?procedure=${id}`);
      display.on('message', (d: Buffer) => received.push(decodeDisplayFrame(d)));
      await new Promise((r) => display.once('open', r));
      const feed = new WebSocket(`${base.replace('http', 'ws')}/ws/feed?procedure=${id}`);
      await new Promise((r) => feed.once('open', r));
      const twin = server.twins.get('demo');
      const device = defaultDeviceOptions('eam', { twinToSource: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], durationS: 2 });
      let k = 0;
      for (const s of simulateDevice(twin, scenarioPlan(twin, 'reach-lateral-zone'), device)) {
        feed.send(encodeMessage(s.sample));
        if (++k % 20 === 0) await new Promise((r) => setTimeout(r, 30));
      }
      await new Promise((r) => setTimeout(r, 300));
      feed.close();
      display.close();
      const stopped = received.findIndex((m) => m.type === 'event' && m.kind === 'recording.stopped');
      expect(stopped).toBeGreaterThan(0);
      expect(received.slice(stopped).some((m) => m.type === 'guidance')).toBe(true);
    } finally {
      await server.close();
    }
  }, 30_000);
});

describe('replay --from and --out', () => {
  it('seeks without changing what follows, and records the replay', async () => {
    const path = join(dir, 'seek.mcap');
    expect(await main(['simulate', '--twin', 'data/twins/demo.twin.json', '--scenario', 'reach-lateral-zone', '--to', path], io().io)).toBe(0);
    const out = join(dir, 'replayed.mcap');
    const r = io();
    expect(await main(['replay', path, '--from', '5', '--out', out, '--json'], r.io)).toBe(0);
    expect((JSON.parse(r.out[0]!) as { identical: boolean }).identical).toBe(true);
    const replayed = await loadRecording(out);
    const original = await loadRecording(path);
    expect(replayed.indexed).toBe(true);
    // Only what comes from 5 s on was delivered, and it is the tail of the original.
    expect(replayed.outputs.length).toBeLessThan(original.outputs.length);
    expect(replayed.outputs).toEqual(original.outputs.slice(original.outputs.length - replayed.outputs.length));
  }, 30_000);
});

describe('replays over the API, the recordings count limit, and a full disk', () => {
  it('POST /api/replays replays a recording into a fresh procedure at a speed', async () => {
    const recordings = join(dir, 'replays');
    const { mkdirSync, copyFileSync } = await import('node:fs');
    mkdirSync(recordings, { recursive: true });
    expect(await main(['simulate', '--twin', 'data/twins/demo.twin.json', '--scenario', 'reach-lateral-zone', '--to', join(dir, 'for-replay.mcap')], io().io)).toBe(0);
    copyFileSync(join(dir, 'for-replay.mcap'), join(recordings, 'earlier.mcap'));
    const server = await buildServer(resolveConfig({ port: 0, recordingsDir: recordings, twinsDir: join(ROOT, 'data/twins'), logLevel: 'silent' }), 'test');
    try {
      const created = await server.app.inject({ method: 'POST', url: '/api/replays', payload: { recordingId: 'earlier', speed: 50 } });
      expect(created.statusCode).toBe(201);
      const { id, inputs } = JSON.parse(created.body) as { id: string; inputs: number };
      const procedure = server.procedures.get(id);
      await procedure.feeder!.done;
      expect(procedure.counters.samplesIn).toBeGreaterThan(inputs - 5);
      expect(procedure.registration.state).toBe('landmarks');
      expect(procedure.lastGuidance?.zone.state).toBe('in');
      expect((await server.app.inject({ method: 'POST', url: '/api/replays', payload: { recordingId: 'nothing' } })).statusCode).toBe(404);
    } finally {
      await server.close();
    }
  }, 30_000);

  it('at the recordings count limit a procedure still runs, unrecorded, and says so', async () => {
    const recordings = join(dir, 'count');
    const server = await buildServer(resolveConfig({ port: 0, recordingsDir: recordings, twinsDir: join(ROOT, 'data/twins'), logLevel: 'silent', limits: { maxRecordings: 1 } }), 'test');
    try {
      const first = JSON.parse((await server.app.inject({ method: 'POST', url: '/api/procedures', payload: { twinId: 'demo', source: 'eam' } })).body) as { recording: string | null };
      expect(first.recording).not.toBeNull();
      const second = JSON.parse((await server.app.inject({ method: 'POST', url: '/api/procedures', payload: { twinId: 'demo', source: 'eam' } })).body) as { id: string; recording: string | null; recordingStopped?: string };
      expect(second.recording).toBeNull();
      expect(second.recordingStopped).toContain('limit');
      const events: DisplayMessage[] = [];
      server.broadcaster.subscribe(second.id, (m) => events.push(m));
      server.procedures.get(second.id).ingest({ type: 'tip', seq: 1, t: 0, p: [0, 0, 0] });
      expect(events.some((m) => m.type === 'event' && m.kind === 'recording.stopped')).toBe(true);
    } finally {
      await server.close();
    }
  });

  it('a write error (full disk) stops the recording without throwing', async () => {
    const { ProcedureRecorder } = await import('../../server/recording/procedure-recording.ts');
    const recorder = new ProcedureRecorder(join(dir, 'full.mcap'), { procedureId: 'p', twinId: 'demo', source: 'eam', startedAt: '', twinguideVersion: 't' }, { flushEveryMs: 0, maxBytes: 1e9 });
    // Inject the failure a full disk gives (the writer's own append fails).
    (recorder as unknown as { writer: { add: () => never } }).writer.add = () => { throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' }); };
    expect(() => recorder.input({ kind: 'tick', t: 1 }, 1n)).not.toThrow();
    expect(recorder.stopped).toContain('ENOSPC');
    expect(() => recorder.input({ kind: 'tick', t: 2 }, 2n)).not.toThrow();
    recorder.close();
  });
});
