import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { from, lastValueFrom, tap, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import { guidancePipeline } from '../../server/pipeline/procedure-pipeline.ts';
import { readWithIndex, readWithStream } from '../../server/recording/mcap-file-reader.ts';
import { ProcedureRecorder, TOPICS, loadRecording } from '../../server/recording/procedure-recording.ts';
import { replayRecording } from '../../server/recording/replay.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { runScenario } from '../../simulators/device/run-scenario.ts';

const dir = mkdtempSync(join(tmpdir(), 'twinguide-recording-'));
let demo: Twin;
beforeAll(async () => { demo = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname); });
afterAll(async () => {
  await demo.close();
  rmSync(dir, { recursive: true, force: true });
});

const meta = { procedureId: 'p1', twinId: 'demo', source: 'eam', startedAt: '2026-11-25T00:00:00.000Z', twinguideVersion: 'test' };

/** Record a simulated procedure as the server would: each input, then the messages it produced. */
async function record(path: string, options = { flushEveryMs: 0, maxBytes: 1e9 }, finish: 'close' | 'crash' = 'close'): Promise<{ recorder: ProcedureRecorder; outputs: number }> {
  const run = await runScenario(demo, 'wrong-branch-then-correct');
  const recorder = new ProcedureRecorder(path, meta, options);
  run.inputs.forEach((input, k) => recorder.input(input, BigInt(k) * 10_000_000n));
  let outputs = 0;
  await lastValueFrom(from(run.inputs).pipe(guidancePipeline(demo, { procedureId: 'p1' }), tap((m) => { recorder.output(m, BigInt(outputs++) * 10_000_000n); }), toArray()));
  if (finish === 'close') recorder.close();
  else recorder.flush(); // a crash after the last flush: no summary, no close
  return { recorder, outputs };
}

describe('procedure recordings (MCAP)', () => {
  it('open with @mcap/core\'s indexed reader, with JSON-schema\'d channels', async () => {
    const path = join(dir, 'a.mcap');
    const { outputs } = await record(path);
    const messages = await readWithIndex(path);
    expect(messages.filter((m) => m.topic === TOPICS.output)).toHaveLength(outputs);
    expect(messages.filter((m) => m.topic === TOPICS.meta)).toHaveLength(1);
    const first = JSON.parse(new TextDecoder().decode(messages.find((m) => m.topic === TOPICS.input)!.data)) as { n: number; input: { kind: string } };
    expect(first.input.kind).toBe('registration');
  });

  it('replay reproduces the recorded guidance byte for byte', async () => {
    const path = join(dir, 'b.mcap');
    await record(path);
    const recording = await loadRecording(path);
    expect(recording.indexed).toBe(true);
    const result = await replayRecording(demo, recording);
    expect(result.identical).toBe(true);
    expect(result.compared).toBe(recording.outputs.length);
    expect(result.compared).toBeGreaterThan(4000);
  });

  it('replay says so when the guidance differs (another twin)', async () => {
    const path = join(dir, 'c.mcap');
    await record(path);
    const scar = await loadTwinFile(new URL('../../data/twins/demo-scar.twin.json', import.meta.url).pathname);
    try {
      const result = await replayRecording(scar, await loadRecording(path));
      expect(result.identical).toBe(false);
      expect(result.firstDifference).toBeDefined();
    } finally {
      await scar.close();
    }
  });

  it('after a crash (no summary, torn tail) the stream reader recovers everything flushed, and it replays identically as far as it goes', async () => {
    const path = join(dir, 'd.mcap');
    await record(path, { flushEveryMs: 0, maxBytes: 1e9 }, 'crash');
    // Tear the last few bytes, as a kill in the middle of a write would.
    const bytes = readFileSync(path);
    writeFileSync(path, bytes.subarray(0, bytes.length - 7));
    await expect(readWithIndex(path)).rejects.toThrow();
    const recovered = await readWithStream(path);
    expect(recovered.length).toBeGreaterThan(4000);
    const recording = await loadRecording(path);
    expect(recording.indexed).toBe(false);
    const result = await replayRecording(demo, recording);
    expect(result.compared).toBeGreaterThan(3000);
    expect(result.identical).toBe(true);
  });

  it('stops recording at its size limit without disturbing the procedure', async () => {
    const path = join(dir, 'e.mcap');
    const { recorder } = await record(path, { flushEveryMs: 0, maxBytes: 200_000 });
    expect(recorder.stopped).toContain('byte limit');
    const recording = await loadRecording(path);
    expect(recording.indexed).toBe(true); // closed properly when it stopped
    expect(recording.outputs.length).toBeLessThan(1000);
  });
});

