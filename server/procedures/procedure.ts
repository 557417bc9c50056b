// One live procedure: its twin, its guidance pipeline, its registration, its recording, and what
// its displays are sent. The pipeline is pure; this is where wall-clock time enters: ticks carry
// "now" in source time (the last sample's time plus the wall time since it arrived) so that a feed
// that falls silent becomes stale and lost.

import { Subject, type Subscription } from 'rxjs';
import type { DisplayMessage, Exclusion, FeedKind, FeedMessage, FeedSample, FeedStatus, Guidance, LeadInfo, LeadSpec, Limits, Measurement, MeasurementRecord, MeasurementRequest, RegistrationRequest, Snapshot, TargetZoneInfo } from '../../protocol/index.ts';
import { DEFAULT_LIMITS, TwinguideError, checkMeasurementValues } from '../../protocol/index.ts';
import { resolveLead } from '../lead/lead-catalogue.ts';
import type { Broadcaster } from '../broadcast.ts';
import { describeFault, guarded } from '../faults.ts';
import { spreadInterval, spreadOffset, type SpreadInterval } from '../spread-interval.ts';
import type { PipelineInput } from '../pipeline/flow.ts';
import { CHECKPOINT_CLASSES } from '../pipeline/checkpoint-classes.ts';
import { applyState, captureState, sharedOfTwin } from '../pipeline/state-capture.ts';
import { CHECKPOINT_VERSION, writeCheckpoint, type Checkpoint, type StartState } from '../recording/checkpoints.ts';
import { checkpointedPipelineState, guidancePipeline } from '../pipeline/procedure-pipeline.ts';
import type { RegistrationOffset } from '../pipeline/registration-offset.ts';
import { NO_REGISTRATION, identityRegistration, refineRegistration, registerLandmarks, registrationInfo, type Registration } from '../pipeline/registration.ts';
import type { ProcedureRecorder } from '../recording/procedure-recording.ts';
import { zoneInfo } from '../pipeline/zone-exclusions.ts';
import type { Twin } from '../twin/twin.ts';
import type { Point3 } from '../geometry/rigid-fit.ts';
import { ArrivalTimes } from './arrival-times.ts';
import { FeedClock, REANCHOR_AFTER } from './feed-clock.ts';
import type { FeedSource } from './feed-source.ts';

/** What the server wants to hear from a procedure: latency and faults, for the metrics. */
export interface ProcedureHooks {
  onLatency?: ((seconds: number) => void) | null;
  onFault?: ((procedureId: string, where: string, error: unknown) => void) | null;
}

/**
 * For tests only: code run inside the procedure's own timer, so a test can prove that an exception
 * there fails this procedure alone (nothing in the product sets it).
 */
export interface ProcedureSeams {
  beforeTick?: () => void;
}

export const TICK_MS = 50;
/** Measurements a procedure keeps (a lab takes tens; this bounds a console gone wrong). */
export const MAX_MEASUREMENTS = 1000;

export interface ProcedureInfo {
  id: string;
  twinId: string;
  source: FeedKind;
  igtlDevice?: string;
  createdAt: string;
  resumed?: ResumeInfo;
  recording: string | null;
  recordingStopped?: string;
  feed: FeedStatus;
  /** learntOffsetMm: the registration's error the pipeline has learnt from the veins (registration-offset.ts), twin frame. */
  registration: ReturnType<typeof registrationInfo> & { learntOffsetMm?: [number, number, number] };
  samplesIn: number;
  guidanceOut: number;
  dropped: Record<string, number>;
  /** Feed messages refused at the edge (an implausible clock), by code. */
  refused: Record<string, number>;
  feedResets: number;
  faults?: Record<string, number>;
  failed?: string;
}

/** A procedure brought back after a crash: what its recording held and how long the rebuild took. */
export interface ResumeInfo {
  at: string;
  segments: number;
  /** Inputs run through the fresh pipeline: those after the checkpoint, or all of them. */
  inputs: number;
  fromCheckpoint: boolean;
  ms: number;
}

