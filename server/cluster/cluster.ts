// Many instances on one Redis. Every instance accepts feeds, displays and REST calls for every
// procedure; one at a time owns a procedure's pipeline, holding a lease it renews. In Redis, per
// procedure:
//   tg:proc:{id}    what it is (twin, source, device), in the set tg:procs
//   tg:lease:{id}   the owner's instance id, expiring LEASE_MS after its last renewal
//   tg:log:{id}     stream: every pipeline input the owner ran, in order (entry ids 0-1, 0-2, …:
//                   the input's number) — the durable log a new owner rebuilds the pipeline from
//                   (it is deterministic)
//   tg:ckpt:{id}    the pipeline's state after input n (every checkpointEveryInputs, as on disk);
//                   the log before it is trimmed, so a takeover runs at most that many inputs
//   tg:in:{id}      stream: feed messages that reached another instance, for the owner
//   tg:inpos:{id}   how far the owner has taken tg:in
//   tg:out:{id}     stream: every message for the displays (capped), relayed by each instance to
//                   its own WebSocket and socket.io displays; a stream, not pub/sub, so an instance
//                   that lost Redis for a moment resumes where it was instead of losing messages
//   tg:snap:{id}    the owner's latest snapshot, for a display joining on another instance
// REST calls for a procedure owned elsewhere are forwarded to its owner (pub/sub tg:rpc:{owner})
// and answered as the owner answers them. When the owner dies its lease runs out; another
// instance takes it (checked every TAKEOVER_EVERY_MS), rebuilds the procedure from the log and
// carries on from where the input stream was taken. When Redis is away, each instance keeps
// serving what it owns locally, holds the log entries Redis has not taken (up to a bound), and
// says so in /health and to the displays of procedures it cannot reach.

import { randomUUID } from 'node:crypto';
import { deserialize, serialize } from 'node:v8';
import type { FastifyInstance } from 'fastify';
import { decodeFrame, encodeMessage, type DisplayMessage, type FeedMessage, type Snapshot } from '../../protocol/index.ts';
import type { Broadcaster, InProcessBroadcaster } from '../broadcast.ts';
import { encodedOnce, rememberEncoding } from '../encoded-once.ts';
import type { PipelineInput } from '../pipeline/flow.ts';
import type { Procedure } from '../procedures/procedure.ts';
import type { ProcedureRegistry } from '../procedures/procedure-registry.ts';
import { loadRecording } from '../recording/procedure-recording.ts';
import { LeaseKeeper } from './lease-keeper.ts';
import { RedisLink } from './redis-link.ts';
import { RemoteProcedure } from './remote-procedure.ts';
import { spreadOffset } from '../spread-interval.ts';

export const LEASE_MS = 700;
const RENEW_EVERY_MS = 200;
const TAKEOVER_EVERY_MS = 100;
const SNAPSHOT_EVERY_MS = 200;
const OUT_MAXLEN = 2000;
const FORWARD_TIMEOUT_MS = 3000;
/** Log entries held while Redis is away; beyond, the oldest are dropped (and counted). */
const MAX_HELD_LOG = 200_000;

export interface ProcedureMeta {
  id: string;
  twinId: string;
  source: 'eam' | 'fluoro';
  igtlDevice?: string;
  createdAt: string;
}

export interface ClusterStatus {
  instance: string;
  redis: 'up' | 'down';
  url: string;
  owned: string[];
  relayed: string[];
  takeovers: number;
  heldLogEntries: number;
  droppedLogEntries: number;
}

export class Cluster {
  readonly instance = randomUUID().slice(0, 8);
  readonly link: RedisLink;
  /** Renews this instance's leases on its own thread. */
  private readonly leases: LeaseKeeper;
  private readonly owned = new Set<string>();
  /** Procedures owned elsewhere that this instance relays to its displays or feeds into. */
  private readonly remote = new Map<string, { proc: RemoteProcedure; lastOut: string; users: number }>();
  /** The input stream position of each owned procedure. */
  private readonly inPos = new Map<string, string>();
  private readonly pendingSnapshots = new Set<string>();
  /** Log entries Redis has not taken yet: procedure, entry id, input. */
  private heldLog: [string, string, string][] = [];
  /** The number of the last input logged, per owned procedure (its log entry id is 0-n). */
  private readonly logN = new Map<string, number>();
  /** Each owned procedure's checkpoint phase in its log (spreadOffset), drawn once. */
  private readonly checkpointOffset = new Map<string, number>();
  private droppedLog = 0;
  private takeovers = 0;
  private readonly timers: ReturnType<typeof setInterval>[] = [];
  private closed = false;
  private readonly replies = new Map<string, (reply: ForwardReply) => void>();
  private app: FastifyInstance | null = null;
  private readonly takingOver = new Set<string>();

