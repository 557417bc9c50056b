// The live procedures: creation (with its recording), lookup, end, and the configured limit.

import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TwinguideError, type CreateProcedureRequest, type Limits } from '../../protocol/index.ts';
import type { Broadcaster } from '../broadcast.ts';
import type { PipelineInput } from '../pipeline/flow.ts';
import { decodeStartState, encodeStartState, readCheckpoint, readSegmentTail, type Checkpoint } from '../recording/checkpoints.ts';
import { MAX_SEGMENTS, ProcedureRecorder, loadRecording, loadSegment, type RecordingMeta } from '../recording/procedure-recording.ts';
import { metaOf, type UnfinishedRecording } from '../recording/unfinished-recordings.ts';
import { resolveLead } from '../lead/lead-catalogue.ts';
import { Procedure, type ProcedureHooks } from './procedure.ts';
import { metaOf as clusterMeta, type Cluster, type ProcedureMeta } from '../cluster/cluster.ts';
import type { RemoteProcedure } from '../cluster/remote-procedure.ts';
import type { TwinStore } from './twin-store.ts';

export class ProcedureRegistry {
  private readonly procedures = new Map<string, Procedure>();
  private counter = 0;
  /** Set when this instance is one of several on Redis. */
  cluster: Cluster | null = null;

  constructor(
    private readonly twins: TwinStore,
    private readonly broadcaster: Broadcaster,
    private readonly limits: Limits,
    private readonly recordingsDir: string | null,
    private readonly version: string,
    private readonly hooks: ProcedureHooks = {},
  ) {
    if (recordingsDir) mkdirSync(recordingsDir, { recursive: true });
  }

  create(request: CreateProcedureRequest, id?: string): Procedure {
    if (this.procedures.size >= this.limits.maxProcedures) throw new TwinguideError('TG_ERR_LIMIT', `${this.limits.maxProcedures} procedures are running (the limit)`);
    const twin = this.twins.get(request.twinId);
    const lead = resolveLead(request.lead); // refused (TG_ERR_LEAD) before anything is created
    // (With several instances the instance's own id is in it: two instances may name one in the same millisecond.)
    const procedureId = id ?? `p${Date.now().toString(36)}${(++this.counter).toString(36)}${this.cluster ? this.cluster.instance.slice(0, 4) : ''}`;
    if (this.procedures.has(procedureId)) throw new TwinguideError('TG_ERR_BAD_REQUEST', `procedure '${procedureId}' exists`);
    const startedAt = new Date().toISOString();
    // At the recordings count limit the procedure still runs (guidance matters more), unrecorded.
    const full = this.recordingsDir !== null && readdirSync(this.recordingsDir).filter((f) => f.endsWith('.mcap')).length >= this.limits.maxRecordings;
    const recorder = full ? null : this.recorderFor({ procedureId, twinId: twin.meta.id, source: request.source, startedAt, ...(request.igtlDevice ? { igtlDevice: request.igtlDevice } : {}), segment: 1 });
    const procedure = new Procedure(procedureId, twin, request.source, this.broadcaster, recorder, request.igtlDevice, this.limits, this.hooks);
    procedure.createdAt = startedAt;
    if (full) procedure.unrecordedBecause = `the recordings directory holds ${this.limits.maxRecordings} recordings (the limit); this procedure is not recorded`;
    this.procedures.set(procedureId, procedure);
    if (this.cluster) void this.cluster.adopt(procedure, clusterMeta(procedure));
    procedure.setLead(lead.model === 'custom' ? request.lead : { model: lead.model, ...(request.lead?.name ? { name: request.lead.name } : {}) });
    return procedure;
  }