/** The twin's target zones as displays get them (once per twin: a snapshot is taken often with Redis). */
const zonesByTwin = new WeakMap<Twin, TargetZoneInfo[]>();
function twinZones(twin: Twin): TargetZoneInfo[] {
  let zones = zonesByTwin.get(twin);
  if (!zones) zonesByTwin.set(twin, (zones = twin.zones.map((z) => zoneInfo(twin, z))));
  return zones;
}


export class Procedure {
  createdAt = new Date().toISOString();
  /** Every stage's state, for checkpoints (with the counters and trail below kept in it). */
  private readonly checkpointed = checkpointedPipelineState();
  private readonly pipelineState = this.checkpointed.state;
  private sinceCheckpoint = 0;
  private checkpointEvery: number;
  /** The newest sample (or tick) time and sample seq pushed: a checkpoint carries them. */
  private newestT = -Infinity;
  private newestSeq = -1;
  /** Set when this procedure was rebuilt from its recording after the server died. */
  resumed: ResumeInfo | null = null;
  /** While the recorded inputs are run through the fresh pipeline: nothing is recorded or sent. */
  private restoring: { recordedOutputs: number; produced: number } | null = null;
  readonly counters = this.checkpointed.counters;
  readonly trail = this.checkpointed.trail;
  registration: Registration = NO_REGISTRATION;
  lastGuidance: Guidance | null = null;
  feed: FeedStatus = { state: 'lost', rateHz: 0 };
  private readonly inputs$ = new Subject<PipelineInput>();
  private readonly subscription: Subscription;
  private readonly ticker: SpreadInterval;
  private lastSample: { t: number; wallMs: number } | null = null;
  private ended = false;
  /** Ended (DELETE, shutdown, or with Redis: its lease moved to another instance). */
  get isEnded(): boolean {
    return this.ended;
  }
  private readonly clock: FeedClock;
  readonly seams: ProcedureSeams = {};
  /** Faults in this procedure's own code, by where they happened (the server carried on). */
  readonly faults: Record<string, number> = {};
  /** Set when the pipeline itself failed: the procedure refuses samples from then on, and says why. */
  failedBecause: string | null = null;
  /** Feed messages refused at the edge (implausible clock), by code. */
  readonly refused: Record<string, number> = {};

  /** Count what this procedure refused (by its code), then let it go on to the caller. */
  private refuse(e: unknown): never {
    const code = (e as TwinguideError).code ?? 'TG_ERR_INTERNAL';
    this.refused[code] = (this.refused[code] ?? 0) + 1;
    throw e;
  }
  /** The lead (null: none named, as in recordings made before leads). */
  lead: LeadInfo | null = null;
  /** Every measurement taken, in order, as the displays got them (at most MAX_MEASUREMENTS). */
  readonly measurements: MeasurementRecord[] = [];
  /** The usable zones and the stretches measurements ruled out (null: the twin's zones, nothing ruled out). */
  private zonesNow: { zones: TargetZoneInfo[]; exclusions: Exclusion[] } | null = null;

  constructor(
    readonly id: string,
    readonly twin: Twin,
    readonly source: FeedKind,
    private readonly broadcaster: Broadcaster,
    readonly recorder: ProcedureRecorder | null,
    readonly igtlDevice?: string,
    limits: Pick<Limits, 'maxFeedClockJumpS' | 'maxFeedClockStepBackS' | 'maxFeedRateHz'> & Partial<Pick<Limits, 'checkpointEveryInputs'>> = DEFAULT_LIMITS,
    private readonly hooks: ProcedureHooks = {},
  ) {
    this.clock = new FeedClock(limits);
    this.checkpointEvery = limits.checkpointEveryInputs ?? DEFAULT_LIMITS.checkpointEveryInputs;
    // The first checkpoint after a share of the interval drawn from the id (spread-interval.ts).
    this.sinceCheckpoint = spreadOffset(id, this.checkpointEvery);
    this.onLatency = hooks.onLatency ?? null;
    const report = (where: string, e: unknown): void => this.fault(where, e);
    this.subscription = this.inputs$.pipe(guidancePipeline(twin, { procedureId: id, counters: this.counters, trail: this.trail, state: this.pipelineState })).subscribe({
      // A throw inside an RxJS next handler would be rethrown from a timer (process-wide): keep it here.
      next: guarded('deliver', report, (message: DisplayMessage) => this.deliver(message)),
      // The pipeline does not throw by design; if it ever does, this procedure fails, visibly, alone.
      error: (e: unknown) => this.failPipeline(e),
    });
    this.ticker = spreadInterval(guarded('tick', report, () => this.tick()), TICK_MS);
  }

