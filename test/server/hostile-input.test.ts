// One hostile number must not stop the server (issue: a sample time of 1e300 once ended every
// procedure on the server from a timer). Each inbound number has a range a real device produces,
// refused at the edge with a stable code; a procedure's own faults stay with that procedure.
import { connect, type Socket } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeDisplayFrame, encodeMessage, type DisplayMessage, type ErrorMessage } from '../../protocol/index.ts';
import { encodeIgtl, type IgtlContent, type Matrix3 } from '../../protocol/openigtlink/igtl-codec.ts';
import { IgtlStreamDecoder } from '../../protocol/openigtlink/igtl-stream.ts';
import { loadRecording } from '../../server/recording/procedure-recording.ts';
import { replayRecording } from '../../server/recording/replay.ts';
import { startServerChild } from '../../tools/server-child.ts';
import { pause, startLiveServer, type LiveServer } from '../helpers/live-server.ts';

let live: LiveServer;
beforeAll(async () => { live = await startLiveServer(); });
afterAll(async () => { await live.close(); });

const I: Matrix3 = [[1, 0, 0], [0, 1, 0], [0, 0, 1]];

/** A feed socket whose error replies are collected. */
async function feedFor(id: string): Promise<{ socket: WebSocket; errors: ErrorMessage[]; send: (m: Record<string, unknown>) => void }> {
  const errors: ErrorMessage[] = [];
  const socket = await live.open(`${live.ws}/ws/feed?procedure=${id}`, (m) => { if (m.type === 'error') errors.push(m); });
  return { socket, errors, send: (m) => socket.send(encodeMessage(m as never)) };
}

/** An OpenIGTLink connection whose STATUS replies are collected. */
async function igtlClient(): Promise<{ socket: Socket; statuses: Extract<IgtlContent, { type: 'STATUS' }>[]; send: (device: string, seconds: number, fraction: number, content: IgtlContent) => void }> {
  const socket = connect(live.igtlPort, '127.0.0.1');
  await new Promise((r) => socket.once('connect', r));
  const decoder = new IgtlStreamDecoder(1 << 20);
  const statuses: Extract<IgtlContent, { type: 'STATUS' }>[] = [];
  socket.on('data', (chunk) => { for (const e of decoder.push(chunk)) if (e.kind === 'message' && e.message.content.type === 'STATUS') statuses.push(e.message.content); });
  return { socket, statuses, send: (device, seconds, fraction, content) => socket.write(encodeIgtl({ headerVersion: 1, deviceName: device, timestamp: { seconds, fraction }, content })) };
}