  constructor(url: string, private readonly registry: ProcedureRegistry, private readonly local: InProcessBroadcaster, private readonly log: (msg: string, extra?: object) => void, private readonly checkpointEvery = 3000) {
    this.link = new RedisLink(url);
    this.link.onChange((up) => this.redisChanged(up));
    this.leases = new LeaseKeeper(url, this.instance, LEASE_MS, RENEW_EVERY_MS, (id) => void this.leaseLost(id));
  }

  /** The broadcaster procedures publish to: this instance's displays, and the out stream for the others. */
  broadcaster(): Broadcaster {
    return {
      publish: (id, message) => {
        this.local.publish(id, message);
        if (this.owned.has(id)) this.publishOut(id, message);
      },
      subscribe: (id, listener) => this.local.subscribe(id, listener),
    };
  }

  async start(app: FastifyInstance): Promise<void> {
    this.app = app;
    // Redis away at start: serve anyway (what this instance owns works locally); it connects when it can.
    await this.link.ready().catch((e: Error) => this.log(e.message));
    await this.link.sub.subscribe(`tg:rpc:${this.instance}`, `tg:reply:${this.instance}`);
    this.link.sub.on('messageBuffer', (channel: Buffer, data: Buffer) => void this.onRpc(channel.toString(), data));
    this.timers.push(setInterval(() => void this.takeOverOrphans(), TAKEOVER_EVERY_MS), setInterval(() => void this.flushSnapshots(), SNAPSHOT_EVERY_MS));
    for (const t of this.timers) t.unref();
    void this.readLoop();
  }

  status(): ClusterStatus {
    return { instance: this.instance, redis: this.link.up ? 'up' : 'down', url: this.link.url.replace(/\/\/[^@]*@/, '//***@'), owned: [...this.owned], relayed: [...this.remote.keys()], takeovers: this.takeovers, heldLogEntries: this.heldLog.length, droppedLogEntries: this.droppedLog };
  }

  owns(id: string): boolean {
    return this.owned.has(id);
  }

  // ---- owner side ----------------------------------------------------------------------------

  /** A procedure this instance created (or took over): lease, directory, hooks. */
  async adopt(procedure: Procedure, meta: ProcedureMeta, alreadyLeased = false): Promise<void> {
    const id = procedure.id;
    this.owned.add(id);
    this.leases.own(id);
    procedure.onInput = (_input, json) => this.appendLog(id, json);
    const c = this.link.cmd;
    if (!alreadyLeased) await c.set(`tg:lease:${id}`, this.instance, 'PX', LEASE_MS).catch(() => undefined);
    await c.multi().set(`tg:proc:${id}`, JSON.stringify(meta)).sadd('tg:procs', id).exec().catch(() => undefined);
    this.pendingSnapshots.add(id);
  }

  /** Ended for good (DELETE): every key of it goes. */
  async release(id: string): Promise<void> {
    if (!this.owned.delete(id)) return;
    this.leases.release(id);
    this.inPos.delete(id);
    this.logN.delete(id);
    this.checkpointOffset.delete(id);
    await this.link.cmd.multi().srem('tg:procs', id).del(`tg:proc:${id}`, `tg:lease:${id}`, `tg:log:${id}`, `tg:ckpt:${id}`, `tg:in:${id}`, `tg:inpos:${id}`, `tg:snap:${id}`).exec().catch(() => undefined);
    // The out stream stays a moment so other instances relay the last messages; it expires.
    await this.link.cmd.pexpire(`tg:out:${id}`, 10_000).catch(() => undefined);
  }

  /** This instance stops (a clean shutdown): another takes its procedures at once, nothing is ended. */
  async handOver(id: string): Promise<void> {
    if (!this.owned.delete(id)) return;
    this.leases.release(id);
    await this.flushSnapshots();
    await this.link.cmd.eval("if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end", 1, `tg:lease:${id}`, this.instance).catch(() => undefined);
  }