  /**
   * Something in this procedure's own code threw: count it, say it on its displays and in its
   * recording, and carry on (the server and every other procedure are not affected).
   */
  fault(where: string, error: unknown): void {
    this.faults[where] = (this.faults[where] ?? 0) + 1;
    const message = `${where}: ${describeFault(error)}`;
    try { this.hooks.onFault?.(this.id, where, error); } catch { /* metrics must not fail the report */ }
    try { this.recorder?.event('procedure.fault', message, this.now()); } catch { /* the recorder may be what failed */ }
    try {
      this.broadcaster.publish(this.id, { type: 'event', procedureId: this.id, kind: 'procedure.fault', message: `${message.slice(0, 1900)}; this procedure carries on`, code: 'TG_ERR_PROCEDURE_FAULT' });
    } catch { /* a display's failure is its own */ }
  }

  private failPipeline(error: unknown): void {
    this.failedBecause = `guidance pipeline failed: ${describeFault(error)}`;
    this.fault('pipeline', error);
    try {
      this.broadcaster.publish(this.id, { type: 'event', procedureId: this.id, kind: 'pipeline.failed', message: `${this.failedBecause.slice(0, 1900)}; no more guidance for this procedure`, code: 'TG_ERR_PROCEDURE_FAULT' });
    } catch { /* as above */ }
  }

  private now(): bigint {
    return BigInt(Date.now()) * 1_000_000n;
  }

  /** Told every input (and its JSON text) as it enters the pipeline (a cluster appends it to the procedure's durable log). */
  onInput: ((input: PipelineInput, json: string) => void) | null = null;

  private push(input: PipelineInput): void {
    if (this.ended) return;
    // One JSON text of the input for the recording and (with Redis) the durable log.
    const json = (this.recorder && !this.recorder.stopped) || this.onInput ? JSON.stringify(input) : undefined;
    this.recorder?.input(input, this.now(), json);
    if (this.onInput) this.onInput(input, json!);
    // (Not for the lead named at creation: no display has joined yet to be told.)
    if (input.kind !== 'lead') this.noticeRecordingStop();
    this.noteNewest(input);
    this.inputs$.next(input);
    if (this.recorder && ++this.sinceCheckpoint >= this.checkpointEvery) this.checkpoint();
  }

  private noteNewest(input: PipelineInput): void {
    if (input.kind === 'sample') { this.newestT = Math.max(this.newestT, input.sample.t); this.newestSeq = Math.max(this.newestSeq, input.sample.seq); }
    else if (input.kind === 'tick' || input.kind === 'closed') this.newestT = Math.max(this.newestT, input.t);
  }

  /**
   * The pipeline's state beside the recording, with where in the file the inputs it reflects
   * end: a resume after a crash starts there. Skipped while a model run is in flight (tried again
   * at the next input); a failure is a fault of this procedure and stops its checkpoints.
   */
  private checkpoint(): void {
    const recorder = this.recorder;
    if (!recorder || recorder.stopped || !this.pipelineState.quiescent) return;
    try {
      recorder.flush();
      if (recorder.stopped) return;
      const checkpoint: Checkpoint = {
        version: CHECKPOINT_VERSION,
        procedureId: this.id,
        segmentInputs: recorder.inputCount,
        segmentOutputs: recorder.outputCount,
        segmentBytes: recorder.bytes,
        headBytes: recorder.headBytes,
        ...this.captureCheckpoint()!,
      };
      writeCheckpoint(recorder.path, checkpoint);
      this.sinceCheckpoint = 0;
    } catch (e) {
      this.checkpointEvery = Infinity;
      this.fault('checkpoint', e);
    }
  }