  /**
   * Another instance's procedure, taken over (cluster): rebuilt from its durable log (after its
   * newest checkpoint, when there is one) through a fresh pipeline; this instance's recording holds
   * the inputs it was rebuilt from, so it starts at that checkpoint (see the README).
   */
  async rebuild(meta: ProcedureMeta, inputs: readonly PipelineInput[], checkpoint: Parameters<Procedure['restoreCheckpoint']>[0] | null = null): Promise<Procedure> {
    const existing = this.procedures.get(meta.id);
    if (existing) { existing.onInput = null; this.procedures.delete(meta.id); existing.end(); }
    const twin = this.twins.get(meta.twinId);
    // This instance's recording starts here: from the checkpoint, which it carries so that it replays
    // (and resumes after a crash of this instance) on its own.
    const recorder = this.recorderFor({ procedureId: meta.id, twinId: twin.meta.id, source: meta.source, startedAt: meta.createdAt, ...(meta.igtlDevice ? { igtlDevice: meta.igtlDevice } : {}), segment: 1, resumedAt: new Date().toISOString(), ...(checkpoint ? { startState: encodeStartState(checkpoint) } : {}) });
    const procedure = new Procedure(meta.id, twin, meta.source, this.broadcaster, recorder, meta.igtlDevice, this.limits, this.hooks);
    procedure.createdAt = meta.createdAt;
    if (checkpoint) procedure.restoreCheckpoint(checkpoint);
    await procedure.restore(inputs, 0, 500, true); // small slices: this instance's other procedures and leases go on meanwhile
    this.procedures.set(meta.id, procedure);
    return procedure;
  }

  /** For a display or a feed: this instance's procedure, or (cluster) another instance's as seen from here. */
  async endpoint(id: string): Promise<Procedure | RemoteProcedure> {
    const p = this.procedures.get(id);
    if (p) return p;
    const remote = await this.cluster?.remoteProcedure(id);
    if (remote) return remote;
    throw new TwinguideError('TG_ERR_NOT_FOUND', `no procedure '${id}'`);
  }

  /** Let go of a procedure another instance now owns (its lease moved on): ended here, nothing released. */
  drop(id: string): void {
    const p = this.procedures.get(id);
    if (!p) return;
    this.procedures.delete(id);
    p.end();
  }

  /**
   * Bring back a procedure whose recording has no clean end (the server died): the same id, twin,
   * source and OpenIGTLink device, its state rebuilt by running every recorded input (all its
   * segments) through a fresh pipeline. It records on in a new segment that names the one before.
   */
  async resume(unfinished: UnfinishedRecording): Promise<Procedure> {
    const started = performance.now();
    const meta = unfinished.meta;
    if (this.procedures.has(meta.procedureId)) throw new TwinguideError('TG_ERR_BAD_REQUEST', `procedure '${meta.procedureId}' exists`);
    const twin = this.twins.get(meta.twinId);
    if (meta.source !== 'eam' && meta.source !== 'fluoro') throw new TwinguideError('TG_ERR_RECORDING', `'${unfinished.path}': unknown source '${meta.source}'`);
    const build = (): Procedure => {
      // (A segment after the first starts where the one before ended: no starting state of its own.)
      const { startState: _first, ...rest } = meta;
      const recorder = this.recorderFor({ ...rest, segment: (meta.segment ?? 1) + 1, previousSegment: basename(unfinished.path), resumedAt: new Date().toISOString() });
      const p = new Procedure(meta.procedureId, twin, meta.source as 'eam' | 'fluoro', this.broadcaster, recorder, meta.igtlDevice, this.limits, this.hooks);
      p.createdAt = meta.startedAt;
      return p;
    };
    // From the newest checkpoint and the inputs after it; from every recorded input when there is
    // none or it cannot be used (the result is the same, only slower).
    let procedure: Procedure | null = null;
    let info: { segments: number; inputs: number; fromCheckpoint: boolean } | null = null;
    try {
      const fast = await this.checkpointedInputs(unfinished.path);
      if (fast) {
        procedure = build();
        procedure.restoreCheckpoint(fast.checkpoint);
        await procedure.restore(fast.inputs, fast.recordedOutputs);
        info = { segments: fast.segments, inputs: fast.inputs.length, fromCheckpoint: true };
      }
    } catch (e) {
      procedure?.recorder?.discard();
      procedure?.end();
      procedure = null;
      this.hooks.onFault?.(meta.procedureId, 'resume.checkpoint', e);
    }
    if (!procedure) {
      const recording = await loadRecording(unfinished.path);
      procedure = build();
      try {
        if (recording.startState) procedure.restoreCheckpoint(decodeStartState(recording.startState));
        await procedure.restore(recording.inputs, recording.outputs.length);
      } catch (e) {
        procedure.end();
        throw e;
      }
      info = { segments: recording.segments?.length ?? 1, inputs: recording.inputs.length, fromCheckpoint: false };
    }
    // Created meanwhile under the same id (a client did not wait): that one stays, this one ends.
    if (this.procedures.has(meta.procedureId)) {
      procedure.end();
      throw new TwinguideError('TG_ERR_BAD_REQUEST', `procedure '${meta.procedureId}' was created again while it was being resumed`);
    }
    this.procedures.set(meta.procedureId, procedure);
    procedure.announceResumed({ at: new Date().toISOString(), ...info!, ms: performance.now() - started });
    return procedure;
  }