  private appendLog(id: string, json: string): void {
    const n = (this.logN.get(id) ?? 0) + 1;
    this.logN.set(id, n);
    const entry: [string, string, string] = [id, `0-${n}`, json];
    if (!this.link.up || this.heldLog.length > 0) {
      this.heldLog.push(entry);
      if (this.heldLog.length > MAX_HELD_LOG) { this.heldLog.shift(); this.droppedLog++; }
      return;
    }
    this.link.cmd.xadd(`tg:log:${id}`, entry[1], 'i', entry[2]).catch(() => undefined);
    // Every checkpointEvery inputs, at a phase of its own per procedure (procedures fed together would all capture at once).
    let offset = this.checkpointOffset.get(id);
    if (offset === undefined) this.checkpointOffset.set(id, (offset = spreadOffset(id, this.checkpointEvery)));
    if ((n + offset) % this.checkpointEvery === 0) this.checkpointDue.add(id);
    if (this.checkpointDue.has(id)) this.checkpoint(id, n);
  }

  private readonly checkpointDue = new Set<string>();

  /** The pipeline's state after input n, and the log before it trimmed (tried again at the next input while a model run is in flight). */
  private checkpoint(id: string, n: number): void {
    let capture;
    try { capture = this.registry.get(id).captureCheckpoint(); } catch { this.checkpointDue.delete(id); return; }
    if (!capture) return;
    this.checkpointDue.delete(id);
    this.link.cmd.multi().set(`tg:ckpt:${id}`, serialize({ n, ...capture })).xtrim(`tg:log:${id}`, 'MINID', `0-${n + 1}`).exec().catch(() => undefined);
  }