  /**
   * The pipeline's state and what the procedure showed, for a checkpoint (on disk beside the
   * recording, or in Redis for another instance); null while a model run is in flight.
   */
  captureCheckpoint(): Pick<Checkpoint, 'registration' | 'lastGuidance' | 'feed' | 'lastT' | 'lastSeq' | 'state'> | null {
    if (!this.pipelineState.quiescent) return null;
    return {
      registration: this.registration,
      lastGuidance: this.lastGuidance,
      feed: this.feed,
      lastT: this.newestT,
      lastSeq: this.newestSeq,
      state: captureState(this.pipelineState.roots, sharedOfTwin(this.twin), CHECKPOINT_CLASSES),
    };
  }

  /** Start a resume from a checkpoint: the pipeline's state and what the procedure showed then. */
  restoreCheckpoint(checkpoint: StartState): void {
    applyState(this.pipelineState.roots, checkpoint.state, sharedOfTwin(this.twin), CHECKPOINT_CLASSES);
    this.registration = checkpoint.registration;
    this.lastGuidance = checkpoint.lastGuidance;
    this.feed = checkpoint.feed;
    this.newestT = checkpoint.lastT;
    this.newestSeq = checkpoint.lastSeq;
  }

  private recordingStopNoticed = false;
  /** Set when the procedure could not be recorded at all (the recordings count limit). */
  unrecordedBecause: string | null = null;

  /** When the recording stops (size limit, full disk) or never started, say so once; guidance goes on. */
  private noticeRecordingStop(): void {
    const reason = this.recorder?.stopped ?? this.unrecordedBecause;
    if (!reason || reason === 'closed' || this.recordingStopNoticed) return;
    this.recordingStopNoticed = true;
    this.broadcaster.publish(this.id, { type: 'event', procedureId: this.id, kind: 'recording.stopped', message: `${reason}; guidance continues unrecorded`, code: 'TG_ERR_RECORDING' });
  }

  /** What the snapshot keeps of the lead, the measurements and the zones (live and while restoring alike). */
  private keep(message: DisplayMessage): void {
    if (message.type === 'lead') this.lead = message.lead;
    else if (message.type === 'measurement') { if (this.measurements.length < MAX_MEASUREMENTS) this.measurements.push(message.record); }
    else if (message.type === 'zones') this.zonesNow = { zones: message.zones, exclusions: message.exclusions };
  }

  private deliver(message: DisplayMessage): void {
    this.keep(message);
    if (this.restoring) {
      // Rebuilding after a crash: the state is what matters. Messages the old process computed but
      // did not get onto disk before it died go into the new segment, so the segments replay as one.
      if (message.type === 'guidance') this.lastGuidance = message;
      if (message.type === 'status') {
        this.feed = message.feed;
        if (this.lastGuidance) this.lastGuidance = { ...this.lastGuidance, feed: message.feed };
      }
      if (this.restoring.produced++ >= this.restoring.recordedOutputs) this.recorder?.output(message, this.now());
      return;
    }
    if (message.type === 'guidance') {
      this.lastGuidance = message;
      const received = this.arrivals.get(message.seq);
      if (received !== undefined) this.onLatency?.((performance.now() - received) / 1000);
    }
    if (message.type === 'status') {
      this.feed = message.feed;
      if (this.lastGuidance) this.lastGuidance = { ...this.lastGuidance, feed: message.feed };
    }
    // Displays first, then the recording: the message's JSON for the file is not on the display's
    // path. (Both happen before the next input; a crash between them loses what the file's
    // unflushed tail would lose anyway.)
    try {
      this.broadcaster.publish(this.id, message);
    } finally {
      this.recorder?.output(message, this.now());
    }
  }