describe('hostile numbers are refused at the edge, and the server carries on', () => {
  it("the issue's frame (t = 1e300) and its cousins on the WebSocket feed get a stable code; the procedure, its neighbour and its recording are fine", async () => {
    const ctl = await live.control();
    const id = await live.createProcedure();
    const messages: DisplayMessage[] = [];
    const display = await live.open(`${live.ws}/ws/display?procedure=${id}`, (m) => messages.push(m));
    const feed = await feedFor(id);
    feed.send({ type: 'tip', seq: 1, t: 1e300, p: [0, 0, 0] });
    await pause(150); // several ticks: the tick once carried this time into the recorder and threw
    const cousins: Record<string, unknown>[] = [
      { type: 'tip', seq: 2, t: 2 ** 32 + 1, p: [0, 0, 0] },
      { type: 'tip', seq: 3, t: -1e308, p: [0, 0, 0] },
      { type: 'tip', seq: 4, t: 1, p: [1e308, 0, 0] },
      { type: 'tip', seq: 5, t: 1, p: [0, -5001, 0] },
      { type: 'tip', seq: 2 ** 53 + 2, t: 1, p: [0, 0, 0] },
      { type: 'tip', seq: -1, t: 1, p: [0, 0, 0] },
      { type: 'tip', seq: 6, t: 1, p: [0, 0, 0], q: [1e308, 0, 0, 1] },
      { type: 'fluoro', seq: 7, t: 1, views: [{ u: 5, v: 5, geometry: { alpha: 0, beta: 0, sid: 1e308, sod: 700, pixelSpacing: [0.2, 0.2], size: [1024, 1024] } }] },
      { type: 'fluoro', seq: 8, t: 1, views: [{ u: 5, v: 5, geometry: { alpha: 0, beta: 0, sid: 1000, sod: 1200, pixelSpacing: [0.2, 0.2], size: [1024, 1024] } }] },
      { type: 'fluoro', seq: 9, t: 1, views: [{ u: 5, v: 5, geometry: { alpha: 0, beta: 0, sid: 1000, sod: 700, pixelSpacing: [5e-324, 0.2], size: [1024, 1024] } }] },
      { type: 'reset', seq: 0, t: 1e300 },
    ];
    for (const c of cousins) feed.send(c);
    await pause(150);
    expect(feed.errors.map((e) => e.code)).toEqual(Array(1 + cousins.length).fill('TG_ERR_BAD_MESSAGE'));
    expect(feed.errors[0]!.message).toMatch(/\/t/);
    expect(feed.errors[9]!.message).toMatch(/sod .* less than sid/);
    // The procedure still takes good samples and guides.
    for (let seq = 1; seq <= 20; seq++) feed.send({ type: 'tip', seq, t: 5 + seq * 0.01, p: [0, 0, 0], quality: 'ok' });
    await pause(200);
    expect(messages.some((m) => m.type === 'guidance')).toBe(true);
    expect((await live.server.app.inject('/health')).statusCode).toBe(200);
    expect(await ctl.stop()).toBeGreaterThan(10);
    // Its recording reads back and replays identically.
    const path = (await live.info(id)).recording!;
    feed.socket.close();
    display.close();
    await live.server.app.inject({ method: 'DELETE', url: `/api/procedures/${id}` });
    const recording = await loadRecording(path);
    expect(recording.inputs.filter((i) => i.kind === 'sample')).toHaveLength(20);
    expect((await replayRecording(live.server.twins.get('demo'), recording)).identical).toBe(true);
  });

  it('a feed clock that jumps by years is refused (TG_ERR_CLOCK_JUMP) until the feed sends a reset; the procedure then runs on in its own time', async () => {
    const id = await live.createProcedure();
    const guidance: DisplayMessage[] = [];
    const events: string[] = [];
    const display = await live.open(`${live.ws}/ws/display?procedure=${id}`, (m) => { if (m.type === 'guidance') guidance.push(m); if (m.type === 'event') events.push(m.kind); });
    const feed = await feedFor(id);
    for (let seq = 1; seq <= 10; seq++) feed.send({ type: 'tip', seq, t: 1000 + seq * 0.01, p: [0, 0, 0] });
    feed.send({ type: 'tip', seq: 11, t: 1000 + 3e8, p: [0, 0, 0] }); // ten years ahead, in the contract's range
    feed.send({ type: 'tip', seq: 12, t: 1000 - 3e8, p: [0, 0, 0] }); // and ten years back
    await pause(100);
    expect(feed.errors.map((e) => [e.code, e.seq])).toEqual([['TG_ERR_CLOCK_JUMP', 11], ['TG_ERR_CLOCK_JUMP', 12]]);
    // The device restarted: its clock and numbering begin again at 0.
    feed.send({ type: 'reset', seq: 0, t: 0 });
    for (let seq = 0; seq < 10; seq++) feed.send({ type: 'tip', seq, t: seq * 0.01, p: [0, 0, 0] });
    await pause(200);
    expect(feed.errors).toHaveLength(2);
    expect(events).toContain('feed.reset');
    const info = await live.info(id);
    expect(info.samplesIn).toBe(20);
    expect(info.refused).toEqual({ TG_ERR_CLOCK_JUMP: 2 });
    // Guidance time and seq keep running forward across the restart.
    const times = guidance.map((g) => (g as { t: number }).t);
    const seqs = guidance.map((g) => (g as { seq: number }).seq);
    expect(times.every((t, k) => k === 0 || t >= times[k - 1]!)).toBe(true);
    expect(seqs.every((s, k) => k === 0 || s > seqs[k - 1]!)).toBe(true);
    expect(times.at(-1)).toBeGreaterThan(1000);
    feed.socket.close();
    display.close();
  });

  it('a single corrupt time 50 s ahead is held, contradicted by the next sample, dropped and counted, never the reference', async () => {
    const id = await live.createProcedure();
    const feed = await feedFor(id);
    for (let seq = 1; seq <= 10; seq++) feed.send({ type: 'tip', seq, t: 20 + seq * 0.01, p: [0, 0, 0] });
    feed.send({ type: 'tip', seq: 11, t: 70, p: [0, 0, 0] });
    for (let seq = 12; seq <= 20; seq++) feed.send({ type: 'tip', seq, t: 20 + seq * 0.01, p: [0, 0, 0] });
    await pause(150);
    const info = await live.info(id);
    expect(info.samplesIn).toBe(19);
    expect(info.refused).toEqual({ TG_ERR_CLOCK_JUMP: 1 });
    expect(feed.errors).toEqual([]);
    feed.socket.close();
  });

  it('OpenIGTLink: a TRANSFORM whose timestamp jumps or whose matrix holds extreme values gets a STATUS error; the device and a neighbour carry on', async () => {
    const ctl = await live.control();
    const id = await live.createProcedure({ igtlDevice: 'HostileTip' });
    const client = await igtlClient();
    const transform = (rotation: Matrix3, t: [number, number, number]): IgtlContent => ({ type: 'TRANSFORM', rotation, translationMm: t });
    for (let k = 0; k < 10; k++) client.send('HostileTip', 500, k * 2 ** 28, transform(I, [k, 0, 0]));
    await pause(100);
    expect((await live.info(id)).samplesIn).toBe(10);
    client.send('HostileTip', 0xffffffff, 0xffffffff, transform(I, [0, 0, 0])); // a timestamp 136 years on
    client.send('HostileTip', 501, 0, transform([[1e30, 0, 0], [0, 1e30, 0], [0, 0, 1e30]], [0, 0, 0]));
    client.send('HostileTip', 501, 0, transform([[Number.NaN, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 0]));
    client.send('HostileTip', 501, 0, transform([[-1, 0, 0], [0, 1, 0], [0, 0, 1]], [0, 0, 0])); // a reflection
    client.send('HostileTip', 501, 0, transform(I, [3e38, 0, 0]));
    client.send('HostileTip', 501, 0, transform(I, [Number.NaN, 0, 0]));
    client.send('HostileTip', 501, 0, { type: 'POSITION', positionMm: [0, 0, 0], quaternion: [3e38, 0, 0, 1], contentSize: 28 });
    await pause(150);
    expect(client.statuses.map((s) => s.errorName)).toEqual(['TG_ERR_CLOCK_JUMP', 'TG_ERR_IGTL_BAD_CONT', 'TG_ERR_IGTL_BAD_CONT', 'TG_ERR_IGTL_BAD_CONT', 'TG_ERR_BAD_MESSAGE', 'TG_ERR_BAD_MESSAGE', 'TG_ERR_BAD_MESSAGE']);
    expect(client.statuses.every((s) => s.code === 2)).toBe(true);
    client.send('HostileTip', 501, 0, transform(I, [1, 1, 1]));
    await pause(100);
    expect((await live.info(id)).samplesIn).toBe(11);
    expect(client.socket.destroyed).toBe(false);
    client.socket.destroy();
    expect(await ctl.stop()).toBeGreaterThan(10);
  });

  it('REST bodies with extreme numbers are refused with TG_ERR_BAD_REQUEST; the procedure is unchanged', async () => {
    const id = await live.createProcedure({ register: false });
    const bodies = [
      { method: 'landmarks', pairs: [{ name: 'cs-ostium', source: [1e300, 0, 0] }, { name: 'lv-apex', source: [0, 0, 0] }, { name: 'rv-apex', source: [0, 1, 0] }] },
      { method: 'landmarks', pairs: [{ name: 'a', source: [0, 0, 0], twin: [0, 0, -1e308] }, { name: 'b', source: [0, 10, 0], twin: [0, 10, 0] }, { name: 'c', source: [10, 0, 0], twin: [10, 0, 0] }] },
      { method: 'landmarks', pairs: [{ name: 'a', source: [5e-324, 0, 6000], twin: [0, 0, 0] }, { name: 'b', source: [0, 10, 0], twin: [0, 10, 0] }, { name: 'c', source: [10, 0, 0], twin: [10, 0, 0] }] },
    ];
    for (const payload of bodies) {
      const response = await live.server.app.inject({ method: 'POST', url: `/api/procedures/${id}/registration`, payload });
      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body).code).toBe('TG_ERR_BAD_REQUEST');
    }
    const replay = await live.server.app.inject({ method: 'POST', url: '/api/replays', payload: { recordingId: 'x', speed: 1e308 } });
    expect(JSON.parse(replay.body).code).toBe('TG_ERR_BAD_REQUEST');
    expect(JSON.parse((await live.server.app.inject(`/api/procedures/${id}`)).body).registration.state).toBe('none');
  });
});

