// Two twinguide instances (real processes) on a real redis-server: a procedure created on A, a
// feed on A, displays on A and B see the same guidance; A killed with kill -9, B takes the
// procedure over from its durable log and the guidance goes on (the feed reconnects to B); Redis
// itself killed and restarted empty mid-procedure, nothing crashes and nothing wrong is shown; B's
// recording, which starts at the checkpoint it took over from, replays on its own, and a plain
// instance started on it after B too is killed resumes from it. An OpenIGTLink
// tracker connected to B feeds a procedure A owns.
// Skipped (visibly) without Debian's redis-server; CI installs it and sets TG_REQUIRE_REDIS=1.
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeDisplayFrame, encodeMessage, type DisplayMessage, type Guidance } from '../../protocol/index.ts';
import { encodeIgtl, type IgtlContent } from '../../protocol/openigtlink/igtl-codec.ts';
import { IgtlStreamDecoder } from '../../protocol/openigtlink/igtl-stream.ts';
import { decodeStartState } from '../../server/recording/checkpoints.ts';
import { loadRecording } from '../../server/recording/procedure-recording.ts';
import { replayRecording } from '../../server/recording/replay.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import { placeOnBranch, route, type RoutePoint } from '../../simulators/device/tree-route.ts';
import { startServerChild, type ServerChild } from '../../tools/server-child.ts';
import { redisAvailable, startRedis, type TestRedis } from '../../tools/redis-server.ts';
import type { Browser, Page } from 'playwright-core';
import { chromiumAvailable, launchChromium } from '../../tools/headless-chromium.ts';

const available = redisAvailable();
if (!available && process.env['TG_REQUIRE_REDIS'] === '1') throw new Error('TG_REQUIRE_REDIS=1 but redis-server is missing (apt-get install redis-server)');
if (!available) console.warn('cluster tests skipped: no redis-server (apt-get install redis-server)');

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
let redis: TestRedis;
let a: ServerChild;
let b: ServerChild;
const dirs: string[] = [];
let path: RoutePoint[] = [];

beforeAll(async () => {
  if (!available) return;
  redis = await startRedis();
  const start = (): Promise<ServerChild> => {
    const dir = mkdtempSync(join(tmpdir(), 'twinguide-cluster-'));
    dirs.push(dir);
    // Checkpoints often (every 200 inputs), so the takeover runs from one and the log is trimmed.
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ limits: { checkpointEveryInputs: 200 } }));
    return startServerChild(dir, ['--redis', redis.url, '--config', config]);
  };
  [a, b] = await Promise.all([start(), start()]);
  const twin = await loadTwinFile(join(ROOT, 'data/twins/demo.twin.json'), { loadModel: false });
  const zone = twin.zones.find((z) => z.branchId === 'lmv1')!;
  path = route(twin, placeOnBranch(twin, 'cs', 2), placeOnBranch(twin, 'lmv1', zone.startArcMm + 10), 0.15);
  await twin.close();
}, 60_000);