  private tick(): void {
    this.seams.beforeTick?.();
    const confirmed = this.clock.releaseHeld(performance.now() / 1000);
    if (confirmed) this.accept(confirmed);
    if (!this.lastSample) return;
    this.push({ kind: 'tick', t: this.lastSample.t + (Date.now() - this.lastSample.wallMs) / 1000 });
  }

  /**
   * Rebuild after a crash: the recorded inputs through this procedure's fresh pipeline (it is
   * deterministic, so its state ends where the old process's was), nothing sent to displays.
   * `recordedOutputs`: how many of the messages they produce the recording already holds.
   */
  async restore(inputs: readonly PipelineInput[], recordedOutputs: number, sliceInputs = 4000, recordInputs = false): Promise<void> {
    this.restoring = { recordedOutputs, produced: 0 };
    try {
      for (let k = 0; k < inputs.length; k++) {
        const input = inputs[k]!;
        // Taken over from another instance: this instance's recording holds the whole procedure.
        if (recordInputs) this.recorder?.input(input, this.now());
        if (input.kind === 'registration') this.registration = input.registration;
        this.noteNewest(input);
        this.inputs$.next(input);
        // Let the server breathe between slices: other procedures' samples are not held up.
        if (k % sliceInputs === sliceInputs - 1) await new Promise((r) => setImmediate(r));
      }
    } finally {
      this.restoring = null;
    }
    if (Number.isFinite(this.newestT)) {
      // Ticks run on from the newest recorded time: the feed is stale, then lost, until it reconnects.
      this.lastSample = { t: this.newestT, wallMs: Date.now() };
      this.clock.resumeAt(this.newestT, this.newestSeq, performance.now() / 1000);
    }
  }

  /** Say it on the displays and in the recording: the procedure is back. */
  announceResumed(info: ResumeInfo): void {
    this.resumed = info;
    const message = `resumed after the server restarted: ${info.fromCheckpoint ? `from a checkpoint and the ${info.inputs} inputs after it` : `${info.inputs} recorded inputs`} (${info.segments} segment(s)) in ${info.ms.toFixed(0)} ms`;
    this.recorder?.event('procedure.resumed', message, this.now());
    this.broadcaster.publish(this.id, { type: 'event', procedureId: this.id, kind: 'procedure.resumed', message });
  }

  /** A recorded registration change, lead or measurement replayed into this procedure. */
  input(input: PipelineInput): void {
    if (input.kind === 'registration') this.setRegistration(input.registration);
    else if (input.kind === 'lead') this.push(input);
    else if (input.kind === 'measurement') this.push(input);
  }

  /** Name (or change) the lead: TG_ERR_LEAD for an unknown model or bad custom figures. */
  setLead(spec: LeadSpec | undefined): LeadInfo {
    const lead = resolveLead(spec);
    this.push({ kind: 'lead', lead });
    return lead;
  }

  /**
   * A measurement at an electrode, from the feed or a console: checked (TG_ERR_MEASUREMENT), its
   * time put in the procedure's clock (absent: the newest), then into the pipeline, which places it.
   */
  measure(m: MeasurementRequest, fromFeed = false): void {
    if (this.ended) throw new TwinguideError('TG_ERR_NOT_FOUND', `procedure '${this.id}' has ended`);
    if (this.measurements.length >= MAX_MEASUREMENTS) throw new TwinguideError('TG_ERR_LIMIT', `procedure '${this.id}' holds ${MAX_MEASUREMENTS} measurements (the limit)`);
    try {
      checkMeasurementValues({ ...m, t: 0 } as Measurement, this.lead?.electrodeOffsetsMm.length);
      let t: number;
      if (m.t === undefined) t = Number.isFinite(this.newestT) ? this.newestT : 0;
      else if (fromFeed && this.clock.anchored) t = this.clock.admitSignal(m.t, performance.now() / 1000);
      else t = m.t;
      this.push({ kind: 'measurement', measurement: { ...m, t } as Measurement });
    } catch (e) {
      this.refuse(e);
    }
  }