  private publishOut(id: string, message: DisplayMessage): void {
    this.pendingSnapshots.add(id); // written at most every SNAPSHOT_EVERY_MS
    if (!this.link.up) return; // the displays of other instances are told Redis is away; they get the snapshot back
    const bytes = encodedOnce(message); // the same bytes this instance's displays get
    this.link.cmd.xadd(`tg:out:${id}`, 'MAXLEN', '~', OUT_MAXLEN, '*', 'm', Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)).catch(() => undefined);
  }

  private async flushSnapshots(): Promise<void> {
    if (!this.link.up || this.pendingSnapshots.size === 0) return;
    const ids = [...this.pendingSnapshots];
    this.pendingSnapshots.clear();
    const m = this.link.cmd.multi();
    for (const id of ids) {
      if (!this.owned.has(id)) continue;
      try { m.set(`tg:snap:${id}`, JSON.stringify(this.registry.get(id).snapshot())); } catch { /* ended meanwhile */ }
    }
    await m.exec().catch(() => undefined);
  }

  /**
   * The lease keeper found a lease no longer this instance's: Redis forgot it (a restart: take it
   * again and write the procedure's directory entry and log again) or another instance holds it
   * (let the procedure go).
   */
  private async leaseLost(id: string): Promise<void> {
    if (!this.owned.has(id) || this.closed) return;
    const again = await this.link.cmd.set(`tg:lease:${id}`, this.instance, 'PX', LEASE_MS, 'NX').catch(() => null);
    if (again === 'OK') {
      try {
        await this.adopt(this.registry.get(id), metaOf(this.registry.get(id)), true);
        await this.reseedLog(id);
      } catch (e) { this.log(`procedure ${id}: could not be written to Redis again: ${(e as Error).message}`); }
      return;
    }
    if (again === null) return; // Redis away: tried again at the next renewal
    this.log(`procedure ${id}: another instance holds its lease now; this instance lets it go`);
    this.letGo(id);
  }

  /** Another instance owns it now: end it here, and relay it to this instance's displays and feeds instead. */
  private letGo(id: string): void {
    this.owned.delete(id);
    this.leases.release(id);
    this.logN.delete(id);
    this.checkpointOffset.delete(id);
    this.inPos.delete(id);
    try { this.registry.get(id).onInput = null; } catch { /* gone */ }
    this.registry.drop(id);
    if (this.local.subscribers(id) > 0) void this.remoteProcedure(id);
  }

  /**
   * Redis came back without this procedure's log (restarted empty): the log must again hold every
   * input from the start for a takeover to rebuild the same state, so write them again from the
   * procedure's own recording.
   */
  private async reseedLog(id: string): Promise<void> {
    const p = this.registry.get(id);
    const len = await this.link.cmd.xlen(`tg:log:${id}`).catch(() => -1);
    if (len !== 0 || !p.recorder) return;
    p.recorder.flush();
    const recording = await loadRecording(p.recorder.path);
    const held = this.heldLog.filter(([k]) => k === id).length;
    if (!recording.inputs.length) return;
    // The recording holds what the held entries hold too: write the recording's, then drop those held.
    this.heldLog = this.heldLog.filter(([k]) => k !== id);
    const m = this.link.cmd.pipeline();
    m.del(`tg:ckpt:${id}`);
    recording.inputs.forEach((input, k) => m.xadd(`tg:log:${id}`, `0-${k + 1}`, 'i', JSON.stringify(input)));
    this.logN.set(id, recording.inputs.length);
    await m.exec();
    this.log(`procedure ${id}: Redis had lost its log; ${recording.inputs.length} inputs written again from the recording (${held} were held)`);
  }

  private async redisChanged(up: boolean): Promise<void> {
    this.log(`Redis ${up ? 'answers again' : 'is away'} (${this.link.url})`);
    for (const [id, r] of this.remote) {
      this.local.publish(id, { type: 'event', procedureId: id, kind: up ? 'cluster.up' : 'cluster.down', message: up ? 'the link to the instance guiding this procedure is back' : 'the link to the instance guiding this procedure is lost (Redis is away); no live guidance here until it is back' });
      if (up) {
        // What was missed while away: the latest snapshot first.
        const snap = await this.link.cmd.get(`tg:snap:${id}`).catch(() => null);
        if (snap) { const s = JSON.parse(snap) as Snapshot; r.proc.apply(s); this.local.publish(id, s); }
      }
    }
    if (!up) return;
    // Write what was held, in order.
    const held = this.heldLog;
    this.heldLog = [];
    const m = this.link.cmd.pipeline();
    for (const [id, entryId, input] of held) m.xadd(`tg:log:${id}`, entryId, 'i', input);
    await m.exec().catch(() => { this.heldLog = held.concat(this.heldLog); });
    for (const id of this.owned) this.pendingSnapshots.add(id);
  }

  /** Procedures whose owner's lease ran out: take one, rebuild it from its log, carry on. */
  private async takeOverOrphans(): Promise<void> {
    if (!this.link.up || this.closed || this.takingOver.size > 0) return;
    let ids: string[];
    try { ids = await this.link.cmd.smembers('tg:procs'); } catch { return; }
    for (const id of ids) {
      if (this.owned.has(id) || this.takingOver.has(id)) continue;
      let got;
      try { got = await this.link.cmd.set(`tg:lease:${id}`, this.instance, 'PX', LEASE_MS, 'NX'); } catch { return; }
      if (got !== 'OK') continue;
      this.takingOver.add(id);
      try {
        await this.takeOver(id);
      } catch (e) {
        this.log(`procedure ${id}: takeover failed: ${(e as Error).message}`);
        await this.link.cmd.del(`tg:lease:${id}`).catch(() => undefined);
      } finally {
        this.takingOver.delete(id);
      }
      return; // one rebuild at a time: the leases this instance already holds are renewed meanwhile
    }
  }

  private async takeOver(id: string): Promise<void> {
    const started = performance.now();
    const raw = await this.link.cmd.get(`tg:proc:${id}`);
    if (!raw) { await this.link.cmd.multi().srem('tg:procs', id).del(`tg:lease:${id}`).exec(); return; }
    const meta = JSON.parse(raw) as ProcedureMeta;
    // From the newest checkpoint and the inputs logged after it (the log before it is trimmed).
    const saved = await this.link.cmd.getBuffer(`tg:ckpt:${id}`);
    const checkpoint = saved ? (deserialize(saved) as { n: number } & NonNullable<ReturnType<Procedure['captureCheckpoint']>>) : null;
    const inputs: PipelineInput[] = [];
    let lastN = checkpoint?.n ?? 0;
    for (let from = checkpoint ? `(0-${checkpoint.n}` : '-'; ;) {
      const batch = await this.link.cmd.xrange(`tg:log:${id}`, from, '+', 'COUNT', 20_000);
      for (const [entryId, fields] of batch) { inputs.push(JSON.parse(fields[1]!) as PipelineInput); lastN = Number(entryId.split('-')[1]); }
      if (batch.length < 20_000) break;
      from = `(${batch[batch.length - 1]![0]}`;
    }
    // Keep the lease while rebuilding.
    this.leases.own(id);
    try {
      const remote = this.remote.get(id);
      if (checkpoint) checkpoint.state = Buffer.from(checkpoint.state);
      const procedure = await this.registry.rebuild(meta, inputs, checkpoint);
      this.logN.set(id, lastN);
      this.inPos.set(id, (await this.link.cmd.get(`tg:inpos:${id}`)) ?? '0-0');
      await this.adopt(procedure, meta, true);
      if (remote) this.remote.delete(id); // this instance's displays now get it directly
      this.takeovers++;
      const ms = performance.now() - started;
      procedure.announceResumed({ at: new Date().toISOString(), segments: 1, inputs: inputs.length, fromCheckpoint: checkpoint !== null, ms });
      this.log(`procedure ${id}: taken over (its owner's lease ran out), ${checkpoint ? `from a checkpoint and the ${inputs.length} inputs after it` : `${inputs.length} inputs`} in ${ms.toFixed(0)} ms`);
    } catch (e) {
      this.leases.release(id);
      throw e;
    }
  }

  // ---- every instance: feeds, displays, reading the streams ----------------------------------

  /** A procedure this instance does not own, for a display or a feed here; null when no instance has it. */
  async remoteProcedure(id: string): Promise<RemoteProcedure | null> {
    const known = this.remote.get(id);
    if (known) return known.proc;
    if (!this.link.up) return null;
    const [meta, snap] = await Promise.all([this.link.cmd.get(`tg:proc:${id}`), this.link.cmd.get(`tg:snap:${id}`)]);
    if (!meta || !snap) return null;
    const proc = new RemoteProcedure(id, JSON.parse(snap) as Snapshot, (message) => this.forwardFeed(id, message));
    // Relay from now on (what came before is in the snapshot).
    this.remote.set(id, { proc, lastOut: '$', users: 0 });
    const last = await this.link.cmd.xrevrange(`tg:out:${id}`, '+', '-', 'COUNT', 1).catch(() => []);
    this.remote.get(id)!.lastOut = last[0]?.[0] ?? '0-0';
    return proc;
  }

  private forwardFeed(id: string, message: FeedMessage | null): void {
    const body = message ? Buffer.from(encodeMessage(message)) : Buffer.from('closed');
    this.link.cmd.xadd(`tg:in:${id}`, 'MAXLEN', '~', 100_000, '*', message ? 'f' : 'c', body).catch(() => this.remote.get(id)?.proc.fault('TG_ERR_CLUSTER'));
  }

  /** One blocking reader: the input streams of what this instance owns, the out streams it relays. */
  private async readLoop(): Promise<void> {
    while (!this.closed) {
      const keys: string[] = [];
      const ids: string[] = [];
      for (const id of this.owned) { keys.push(`tg:in:${id}`); ids.push(this.inPos.get(id) ?? '0-0'); }
      for (const [id, r] of this.remote) { keys.push(`tg:out:${id}`); ids.push(r.lastOut); }
      if (keys.length === 0 || !this.link.up) { await new Promise((r) => setTimeout(r, 50)); continue; }
      let result: [Buffer, [Buffer, Buffer[]][]][] | null;
      try {
        result = (await this.link.reader.xreadBuffer('COUNT', 500, 'BLOCK', 100, 'STREAMS', ...keys, ...ids)) as [Buffer, [Buffer, Buffer[]][]][] | null;
      } catch {
        await new Promise((r) => setTimeout(r, 50));
        continue;
      }
      for (const [keyBuf, entries] of result ?? []) {
        const key = keyBuf.toString();
        if (key.startsWith('tg:in:')) this.takeInputs(key.slice(6), entries);
        else this.relay(key.slice(7), entries);
      }
    }
  }

  private takeInputs(id: string, entries: [Buffer, Buffer[]][]): void {
    let procedure: Procedure;
    try { procedure = this.registry.get(id); } catch { return; }
    for (const [entryId, fields] of entries) {
      this.inPos.set(id, entryId.toString());
      const kind = fields[0]!.toString();
      try {
        if (kind === 'c') procedure.feedClosed();
        else procedure.ingest(decodeFrame(fields[1]!) as FeedMessage);
      } catch { /* refused and counted by the procedure, as from a local feed */ }
    }
    void this.link.cmd.set(`tg:inpos:${id}`, this.inPos.get(id)!).catch(() => undefined);
  }

  private relay(id: string, entries: [Buffer, Buffer[]][]): void {
    const r = this.remote.get(id);
    if (!r) return;
    for (const [entryId, fields] of entries) {
      r.lastOut = entryId.toString();
      let message: DisplayMessage;
      try { message = decodeFrame(fields[1]!) as DisplayMessage; } catch { continue; }
      rememberEncoding(message, fields[1]!);
      r.proc.apply(message);
      this.local.publish(id, message);
    }
  }

  // ---- REST calls for a procedure owned elsewhere -----------------------------------------------

  /** Forward an HTTP request to the instance owning `id`; null when no instance owns it. */
  async forward(id: string, request: { method: string; url: string; headers: Record<string, string>; body: string | null }): Promise<ForwardReply | null> {
    if (!this.link.up) return null;
    const owner = await this.link.cmd.get(`tg:lease:${id}`).catch(() => null);
    if (!owner || owner === this.instance) return null;
    const corr = randomUUID();
    const reply = new Promise<ForwardReply>((resolve, reject) => {
      const timer = setTimeout(() => { this.replies.delete(corr); reject(new Error(`instance ${owner} did not answer within ${FORWARD_TIMEOUT_MS} ms`)); }, FORWARD_TIMEOUT_MS);
      this.replies.set(corr, (r) => { clearTimeout(timer); resolve(r); });
    });
    await this.link.cmd.publish(`tg:rpc:${owner}`, JSON.stringify({ corr, from: this.instance, ...request }));
    return reply;
  }

  private async onRpc(channel: string, data: Buffer): Promise<void> {
    try {
      const m = JSON.parse(data.toString()) as { corr: string; from?: string; method?: string; url?: string; headers?: Record<string, string>; body?: string | null; status?: number; type?: string; payload?: string };
      if (channel.startsWith('tg:reply:')) {
        this.replies.get(m.corr)?.({ status: m.status!, type: m.type ?? 'application/json', payload: Buffer.from(m.payload ?? '', 'base64') });
        this.replies.delete(m.corr);
        return;
      }
      if (!this.app) return;
      const res = await this.app.inject({ method: m.method as 'GET', url: m.url!, headers: { ...(m.headers ?? {}), 'x-twinguide-forwarded': this.instance }, ...(m.body !== null && m.body !== undefined ? { payload: m.body } : {}) });
      await this.link.cmd.publish(`tg:reply:${m.from}`, JSON.stringify({ corr: m.corr, status: res.statusCode, type: String(res.headers['content-type'] ?? 'application/json'), payload: res.rawPayload.toString('base64') }));
    } catch (e) {
      this.log(`forwarded request failed: ${(e as Error).message}`);
    }
  }

  /** The procedures of every instance (this one's and the others'), as the directory has them. */
  async directory(): Promise<(ProcedureMeta & { owner: string | null })[]> {
    if (!this.link.up) return [];
    const ids = await this.link.cmd.smembers('tg:procs').catch(() => [] as string[]);
    if (ids.length === 0) return [];
    // Two round trips in all, not two per procedure.
    const [metas, owners] = await Promise.all([this.link.cmd.mget(ids.map((id) => `tg:proc:${id}`)), this.link.cmd.mget(ids.map((id) => `tg:lease:${id}`))]);
    const out: (ProcedureMeta & { owner: string | null })[] = [];
    metas.forEach((meta, k) => { if (meta) out.push({ ...(JSON.parse(meta) as ProcedureMeta), owner: owners[k] ?? null }); });
    return out;
  }

  /** The procedure (of any instance) an OpenIGTLink device name stands for: its igtlDevice, else its id. */
  async procedureIdForDevice(device: string): Promise<string | null> {
    const all = await this.directory();
    return (all.find((m) => m.igtlDevice === device) ?? all.find((m) => m.id === device))?.id ?? null;
  }

  /** Shutting down: take nothing over any more (what this instance hands over goes to the others). */
  stopTakingOver(): void {
    this.closed = true;
    for (const t of this.timers) clearInterval(t);
  }

  async close(): Promise<void> {
    this.stopTakingOver();
    await this.leases.stop();
    await this.link.close();
  }
}

export interface ForwardReply {
  status: number;
  type: string;
  payload: Buffer;
}

export function metaOf(p: Procedure): ProcedureMeta {
  return { id: p.id, twinId: p.twin.meta.id, source: p.source, ...(p.igtlDevice ? { igtlDevice: p.igtlDevice } : {}), createdAt: p.createdAt };
}