describe("a procedure's own fault stays with that procedure", () => {
  it('an exception thrown from its timer (test seam) is counted and said on its displays; the server and the other procedures carry on', async () => {
    const ctl = await live.control();
    const id = await live.createProcedure();
    const events: { kind: string; code?: string }[] = [];
    let guidance = 0;
    const display = await live.open(`${live.ws}/ws/display?procedure=${id}`, (m) => { if (m.type === 'event') events.push(m); if (m.type === 'guidance') guidance++; });
    const feed = await feedFor(id);
    let thrown = 0;
    live.server.procedures.get(id).seams.beforeTick = () => { thrown++; throw new Error('injected fault in the tick'); };
    for (let seq = 1; seq <= 30; seq++) { feed.send({ type: 'tip', seq, t: seq * 0.01, p: [0, 0, 0] }); await pause(10); }
    await pause(150);
    expect(thrown).toBeGreaterThan(2);
    expect(events.some((e) => e.kind === 'procedure.fault' && e.code === 'TG_ERR_PROCEDURE_FAULT')).toBe(true);
    expect(guidance).toBeGreaterThan(5); // its samples still become guidance
    const info = await live.info(id);
    expect(info.faults?.['tick']).toBe(thrown);
    expect(await live.metrics()).toMatch(/twinguide_faults_total\{where="procedure\.tick"\} [1-9]/);
    expect((await live.server.app.inject('/health')).statusCode).toBe(200);
    expect(await ctl.stop()).toBeGreaterThan(20);
    // Its recording says why.
    delete live.server.procedures.get(id).seams.beforeTick;
    feed.socket.close();
    display.close();
    await live.server.app.inject({ method: 'DELETE', url: `/api/procedures/${id}` });
    const { readRecordingFile } = await import('../../server/recording/mcap-file-reader.ts');
    const read = await readRecordingFile(info.recording!);
    const faults = read.messages.filter((m) => m.topic === '/procedure/events').map((m) => JSON.parse(new TextDecoder().decode(m.data)) as { kind: string; message: string });
    expect(faults.filter((f) => f.kind === 'procedure.fault')).toHaveLength(thrown);
    expect(faults[0]!.message).toMatch(/injected fault in the tick/);
  });

  it('a throwing display listener is dropped; the procedure and its other displays go on', async () => {
    const id = await live.createProcedure();
    let good = 0;
    const display = await live.open(`${live.ws}/ws/display?procedure=${id}`, (m) => { if (m.type === 'guidance') good++; });
    live.server.broadcaster.subscribe(id, () => { throw new Error('a broken display'); });
    const feed = await feedFor(id);
    for (let seq = 1; seq <= 20; seq++) { feed.send({ type: 'tip', seq, t: seq * 0.01, p: [0, 0, 0] }); await pause(10); }
    await pause(100);
    expect(good).toBeGreaterThan(5);
    expect(await live.metrics()).toMatch(/twinguide_faults_total\{where="display"\} 1/);
    feed.socket.close();
    display.close();
  });
});