  /** When each recent sample arrived (performance.now()), by seq, for latency metrics. */
  private readonly arrivals = new ArrivalTimes();

  receivedAt(seq: number): number | undefined {
    return this.arrivals.get(seq);
  }

  /**
   * A feed message, from any transport: a sample (checked against the feed's clock, then into the
   * pipeline) or a clock reset. Throws a TwinguideError (stable code) for what it refuses.
   */
  ingest(message: FeedMessage): void {
    if (this.ended) throw new TwinguideError('TG_ERR_NOT_FOUND', `procedure '${this.id}' has ended`);
    if (this.failedBecause) throw new TwinguideError('TG_ERR_PROCEDURE_FAULT', `procedure '${this.id}' cannot take samples: ${this.failedBecause}`);
    if (message.type === 'reset') {
      this.clock.reset(message, performance.now() / 1000);
      this.recorder?.event('feed.reset', `the feed restarted its clock at t ${message.t} s, seq ${message.seq}; the procedure's time runs on`, this.now());
      this.broadcaster.publish(this.id, { type: 'event', procedureId: this.id, kind: 'feed.reset', message: `the feed restarted its clock (t ${message.t} s, seq ${message.seq})` });
      return;
    }
    if (message.type === 'measurement') return this.measure(message, true);
    if (message.type === 'rwave' || message.type === 'respiration') {
      let t;
      try {
        t = this.clock.admitSignal(message.t, performance.now() / 1000);
      } catch (e) {
        this.refuse(e);
      }
      this.push({ kind: 'signal', signal: t === message.t ? message : { ...message, t } });
      return;
    }
    let admitted;
    try {
      admitted = this.clock.admit(message, performance.now() / 1000);
    } catch (e) {
      this.refuse(e);
    }
    if (admitted.reanchored) {
      const told = `the feed's clock moved to t ${message.t} s, seq ${message.seq} without a reset (${REANCHOR_AFTER} samples agreed); the procedure's time runs on`;
      this.recorder?.event('feed.reanchored', told, this.now());
      this.broadcaster.publish(this.id, { type: 'event', procedureId: this.id, kind: 'feed.reanchored', message: told });
    }
    for (const sample of admitted.samples) this.accept(sample);
  }

  private accept(sample: FeedSample): void {
    this.lastSample = { t: sample.t, wallMs: Date.now() };
    this.arrivals.set(sample.seq, performance.now());
    this.push({ kind: 'sample', sample });
  }

  /** The feed transport closed: the feed is lost at once rather than after the lost timeout. */
  feedClosed(): void {
    if (this.lastSample) this.push({ kind: 'closed', t: this.lastSample.t + (Date.now() - this.lastSample.wallMs) / 1000 });
  }

  setRegistration(registration: Registration): void {
    this.registration = registration;
    this.push({ kind: 'registration', registration });
  }

  /** Apply a registration request (landmarks by name or with twin points, refine, identity). */
  register(request: RegistrationRequest): Registration {
    let next: Registration;
    if (request.method === 'identity') next = identityRegistration();
    else if (request.method === 'refine') {
      const result = refineRegistration(this.registration, this.trail.toArray(), this.twin.centrelines);
      next = result.registration;
    } else {
      const twinPoints = request.pairs.map((pair): Point3 => {
        if (pair.twin) return pair.twin;
        const landmark = this.twin.landmarks.find((l) => l.name === pair.name);
        if (!landmark) throw new TwinguideError('TG_ERR_REGISTRATION', `twin '${this.twin.meta.id}' has no landmark '${pair.name}' (it has ${this.twin.landmarks.map((l) => l.name).join(', ')}); give its twin point`);
        return landmark.positionMm;
      });
      const { fit: _fit, ...fitted } = registerLandmarks(request.pairs.map((p) => p.source), twinPoints, { scaling: request.scaling === true });
      next = fitted;
    }
    if (next !== this.registration) this.setRegistration(next);
    return next;
  }