afterAll(async () => {
  await a?.kill().catch(() => undefined);
  await Promise.race([b?.stop(), pause(8000).then(() => b?.kill())]).catch(() => undefined);
  await redis?.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

/** When each display message arrived (by its index in the display's list), ms. */
const receivedAt = new Map<number, number>();

function display(base: string, id: string, into: DisplayMessage[]): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${base.replace('http', 'ws')}/ws/display?procedure=${id}`);
    ws.on('message', (d: Buffer) => { into.push(decodeDisplayFrame(d)); if (into === displayLog) receivedAt.set(into.length - 1, Date.now()); });
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

/** A feed that sends the route's samples at 100 Hz from `seq` on, to whichever base it is pointed at. */
class Feed {
  seq = 0;
  replies: string[] = [];
  socket: WebSocket | null = null;
  /** Its clock runs on through pauses, as a device's does (a time stamped from seq would fall behind it, and the server would refuse the samples as late). */
  private readonly clockStart = Date.now();
  async connect(base: string, id: string): Promise<void> {
    this.socket = new WebSocket(`${base.replace('http', 'ws')}/ws/feed?procedure=${id}`);
    this.socket.on('error', () => undefined);
    this.socket.on('message', (d: Buffer) => { if (this.replies.length < 20) this.replies.push(d.toString().slice(0, 300)); });
    await new Promise((r, j) => { this.socket!.once('open', r); this.socket!.once('error', j); });
  }
  /** How far along the route the lead is (samples of it). */
  private along = 0;
  /** `samples` at 100 Hz, the lead advancing along the route, or held where it is (`hold`). */
  async send(samples: number, hold = false): Promise<void> {
    const start = Date.now(), first = this.seq;
    for (let k = 0; k < samples; k++) {
      const due = start + (this.seq - first) * 10;
      if (due > Date.now()) await pause(due - Date.now());
      const p = path[Math.min(path.length - 1, this.along)]!;
      if (this.socket?.readyState === WebSocket.OPEN) this.socket.send(encodeMessage({ type: 'tip', seq: this.seq, t: (Date.now() - this.clockStart) / 1000, p: [p.x, p.y, p.z] }));
      this.seq++;
      if (!hold) this.along++;
    }
  }
  /** Samples with the lead held still, on and on until `until` settles (a device never stops for a page to load). */
  async holdUntil<T>(until: Promise<T>): Promise<T> {
    let done = false;
    const pumping = (async () => { while (!done) await this.send(5, true); })();
    try {
      return await until;
    } finally {
      done = true;
      await pumping;
    }
  }
}

const displayLog: DisplayMessage[] = [];
const guidance = (ms: DisplayMessage[]): Guidance[] => ms.filter((m): m is Guidance => m.type === 'guidance');
const json = async (url: string, init?: RequestInit): Promise<any> => (await fetch(url, init)).json();

describe.skipIf(!available)('two instances on Redis', () => {
  it("an OpenIGTLink tracker on B feeds A's procedure (its device found over Redis); A's display shows the guidance", async () => {
    const created = await fetch(`${a.base}/api/procedures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'case-igtl', twinId: 'demo', source: 'eam', igtlDevice: 'IgtlTip' }) });
    expect(created.status).toBe(201);
    expect((await fetch(`${a.base}/api/procedures/case-igtl/registration`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'identity' }) })).status).toBe(200);
    await pause(300); // the procedure's directory entry and snapshot reach Redis
    const onA: DisplayMessage[] = [];
    const displayA = await display(a.base, 'case-igtl', onA);
    const socket = connect(b.igtlPort, '127.0.0.1');
    await new Promise((r, j) => { socket.once('connect', r); socket.once('error', j); });
    const statuses: { device: string; content: Extract<IgtlContent, { type: 'STATUS' }> }[] = [];
    const decoder = new IgtlStreamDecoder(1 << 20);
    socket.on('data', (chunk: Buffer) => {
      for (const e of decoder.push(chunk)) if (e.kind === 'message' && e.message.content.type === 'STATUS') statuses.push({ device: e.message.deviceName, content: e.message.content });
    });
    // 300 TRANSFORMs at 100 Hz along the route, timestamped in the tracker's clock.
    const start = Date.now();
    for (let k = 0; k < 300; k++) {
      const due = start + k * 10;
      if (due > Date.now()) await pause(due - Date.now());
      const p = path[Math.min(path.length - 1, k)]!;
      const t = 1000 + k * 0.01;
      socket.write(encodeIgtl({ headerVersion: 1, deviceName: 'IgtlTip', timestamp: { seconds: Math.floor(t), fraction: Math.round((t % 1) * 2 ** 32) }, content: { type: 'TRANSFORM', rotation: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], translationMm: [p.x, p.y, p.z] } }));
    }
    // A device no instance has: refused from B with NotFound, the connection kept.
    socket.write(encodeIgtl({ headerVersion: 1, deviceName: 'NobodysTip', timestamp: { seconds: 0, fraction: 0 }, content: { type: 'TRANSFORM', rotation: [[1, 0, 0], [0, 1, 0], [0, 0, 1]], translationMm: [0, 0, 0] } }));
    let g: Guidance[] = [];
    for (let k = 0; k < 50 && !(g.length > 100 && statuses.length > 0); k++) { await pause(100); g = guidance(onA); }
    expect(g.length).toBeGreaterThan(100);
    // Guidance for the samples B relayed: the tip where the tracker put it (the route's end).
    const end = path[Math.min(path.length - 1, 299)]!;
    const last = g.at(-1)!;
    expect(Math.hypot(last.tip.p[0] - end.x, last.tip.p[1] - end.y, last.tip.p[2] - end.z)).toBeLessThan(5);
    expect(statuses.map((s) => [s.device, s.content.code])).toEqual([['NobodysTip', 4]]);
    expect(socket.destroyed).toBe(false);
    const metricsB = await (await fetch(`${b.base}/metrics`)).text();
    expect(metricsB).toMatch(/igtl/);
    socket.destroy();
    displayA.terminate();
    expect((await fetch(`${a.base}/api/procedures/case-igtl`, { method: 'DELETE' })).status).toBeLessThan(300);
  }, 60_000);

  it('a feed on A, displays on A and B see the same guidance; kill -9 A, B takes over and the guidance goes on; Redis restarted empty, nothing crashes', async () => {
    // (Chromium starts now, so that the feed does not stand idle while it does.)
    const launching = chromiumAvailable() ? launchChromium() : null;
    const created = await fetch(`${a.base}/api/procedures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'case-1', twinId: 'demo', source: 'eam' }) });
    expect(created.status).toBe(201);
    await pause(300); // the snapshot reaches Redis
    // A REST call on B for A's procedure is answered by A.
    const registered = await fetch(`${b.base}/api/procedures/case-1/registration`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'identity' }) });
    expect(registered.status).toBe(200);
    expect(((await json(`${b.base}/api/procedures`)) as { id: string }[]).map((p) => p.id)).toContain('case-1');

    const onA: DisplayMessage[] = [], onB: DisplayMessage[] = displayLog;
    const displayA = await display(a.base, 'case-1', onA);
    const displayB = await display(b.base, 'case-1', onB);
    const feed = new Feed();
    await feed.connect(a.base, 'case-1');
    await feed.send(400);
    await pause(400);
    // The same guidance on both instances: every message B relayed is one A sent, byte for byte.
    const gA = guidance(onA), gB = guidance(onB);
    expect(gA.length).toBeGreaterThan(20);
    expect(gB.length).toBeGreaterThan(20);
    const bySeq = new Map(gA.map((g) => [g.seq, JSON.stringify(g)]));
    // (Each display is throttled on its own, latest-wins at 60 Hz: they share some samples, not all.)
    const common = gB.filter((g) => bySeq.has(g.seq));
    expect(common.length).toBeGreaterThan(20);
    for (const g of common) expect(JSON.stringify(g)).toBe(bySeq.get(g.seq));

    // The display page on B, in Chromium (when there is one: CI has it), its banner logged as it
    // changes: what a lab display on the surviving instance shows across the takeover.
    let browser: Browser | null = null;
    let page: Page | null = null;
    if (launching) {
      browser = await launching;
      page = await browser.newPage();
      // The feed runs on (the lead held still) while the page loads and until it shows live guidance.
      await feed.holdUntil(page.goto(`${b.base}/?procedure=case-1`).then(() => page!.waitForFunction(() => (document.getElementById('instruction')?.textContent ?? '') !== '' && document.getElementById('banner')!.className === '', undefined, { timeout: 15_000, polling: 50 }))).catch(async (e: Error) => {
        throw new Error(`${e.message}; the page shows banner '${await page!.textContent('#banner')}', instruction '${await page!.textContent('#instruction')}'; the feed socket's state ${feed.socket?.readyState}; the feed got ${JSON.stringify(feed.replies)}; A's metrics ${(await (await fetch(`${a.base}/metrics`)).text()).split('\n').filter((l) => /drop|refus|reject|clock|feed/.test(l) && !l.startsWith('#')).join(' | ')}; B's node display last got ${JSON.stringify(onB.slice(-3).map((m) => [m.type, (m as { feed?: { state: string } }).feed?.state]))}`);
      });
      await page.evaluate(() => {
        const log: [number, string][] = [];
        (window as unknown as { bannerLog: typeof log }).bannerLog = log;
        let last: string | null = null;
        setInterval(() => { const kind = document.getElementById('banner')!.className; if (kind !== last) { log.push([Date.now(), kind]); last = kind; } }, 20);
      });
      // The feed is live when A dies (as a device's is: it never stops for a server).
      await feed.send(20);
    }

    const lastGuidedBeforeKill = guidance(onB).at(-1)!;
    const lastBeforeKill = lastGuidedBeforeKill.seq;

    // kill -9 A: B takes the lease when it runs out and rebuilds the procedure from the log.
    displayA.terminate();
    const killedAt = Date.now();
    await a.kill();
    let ownedAt = 0;
    for (let k = 0; k < 100 && !ownedAt; k++) {
      const health = await json(`${b.base}/health`);
      if (health.cluster.owned.includes('case-1')) ownedAt = Date.now();
      else await pause(20);
    }
    expect(ownedAt).toBeGreaterThan(0);
    console.log(`takeover: B owned the procedure ${ownedAt - killedAt} ms after A was killed`);
    await feed.connect(b.base, 'case-1');
    const reconnectedAt = Date.now();
    const sendingAfter = feed.send(200);
    let bannerLog: [number, string][] = [];
    if (page) {
      // The page on B, read while the feed still runs (once it stops the banner says so, rightly).
      await pause(1200);
      bannerLog = await page.evaluate(() => (window as unknown as { bannerLog: [number, string][] }).bannerLog);
    }
    await sendingAfter;
    await pause(300);
    const after = guidance(onB).filter((g) => g.seq > lastBeforeKill);
    // (Behaviour, not speed: on a loaded machine the throttled display gets fewer than the 120 a
    // quiet one does.)
    expect(after.length).toBeGreaterThan(20);
    // How long B's display went without guidance (kill → lease out → takeover → the feed reconnects
    // → a sample): the longest wait between two guidance messages from just before the kill on
    // (guidance A sent before it died may still arrive after it).
    const arrivals = onB.flatMap((m, k) => (m.type === 'guidance' && receivedAt.get(k)! >= killedAt - 100 ? [receivedAt.get(k)!] : []));
    const longestWait = Math.max(...arrivals.slice(1).map((at, k) => at - arrivals[k]!));
    console.log(`B's display: no guidance for ${longestWait} ms across the takeover (the feed reconnected ${reconnectedAt - killedAt} ms after the kill)`);
    expect(after.at(-1)!.seq).toBe(feed.seq - 1);
    // What B guides after the takeover continues what A guided: the tip moves on along the same path.
    expect(after.at(-1)!.tip.arcLengthMm).toBeGreaterThan(lastGuidedBeforeKill.tip.arcLengthMm);
    if (page) {
      // The page on B said the guidance was on hold while no update came (the owner dead, the
      // procedure not yet taken over), with an honest banner (no updates from the server, or the
      // feed stale or lost), and cleared it once guidance flowed again. How long it showed is the
      // figure (printed; the issue's at most 1.5 s is a benchmark's to judge, not a test's).
      const after = bannerLog.filter(([at]) => at >= killedAt);
      const outage = (kind: string): boolean => kind === 'silent' || kind === 'stale' || kind === 'lost';
      // (Low confidence just after the gap is honest too: the tracker has not seen the lead for a second.)
      for (const [, kind] of after) expect(['', 'low', 'silent', 'stale', 'lost']).toContain(kind);
      let onHoldMs = 0, heldSince: number | null = null;
      for (const [at, kind] of after) {
        if (outage(kind) && heldSince === null) heldSince = at;
        if (!outage(kind) && heldSince !== null) { onHoldMs += at - heldSince; heldSince = null; }
      }
      const seen = onB.map((m, k) => [receivedAt.get(k)! - killedAt, m.type, (m as { seq?: number }).seq ?? (m as { kind?: string }).kind ?? '', (m as { feed?: { state: string } }).feed?.state ?? '']).filter(([at]) => (at as number) > -300 && (at as number) < 1500);
      const story = `banner ${JSON.stringify(bannerLog.map(([at, k]) => [at - killedAt, k || 'none']))} (ms after the kill); B's node display got ${JSON.stringify(seen)}`;
      // A wait as long as the issue allows a banner to show (1.5 s) must have been said. A shorter
      // one may rightly show nothing: the watchdog (500 ms, unit-tested) runs on the page's clock,
      // and a page on a loaded machine that catches up on a backlog of messages sees a shorter
      // gap than this test's socket does.
      if (longestWait > 1500) expect(after.some(([, kind]) => outage(kind)), story).toBe(true);
      // Released once guidance flows again.
      expect(outage(bannerLog.at(-1)![1]), story).toBe(false);
      console.log(`B's display page in Chromium: ${JSON.stringify(after.map(([at, k]) => [at - killedAt, k || 'none']))} (ms after the kill, banner): on hold for ${onHoldMs} ms in all`);
      await browser!.close();
    }
    const resumed = onB.find((m) => m.type === 'event' && m.kind === 'procedure.resumed');
    expect(resumed && resumed.type === 'event' && resumed.message).toMatch(/from a checkpoint and the \d+ inputs after it/);
    const info = await json(`${b.base}/api/procedures/case-1`);
    expect(info.registration.state).toBe('landmarks'); // the registration came back with the log
    // B's recording starts at the checkpoint it took over from, and carries it: it replays on its
    // own, byte for byte (A's recording, with the start of the procedure, is on A's disk).
    await pause(200); // (B's recorder flushes every 50 ms)
    const segment = readdirSync(dirs[1]!).find((f) => f.startsWith('case-1') && f.endsWith('.mcap'))!;
    const recording = await loadRecording(join(dirs[1]!, segment));
    // The starting state is the procedure's at the checkpoint: registered (before the checkpoint),
    // with a pipeline state to start from.
    const start = decodeStartState(recording.startState ?? '');
    expect(start.registration.state).toBe('landmarks');
    expect(start.state.length).toBeGreaterThan(1000);
    expect(recording.inputs.length).toBeGreaterThan(100);
    const demo = await loadTwinFile(join(ROOT, 'data/twins/demo.twin.json'));
    try {
      const replay = await replayRecording(demo, recording);
      expect(replay.compared).toBeGreaterThan(100);
      expect(replay.identical, JSON.stringify(replay.firstDifference)).toBe(true);
    } finally {
      await demo.close();
    }

    // Redis killed and restarted empty: B serves what it owns all along, says so, and comes back.
    await redis.stop();
    const sending = feed.send(150);
    await pause(300);
    expect((await json(`${b.base}/health`)).status).toBe('degraded');
    await sending;
    const duringOutage = guidance(onB).filter((g) => g.seq > after.at(-1)!.seq);
    expect(duringOutage.length).toBeGreaterThan(50); // B's own displays never lost their guidance
    await redis.start();
    for (let k = 0; k < 100; k++) {
      const health = await json(`${b.base}/health`);
      if (health.status === 'ok' && health.cluster.owned.includes('case-1')) break;
      await pause(50);
    }
    const health = await json(`${b.base}/health`);
    expect(health.status).toBe('ok');
    expect(health.cluster.owned).toContain('case-1');
    await feed.send(100);
    await pause(300);
    expect(guidance(onB).at(-1)!.seq).toBe(feed.seq - 1);
    // Nothing wrong was shown: every guidance B's display got is for a sample the feed sent, in order.
    const seqs = guidance(onB).map((g) => g.seq);
    for (let k = 1; k < seqs.length; k++) expect(seqs[k]!).toBeGreaterThanOrEqual(seqs[k - 1]!);
    feed.socket?.close();
    displayB.close();

    // kill -9 B too, and start a plain instance (no Redis) on B's recordings: it resumes the procedure
    // from B's recording alone, which begins at the checkpoint: the registration comes back with it
    // (it was made before the checkpoint, so no input in B's recording holds it). Without B's
    // checkpoints beside it, the resume runs from that starting state through every recorded input.
    await b.kill();
    for (const f of readdirSync(dirs[1]!)) if (f.endsWith('.ckpt')) rmSync(join(dirs[1]!, f));
    const c = await startServerChild(dirs[1]!);
    try {
      let back: any = null;
      for (let k = 0; k < 100 && !back; k++) {
        const list = await json(`${c.base}/api/procedures`);
        back = (Array.isArray(list) ? list : list.procedures ?? []).find((p: { id: string }) => p.id === 'case-1') ?? null;
        if (!back) await pause(50);
      }
      expect(back?.id).toBe('case-1');
      expect((await json(`${c.base}/api/procedures/case-1`)).registration.state).toBe('landmarks');
    } finally {
      await c.kill();
    }
  }, 90_000);
});
