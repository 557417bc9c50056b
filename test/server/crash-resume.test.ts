// A procedure survives the server's death: `kill -9` mid-procedure, start again on the same
// recordings directory, and the procedure is back under its id with its registration; the feed
// reconnects; the first guidance after the restart equals a replay of the same inputs; and the
// recording's segments replay, as one, byte for byte. Real processes, sockets and files.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import { readTimeline } from '../../client/src/replay/recording-timeline.ts';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WebSocket } from 'ws';
import { decodeDisplayFrame, encodeMessage, type DisplayMessage, type FeedSample, type Guidance } from '../../protocol/index.ts';
import { CHECKPOINT_VERSION } from '../../server/recording/checkpoints.ts';
import { loadRecording } from '../../server/recording/procedure-recording.ts';
import { replayRecording } from '../../server/recording/replay.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import { defaultDeviceOptions, simulateDevice } from '../../simulators/device/device-simulator.ts';
import { scenarioPlan } from '../../simulators/device/scenarios.ts';
import { startServerChild, type ServerChild } from '../../tools/server-child.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dirs: string[] = [];
const fresh = (): string => { const d = mkdtempSync(join(tmpdir(), 'tg-crash-')); dirs.push(d); return d; };
const servers: ServerChild[] = [];
afterAll(async () => {
  for (const s of servers) await s.kill();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const start = async (recordings: string, ...args: string[]): Promise<ServerChild> => { const s = await startServerChild(recordings, args); servers.push(s); return s; };
const json = async (base: string, path: string, init?: { method: string; body?: unknown }): Promise<{ status: number; body: any }> => {
  const r = await fetch(base + path, init ? { method: init.method, ...(init.body !== undefined ? { headers: { 'content-type': 'application/json' }, body: JSON.stringify(init.body) } : {}) } : undefined);
  return { status: r.status, body: await r.json() };
};
/** The source frame is the twin moved by this offset: registration has something to restore. */
const OFFSET = [12, -7, 4];

async function simulated(seconds: number): Promise<{ sample: FeedSample; arrivalS: number }[]> {
  const twin = await loadTwinFile(join(ROOT, 'data/twins/demo.twin.json'), { loadModel: false });
  const device = defaultDeviceOptions('eam', { twinToSource: [1, 0, 0, OFFSET[0]!, 0, 1, 0, OFFSET[1]!, 0, 0, 1, OFFSET[2]!, 0, 0, 0, 1], durationS: seconds });
  const samples = [...simulateDevice(twin, scenarioPlan(twin, 'reach-lateral-zone'), device)].filter((s) => s.sample.type === 'tip') as { sample: FeedSample; arrivalS: number }[];
  await twin.close();
  return samples;
}

async function feed(base: string, id: string, samples: readonly { sample: FeedSample; arrivalS: number }[], speed: number): Promise<void> {
  const socket = new WebSocket(`${base.replace('http', 'ws')}/ws/feed?procedure=${id}`);
  await new Promise((r, j) => { socket.once('open', r); socket.once('error', j); });
  const t0 = Date.now();
  const first = samples[0]?.arrivalS ?? 0;
  for (const s of samples) {
    const due = t0 + ((s.arrivalS - first) * 1000) / speed;
    if (due > Date.now() + 2) await pause(due - Date.now());
    socket.send(encodeMessage(s.sample));
  }
  socket.close();
}

describe('a procedure survives kill -9', () => {
  it('comes back under its id with its registration (from its newest checkpoint), takes the reconnecting feed, and its first guidance is what a replay of the same inputs gives', async () => {
    const twin = await loadTwinFile(join(ROOT, 'data/twins/demo.twin.json'), { loadModel: false });
    const pairs = twin.landmarks.slice(0, 4).map((l) => ({ name: l.name, source: l.positionMm.map((v, k) => v + OFFSET[k]!) }));
    await twin.close();
    const recordings = fresh();
    const samples = await simulated(16);
    const cut = Math.floor(samples.length / 2);

    // Checkpoints often, so the crash falls between two and the resume replays only what followed.
    const config = join(recordings, '..', `${recordings.split('/').pop()}.config.json`);
    writeFileSync(config, JSON.stringify({ limits: { checkpointEveryInputs: 150 } }));
    dirs.push(config);
    let server = await start(recordings, '--config', config);
    expect(server.output()).toMatch(/warmed up the pipeline: \d+ synthetic samples/);
    const created = await json(server.base, '/api/procedures', { method: 'POST', body: { twinId: 'demo', source: 'eam', igtlDevice: 'TIP' } });
    expect(created.status).toBe(201);
    const id = created.body.id as string;
    const registered = await json(server.base, `/api/procedures/${id}/registration`, { method: 'POST', body: { method: 'landmarks', pairs } });
    expect(registered.status).toBe(200);
    await feed(server.base, id, samples.slice(0, cut), 2); // within the feed rate limit (250 Hz)
    await pause(300); // the recorder flushes every 50 ms
    const before = (await json(server.base, `/api/procedures/${id}`)).body;
    expect(before.samplesIn).toBeGreaterThan(cut * 0.9);
    await server.kill();

    server = await start(recordings, '--config', config);
    // Back after a crash, the rebuild warms the pipeline: no synthetic procedure first (the displays wait less).
    expect(server.output()).toContain('skipped the pipeline warm-up: 1 procedure(s) to resume');
    const listed = (await json(server.base, '/api/procedures')).body as { id: string }[];
    expect(listed.map((p) => p.id)).toEqual([id]);
    const after = (await json(server.base, `/api/procedures/${id}`)).body;
    expect(after.registration).toEqual(before.registration);
    expect(after.igtlDevice).toBe('TIP');
    expect(after.resumed.segments).toBe(1);
    expect(after.resumed.fromCheckpoint).toBe(true);
    expect(after.resumed.inputs).toBeLessThan(300); // the inputs after the newest checkpoint, not the whole procedure
    expect(after.createdAt).toBe(before.createdAt);

    // A display joins: the snapshot carries the last guidance from before the crash.
    const seen: DisplayMessage[] = [];
    const display = new WebSocket(`${server.base.replace('http', 'ws')}/ws/display?procedure=${id}`);
    display.binaryType = 'nodebuffer';
    display.on('message', (d: Buffer) => seen.push(decodeDisplayFrame(d)));
    await new Promise((r) => display.once('open', r));
    await feed(server.base, id, samples.slice(cut), 2);
    await pause(300);
    display.close();
    const snapshot = seen.find((m) => m.type === 'snapshot');
    expect(snapshot && snapshot.type === 'snapshot' && snapshot.guidance?.seq).toBeGreaterThan(0);
    const live = seen.filter((m): m is Guidance => m.type === 'guidance');
    expect(live.length).toBeGreaterThan(50);
    await server.stop(); // finalises the second segment

    const files = readdirSync(recordings).filter((f) => f.startsWith(id) && f.endsWith('.mcap')).sort();
    expect(files).toEqual([`${id}-2.mcap`, `${id}.mcap`]);
    const recording = await loadRecording(join(recordings, `${id}-2.mcap`));
    expect(recording.segments?.length).toBe(2);
    expect(recording.segments![0]!.indexed).toBe(false); // the crashed one
    // The replay page reads the segments as one too.
    const timeline = readTimeline([new Uint8Array(readFileSync(join(recordings, `${id}.mcap`))), new Uint8Array(readFileSync(join(recordings, `${id}-2.mcap`)))]);
    expect(timeline.messages.length).toBe(recording.outputs.length);
    expect(timeline.complete).toBe(true);
    const demo = await loadTwinFile(join(ROOT, 'data/twins/demo.twin.json'));
    const replay = await replayRecording(demo, recording);
    await demo.close();
    expect(replay.identical).toBe(true);
    expect(replay.compared).toBe(recording.outputs.length);
    // The first guidance the restarted server sent is the replay's guidance for that sample.
    const first = live[0]!;
    const same = replay.messages.find((m): m is Guidance => m.type === 'guidance' && m.seq === first.seq)!;
    expect(Buffer.from(encodeMessage(same)).equals(Buffer.from(encodeMessage(first)))).toBe(true);
  }, 120_000);

  it('resumes by replaying the recorded inputs when its checkpoint was written by a build of another state shape', async () => {
    // An upgraded server finds a checkpoint of the old pipeline's classes: it refuses it (its
    // version is not CHECKPOINT_VERSION) rather than put old fields into new objects, and rebuilds
    // the procedure from every recorded input.
    const recordings = fresh();
    const samples = await simulated(8);
    const config = join(recordings, '..', `${recordings.split('/').pop()}.config.json`);
    writeFileSync(config, JSON.stringify({ limits: { checkpointEveryInputs: 150 } }));
    dirs.push(config);
    let server = await start(recordings, '--config', config);
    const created = await json(server.base, '/api/procedures', { method: 'POST', body: { twinId: 'demo', source: 'eam' } });
    const id = created.body.id as string;
    await feed(server.base, id, samples, 2);
    await pause(300);
    const before = (await json(server.base, `/api/procedures/${id}`)).body;
    await server.kill();
    const checkpoints = readdirSync(recordings).filter((f) => f.endsWith('.ckpt'));
    expect(checkpoints.length).toBe(1);
    const path = join(recordings, checkpoints[0]!);
    const old = deserialize(readFileSync(path)) as { version: number };
    expect(old.version).toBe(CHECKPOINT_VERSION);
    writeFileSync(path, serialize({ ...old, version: CHECKPOINT_VERSION - 1 }));

    server = await start(recordings, '--config', config);
    const after = (await json(server.base, `/api/procedures/${id}`)).body;
    expect(after.resumed.fromCheckpoint).toBe(false);
    expect(after.resumed.inputs).toBeGreaterThan(samples.length * 0.9); // every recorded input, not the tail after a checkpoint
    expect(after.samplesIn).toBe(before.samplesIn);
    await server.stop();
  }, 120_000);

  it('--no-resume starts empty; a procedure ended by DELETE stays ended', async () => {
    const recordings = fresh();
    let server = await start(recordings);
    const a = (await json(server.base, '/api/procedures', { method: 'POST', body: { twinId: 'demo', source: 'eam' } })).body.id as string;
    const b = (await json(server.base, '/api/procedures', { method: 'POST', body: { twinId: 'demo', source: 'eam' } })).body.id as string;
    expect((await json(server.base, `/api/procedures/${b}`, { method: 'DELETE' })).status).toBe(200);
    await pause(200);
    await server.kill();
    server = await start(recordings, '--no-resume');
    expect(server.output()).toMatch(/warmed up the pipeline/); // nothing to resume: it warms up
    expect((await json(server.base, '/api/procedures')).body).toEqual([]);
    await server.kill();
    server = await start(recordings);
    expect(((await json(server.base, '/api/procedures')).body as { id: string }[]).map((p) => p.id)).toEqual([a]);
    await server.stop();
  }, 60_000);
});