describe('twinguide simulate and replay', () => {
  const io = () => {
    const out: string[] = [];
    const err: string[] = [];
    return { io: { out: (t: string) => { out.push(t); }, err: (t: string) => { err.push(t); } }, out, err };
  };

  it('simulates a scenario to a recording that replay reproduces exactly', async () => {
    const path = join(dir, 'sim.mcap');
    const truth = join(dir, 'truth.jsonl');
    const a = io();
    expect(await main(['simulate', '--twin', 'data/twins/demo.twin.json', '--scenario', 'reach-lateral-zone', '--to', path, '--truth', truth, '--seed', '3'], a.io)).toBe(0);
    expect(a.out.join('')).toMatch(/wrote .*sim\.mcap: reach-lateral-zone on demo \(eam\)/);
    expect(readFileSync(truth, 'utf8').trim().split('\n').length).toBeGreaterThan(1500);
    const b = io();
    expect(await main(['replay', path, '--json'], b.io)).toBe(0);
    const report = JSON.parse(b.out.join('')) as { identical: boolean; compared: number };
    expect(report.identical).toBe(true);
    expect(report.compared).toBeGreaterThan(1500);
  });

  it('records the lab\'s ECG and respiration with the samples (--signals), and replay reproduces it exactly', async () => {
    const path = join(dir, 'signals.mcap');
    expect(await main(['simulate', '--twin', 'data/twins/demo.twin.json', '--scenario', 'reach-lateral-zone', '--to', path, '--seed', '3', '--duration', '20', '--signals'], io().io)).toBe(0);
    const recording = await loadRecording(path);
    const kinds = recording.inputs.flatMap((i) => (i.kind === 'signal' ? [i.signal.type] : []));
    // 20 s: ~22 R waves at 1.1 Hz, ~500 belt readings at 25 Hz.
    expect(kinds.filter((k) => k === 'rwave').length).toBeGreaterThan(15);
    expect(kinds.filter((k) => k === 'respiration').length).toBeGreaterThan(400);
    const b = io();
    expect(await main(['replay', path, '--json'], b.io)).toBe(0);
    expect((JSON.parse(b.out.join('')) as { identical: boolean }).identical).toBe(true);
  });

  it('puts the tip on the vein wall when asked (--wall-contact), truth where it rests, and refuses a share outside 0-1', async () => {
    const path = join(dir, 'wall.mcap');
    const truth = join(dir, 'wall.jsonl');
    expect(await main(['simulate', '--twin', 'data/twins/demo.twin.json', '--scenario', 'reach-lateral-zone', '--to', path, '--truth', truth, '--seed', '3', '--duration', '8', '--wall-contact', '1'], io().io)).toBe(0);
    const truths = readFileSync(truth, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { p: number[]; centrelineP?: number[] });
    const offsets = truths.map((t) => Math.hypot(t.p[0]! - t.centrelineP![0]!, t.p[1]! - t.centrelineP![1]!, t.p[2]! - t.centrelineP![2]!));
    // The demo's sinus is 7 mm across: a 5 F lead rests up to ~2.9 mm off its centreline.
    expect(Math.max(...offsets)).toBeGreaterThan(2);
    expect(Math.max(...offsets)).toBeLessThan(3.3);
    const r = io();
    expect(await main(['replay', path, '--json'], r.io)).toBe(0);
    expect((JSON.parse(r.out.join('')) as { identical: boolean }).identical).toBe(true);
    const bad = io();
    expect(await main(['simulate', '--twin', 'data/twins/demo.twin.json', '--scenario', 'reach-lateral-zone', '--to', join(dir, 'w2.mcap'), '--wall-contact', '1.5'], bad.io)).toBe(2);
    expect(bad.err.join('')).toContain('--wall-contact must be a number from 0 to 1');
  });

  it('says clearly when it cannot reach a live target, and refuses unknown scenarios', async () => {
    const a = io();
    expect(await main(['simulate', '--twin', 'data/twins/demo.twin.json', '--scenario', 'loop', '--to', 'ws://127.0.0.1:1/ws/feed?procedure=x'], a.io)).toBe(1);
    expect(a.err.join('')).toContain('TG_ERR_CONNECT: cannot connect to ws://127.0.0.1:1');
    expect(await main(['simulate', '--twin', 'data/twins/demo.twin.json', '--scenario', 'nope', '--to', join(dir, 'x.mcap')], io().io)).toBe(2);
    const c = io();
    expect(await main(['replay', join(dir, 'missing.mcap')], c.io)).toBe(1);
    expect(c.err.join('')).toContain('TG_ERR_RECORDING');
  });
});