describe('the twinguide process', () => {
  it("survives the issue's frame: still serving, and its procedure's recording is finalised on SIGTERM", async () => {
    const recordings = mkdtempSync(join(tmpdir(), 'twinguide-hostile-'));
    const child = await startServerChild(recordings);
    try {
      const created = await fetch(`${child.base}/api/procedures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ twinId: 'demo', source: 'eam' }) });
      const { id } = (await created.json()) as { id: string };
      const socket = new WebSocket(`${child.base.replace('http', 'ws')}/ws/feed?procedure=${id}`);
      const replies: string[] = [];
      socket.on('message', (data: Buffer) => replies.push((decodeDisplayFrame(data) as ErrorMessage).code));
      await new Promise((r) => socket.once('open', r));
      socket.send(encodeMessage({ type: 'tip', seq: 1, t: 1, p: [0, 0, 0] }));
      socket.send(encodeMessage({ type: 'tip', seq: 2, t: 1e300, p: [0, 0, 0] } as never));
      await pause(500); // ten ticks
      expect(child.child.exitCode).toBeNull();
      expect(replies).toEqual(['TG_ERR_BAD_MESSAGE']);
      expect((await fetch(`${child.base}/health`)).status).toBe(200);
      socket.close();
      await child.stop();
      expect(child.child.exitCode).toBe(0);
      expect((await loadRecording(join(recordings, `${id}.mcap`))).indexed).toBe(true);
    } finally {
      await child.stop();
      rmSync(recordings, { recursive: true, force: true });
    }
  }, 30_000);
});