  snapshot(): Snapshot {
    return {
      type: 'snapshot',
      procedureId: this.id,
      twinId: this.twin.meta.id,
      source: this.source,
      registration: registrationInfo(this.registration),
      zones: this.zonesNow?.zones ?? twinZones(this.twin),
      guidance: this.lastGuidance,
      feed: this.feed,
      ...(this.failedBecause ? { failed: this.failedBecause.slice(0, 2000) } : {}),
      ...(this.lead ? { lead: this.lead } : {}),
      ...(this.measurements.length > 0 ? { measurements: [...this.measurements] } : {}),
      ...(this.zonesNow ? { exclusions: this.zonesNow.exclusions } : {}),
    };
  }

  /** The registration's error learnt so far, when any (rounded to 0.01 mm). */
  private learntOffset(): { learntOffsetMm?: [number, number, number] } {
    const learnt = this.pipelineState.roots.get('registrationOffset') as RegistrationOffset | undefined;
    if (!learnt || learnt.offset.every((x) => x === 0)) return {};
    const r = (x: number): number => Math.round(x * 100) / 100;
    return { learntOffsetMm: [r(learnt.offset[0]!), r(learnt.offset[1]!), r(learnt.offset[2]!)] };
  }

  info(): ProcedureInfo {
    return {
      id: this.id,
      twinId: this.twin.meta.id,
      source: this.source,
      ...(this.igtlDevice ? { igtlDevice: this.igtlDevice } : {}),
      createdAt: this.createdAt,
      ...(this.resumed ? { resumed: this.resumed } : {}),
      recording: this.recorder?.path ?? null,
      ...(this.unrecordedBecause || (this.recorder?.stopped && this.recorder.stopped !== 'closed') ? { recordingStopped: this.unrecordedBecause ?? this.recorder!.stopped! } : {}),
      feed: this.feed,
      registration: { ...registrationInfo(this.registration), ...this.learntOffset() },
      samplesIn: this.counters.samplesIn,
      guidanceOut: this.counters.guidanceOut,
      dropped: { ...this.counters.dropped },
      // A held sample the next one contradicted (a corrupt time) was dropped: counted with the refused.
      refused: this.clock.contradicted > 0 ? { ...this.refused, TG_ERR_CLOCK_JUMP: (this.refused['TG_ERR_CLOCK_JUMP'] ?? 0) + this.clock.contradicted } : { ...this.refused },
      feedResets: this.clock.resets + this.clock.reanchors,
      ...(Object.keys(this.faults).length > 0 ? { faults: { ...this.faults } } : {}),
      ...(this.failedBecause ? { failed: this.failedBecause } : {}),
    };
  }

  /** Receives feed → guidance latency (s) for each guidance message, for the metrics. */
  onLatency: ((seconds: number) => void) | null = null;

  /** A source feeding this procedure (simulator or replay), stopped when the procedure ends. */
  feeder: FeedSource | null = null;

  /** A simulator or replay run faster than real time: its clock may run that much faster than the server's. */
  feedSpeed(speed: number): void {
    this.clock.speed = speed;
  }

  /** End: the feed is closed, the pipeline completes, the recording is finalised. */
  end(): void {
    if (this.ended) return;
    this.ticker.clear();
    const report = (where: string, e: unknown): void => this.fault(where, e);
    guarded('end', report, () => this.feeder?.stop())();
    guarded('end', report, () => this.feedClosed())();
    this.ended = true;
    guarded('end', report, () => this.inputs$.complete())();
    this.subscription.unsubscribe();
    guarded('end', report, () => this.recorder?.close())();
  }
}