describe('the lab\'s physiological signals in a recording', () => {
  it('R waves and respiration sent over the live feed are recorded and replay byte-identically', async () => {
    const { startLiveServer } = await import('../helpers/live-server.ts');
    const { encodeMessage } = await import('../../protocol/index.ts');
    const { CONDITIONS } = await import('../../simulators/device/conditions.ts');
    const { defaultDeviceOptions, simulateDevice, simulatePhysio } = await import('../../simulators/device/device-simulator.ts');
    const { scenarioPlan } = await import('../../simulators/device/scenarios.ts');
    const { loadRecording } = await import('../../server/recording/procedure-recording.ts');
    const { replayRecording } = await import('../../server/recording/replay.ts');
    const live = await startLiveServer();
    try {
      const twin = live.server.twins.get('demo');
      const id = await live.createProcedure();
      const device = defaultDeviceOptions('eam', { ...CONDITIONS['physiological-signals'].device(3), seed: 3, durationS: 6, twinToSource: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] });
      const samples = [...simulateDevice(twin, scenarioPlan(twin, 'reach-lateral-zone'), device)];
      const signals = simulatePhysio(twin, device, 6);
      const messages = [...samples.map((s) => ({ at: s.arrivalS, m: s.sample })), ...signals.map((s) => ({ at: s.arrivalS, m: s.signal }))]
        .filter((x) => x.at >= samples[0]!.arrivalS)
        .sort((a, b) => a.at - b.at);
      const errors: string[] = [];
      const feed = await live.open(`${live.ws}/ws/feed?procedure=${id}`, (m) => { if (m.type === 'error') errors.push(m.code); });
      for (const x of messages) feed.send(encodeMessage(x.m));
      await new Promise((r) => setTimeout(r, 500));
      expect(errors).toEqual([]);
      feed.close();
      const path = (await live.info(id)).recording!;
      await live.server.app.inject({ method: 'DELETE', url: `/api/procedures/${id}` });
      const recording = await loadRecording(path);
      const kinds = recording.inputs.map((i) => (i.kind === 'signal' ? i.signal.type : i.kind));
      expect(kinds.filter((k) => k === 'rwave').length).toBeGreaterThan(4);
      expect(kinds.filter((k) => k === 'respiration').length).toBeGreaterThan(100);
      const replay = await replayRecording(twin, recording);
      expect(replay.identical, JSON.stringify(replay.firstDifference)).toBe(true);
      expect(replay.messages.filter((m) => m.type === 'guidance').length).toBeGreaterThan(100);
    } finally {
      await live.close();
    }
  });
});