  /**
   * The newest checkpoint in the procedure's segment chain (newest segment first), with the inputs
   * recorded after it (the rest of its segment, then every later segment) and how many display
   * messages were recorded after it. Null when no segment has a checkpoint.
   */
  private async checkpointedInputs(newest: string): Promise<{ checkpoint: Checkpoint; inputs: PipelineInput[]; recordedOutputs: number; segments: number } | null> {
    const chain: string[] = [newest];
    for (let meta = metaOf(newest); meta?.previousSegment && chain.length < MAX_SEGMENTS; ) {
      const previous = join(dirname(newest), basename(meta.previousSegment));
      chain.unshift(previous);
      meta = metaOf(previous);
    }
    for (let j = chain.length - 1; j >= 0; j--) {
      const checkpoint = readCheckpoint(chain[j]!);
      if (!checkpoint) continue;
      const tail = readSegmentTail(chain[j]!, checkpoint.headBytes, checkpoint.segmentBytes);
      const inputs = [...tail.inputs];
      let recordedOutputs = tail.outputs.length;
      for (const later of chain.slice(j + 1)) {
        const segment = await loadSegment(later);
        inputs.push(...segment.inputs);
        recordedOutputs += segment.outputs.length;
      }
      return { checkpoint, inputs, recordedOutputs, segments: chain.length };
    }
    return null;
  }

  /** A new recording segment in the recordings directory (none without one), never over an old file. */
  private recorderFor(meta: Omit<RecordingMeta, 'twinguideVersion'>): ProcedureRecorder | null {
    if (!this.recordingsDir) return null;
    return new ProcedureRecorder(freshRecordingPath(this.recordingsDir, meta.procedureId), { ...meta, twinguideVersion: this.version }, { flushEveryMs: 50, maxBytes: this.limits.maxRecordingBytes });
  }

  /** This instance runs it. */
  has(id: string): boolean {
    return this.procedures.has(id);
  }

  get(id: string): Procedure {
    const p = this.procedures.get(id);
    if (!p) throw new TwinguideError('TG_ERR_NOT_FOUND', `no procedure '${id}'`);
    return p;
  }

  list(): Procedure[] {
    return [...this.procedures.values()];
  }

  end(id: string): Procedure {
    const p = this.get(id);
    this.procedures.delete(id);
    if (this.cluster) void this.cluster.release(id);
    try {
      p.end();
    } catch (e) {
      p.fault('end', e); // it is ended for good all the same
    }
    return p;
  }

  /** Shutdown. One of several instances hands its procedures over instead: another takes them at once. */
  async endAll(): Promise<void> {
    for (const id of [...this.procedures.keys()]) {
      if (this.cluster?.owns(id)) {
        const p = this.procedures.get(id)!;
        p.onInput = null;
        await this.cluster.handOver(id);
        this.procedures.delete(id);
        try { p.end(); } catch (e) { p.fault('end', e); }
      } else this.end(id);
    }
  }
}

/**
 * `<id>.mcap`, or `<id>-2.mcap`, `<id>-3.mcap`, … when a procedure of the same id was recorded
 * before (the demo procedure is `demo` on every start): a recording is never overwritten.
 */
export function freshRecordingPath(dir: string, procedureId: string): string {
  let path = join(dir, `${procedureId}.mcap`);
  for (let k = 2; existsSync(path); k++) path = join(dir, `${procedureId}-${k}.mcap`);
  return path;
}