describe('the physiological signals over OpenIGTLink', () => {
  it('SENSOR messages from <device>-ECG and <device>-RESP become R waves and respiration, recorded and replayed byte-identically; other SENSOR devices get a STATUS error', async () => {
    const { startLiveServer, pause } = await import('../helpers/live-server.ts');
    const { connect } = await import('node:net');
    const { encodeIgtl, decodeBody, parseHeader } = await import('../../protocol/openigtlink/igtl-codec.ts');
    const { IgtlStreamDecoder } = await import('../../protocol/openigtlink/igtl-stream.ts');
    const { loadRecording } = await import('../../server/recording/procedure-recording.ts');
    const { replayRecording } = await import('../../server/recording/replay.ts');
    // The codec round-trips SENSOR (LARRAY, STATUS, UNIT, float64 readings).
    const frame = encodeIgtl({ headerVersion: 1, deviceName: 'Lead-RESP', timestamp: { seconds: 1, fraction: 0 }, content: { type: 'SENSOR', status: 0, unit: 0n, values: [512.25, -3] } });
    expect(decodeBody(parseHeader(frame), frame.subarray(58)).content).toEqual({ type: 'SENSOR', status: 0, unit: 0n, values: [512.25, -3] });
    const live = await startLiveServer();
    try {
      const id = await live.createProcedure({ igtlDevice: 'Lead' });
      const socket = live.track(connect(live.igtlPort, '127.0.0.1'));
      await new Promise((r) => socket.once('connect', r));
      const statuses: string[] = [];
      const decoder = new IgtlStreamDecoder(1 << 20);
      socket.on('data', (chunk: Buffer) => { for (const e of decoder.push(chunk)) if (e.kind === 'message' && e.message.content.type === 'STATUS') statuses.push(e.message.content.errorName); });
      const at = (t: number) => ({ seconds: Math.floor(t), fraction: Math.round((t % 1) * 2 ** 32) });
      const I: [[number, number, number], [number, number, number], [number, number, number]] = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
      for (let k = 0; k < 300; k++) {
        const t = 100 + k * 0.01;
        socket.write(encodeIgtl({ headerVersion: 1, deviceName: 'Lead', timestamp: at(t), content: { type: 'TRANSFORM', rotation: I, translationMm: [k * 0.05, 0, 0] } }));
        if (k % 4 === 0) socket.write(encodeIgtl({ headerVersion: 1, deviceName: 'Lead-RESP', timestamp: at(t), content: { type: 'SENSOR', status: 0, unit: 0n, values: [500 + 100 * Math.sin(k / 40)] } }));
        if (k % 90 === 45) socket.write(encodeIgtl({ headerVersion: 1, deviceName: 'Lead-ECG', timestamp: at(t), content: { type: 'SENSOR', status: 0, unit: 0n, values: [1] } }));
        if (k % 10 === 0) await pause(1);
      }
      socket.write(encodeIgtl({ headerVersion: 1, deviceName: 'Lead-TEMP', timestamp: at(103), content: { type: 'SENSOR', status: 0, unit: 0n, values: [37] } }));
      await pause(300);
      expect(statuses).toEqual(['TG_ERR_IGTL_UNKNOWN']);
      const path = (await live.info(id)).recording!;
      await live.server.app.inject({ method: 'DELETE', url: `/api/procedures/${id}` });
      const recording = await loadRecording(path);
      const signals = recording.inputs.flatMap((i) => (i.kind === 'signal' ? [i.signal.type] : []));
      expect(signals.filter((s) => s === 'rwave')).toHaveLength(3);
      expect(signals.filter((s) => s === 'respiration')).toHaveLength(75);
      expect((await replayRecording(live.server.twins.get('demo'), recording)).identical).toBe(true);
    } finally {
      await live.close();
    }
  });
});
