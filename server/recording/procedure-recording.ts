// A procedure's recording: every pipeline input (samples, ticks, registration changes, the
// transport closing) and every message sent to the displays, with receive times, in MCAP with
// JSON-schema'd channels (engineers open it in Foxglove). Flushed at least every `flushEveryMs`,
// so after a crash everything older than that reads back. A size limit or a write error (a full
// disk) stops the recording, never the procedure: `stopped` says why.

import { unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { TwinguideError, type DisplayMessage } from '../../protocol/index.ts';
import { DISPLAY_MESSAGES, FEED_MESSAGES } from '../../protocol/messages.ts';
import type { PipelineInput } from '../pipeline/flow.ts';
import { spreadInterval, type SpreadInterval } from '../spread-interval.ts';
import { readRecordingFile } from './mcap-file-reader.ts';
import { TOPICS, type RecordingMeta } from './mcap-records.ts';

export { TOPICS, type RecordingMeta };
import { McapFileWriter, type ChannelSpec } from './mcap-file-writer.ts';

export const RECORDING_PROFILE = 'twinguide.recording/1';
/** One encoder for every message (not one per message). */
const ENCODER = new TextEncoder();
/**
 * The UTF-8 of one message, written into a buffer kept for the next one: the chunk copies it at
 * once, so no per-message array is left for the collector (two per sample: its input and its guidance).
 */
let scratch = new Uint8Array(16 * 1024);
const SCRATCH_MAX = 1024 * 1024;
function utf8(text: string): Uint8Array {
  // UTF-8 takes at most 3 bytes per UTF-16 unit; a rare big message (the twin's meta) gets its own array.
  if (text.length * 3 > SCRATCH_MAX) return ENCODER.encode(text);
  if (text.length * 3 > scratch.length) scratch = new Uint8Array(Math.min(SCRATCH_MAX, Math.max(text.length * 3, scratch.length * 2)));
  const { written } = ENCODER.encodeInto(text, scratch);
  return scratch.subarray(0, written);
}
const DECODER = new TextDecoder();



const CHANNELS: ChannelSpec[] = [
  { topic: TOPICS.meta, schemaName: 'twinguide.RecordingMeta', schema: { type: 'object', required: ['procedureId', 'twinId', 'source', 'startedAt', 'twinguideVersion'] } },
  {
    topic: TOPICS.input,
    schemaName: 'twinguide.PipelineInput',
    schema: {
      type: 'object',
      description: 'n: input order; input: {kind: sample|tick|closed|registration, ...}; samples carry a feed message',
      required: ['n', 'input'],
      properties: { n: { type: 'integer' }, input: { type: 'object' } },
      definitions: JSON.parse(JSON.stringify(FEED_MESSAGES)) as object,
    },
  },
  {
    topic: TOPICS.events,
    schemaName: 'twinguide.ProcedureEvent',
    schema: {
      type: 'object',
      description: 'what happened to the procedure outside its pipeline: faults, feed clock resets, resumption',
      required: ['kind', 'message'],
      properties: { kind: { type: 'string' }, message: { type: 'string' } },
    },
  },
  {
    topic: TOPICS.output,
    schemaName: 'twinguide.DisplayMessage',
    schema: { type: 'object', required: ['n', 'message'], properties: { n: { type: 'integer' }, message: { type: 'object' } }, definitions: JSON.parse(JSON.stringify(DISPLAY_MESSAGES)) as object },
  },
  {
    topic: TOPICS.truth,
    schemaName: 'twinguide.SimulatorTruth',
    schema: { type: 'object', description: "the device simulator's ground truth of one sample (seq, t, p, branch, arcLengthMm, zoneState, instruction, borderMm, junctionMm)", required: ['seq', 'p', 'branch'] },
  },
];

export interface RecorderOptions {
  flushEveryMs: number;
  maxBytes: number;
}

/** MCAP's publish time is an unsigned 64-bit ns count: a source time outside it is clamped, never thrown on. */
const MAX_U64 = 2n ** 64n - 1n;
export function sourceTimeNs(t: number): bigint {
  if (!Number.isFinite(t) || t <= 0) return 0n;
  const ns = t * 1e9;
  if (ns >= 1.8e19) return MAX_U64;
  return BigInt(Math.round(ns));
}

export class ProcedureRecorder {
  private readonly writer: McapFileWriter;
  private readonly ids: Map<string, number>;
  private readonly timer: SpreadInterval | null;
  private inputs = 0;
  private outputs = 0;
  stopped: string | null = null;
  /** Bytes of the file's head (magic, header, schemas, channels): with them, any later flushed stretch reads on its own. */
  readonly headBytes: number;

  constructor(readonly path: string, meta: RecordingMeta, private readonly options: RecorderOptions = { flushEveryMs: 50, maxBytes: 2 * 1024 ** 3 }) {
    this.writer = new McapFileWriter(path, 64 * 1024);
    this.ids = this.writer.start(RECORDING_PROFILE, `twinguide ${meta.twinguideVersion}`, CHANNELS);
    this.headBytes = this.writer.bytesWritten;
    this.put(TOPICS.meta, 0n, 0n, meta);
    this.writer.flush();
    this.timer = options.flushEveryMs > 0 ? spreadInterval(() => this.flush(), options.flushEveryMs) : null;
  }

  get bytes(): number {
    return this.writer.bytesWritten;
  }

  /** Inputs and display messages recorded so far in this file. */
  get inputCount(): number {
    return this.inputs;
  }
  get outputCount(): number {
    return this.outputs;
  }

  private put(topic: string, logTimeNs: bigint, publishTimeNs: bigint, value: unknown): void {
    if (!this.stopped) this.putText(topic, logTimeNs, publishTimeNs, JSON.stringify(value));
  }

  private putText(topic: string, logTimeNs: bigint, publishTimeNs: bigint, text: string): void {
    if (this.stopped) return;
    try {
      this.writer.add(this.ids.get(topic)!, logTimeNs, publishTimeNs, utf8(text));
      if (this.writer.bytesWritten > this.options.maxBytes) this.stop(`recording reached its ${this.options.maxBytes}-byte limit`);
    } catch (e) {
      this.stop(`recording failed: ${(e as Error).message}`);
    }
  }

  /** `json`: the input's JSON text when the caller has made it already (the bytes are the same). */
  input(input: PipelineInput, receivedAtNs: bigint, json?: string): void {
    const t = input.kind === 'sample' ? input.sample.t : input.kind === 'signal' ? input.signal.t : input.kind === 'measurement' ? input.measurement.t : input.kind === 'registration' || input.kind === 'lead' ? 0 : input.t;
    const n = this.inputs++;
    if (json === undefined) this.put(TOPICS.input, receivedAtNs, sourceTimeNs(t), { n, input });
    else this.putText(TOPICS.input, receivedAtNs, sourceTimeNs(t), `{"n":${n},"input":${json}}`);
  }

  output(message: DisplayMessage, atNs: bigint): void {
    const t = 't' in message && typeof message.t === 'number' ? message.t : 0;
    this.put(TOPICS.output, atNs, sourceTimeNs(t), { n: this.outputs++, message });
  }

  /** A simulator's ground truth of one sample (simulated recordings only; never an input). */
  truth(value: { seq: number; t: number }, atNs: bigint): void {
    this.put(TOPICS.truth, atNs, sourceTimeNs(value.t), value);
  }

  /** Something that happened to the procedure outside its pipeline (not replayed, only told). */
  event(kind: string, message: string, atNs: bigint): void {
    this.put(TOPICS.events, atNs, atNs, { kind, message });
  }

  flush(): void {
    if (this.stopped) return;
    try {
      this.writer.flush();
    } catch (e) {
      this.stop(`recording failed: ${(e as Error).message}`);
    }
  }

  private stop(reason: string): void {
    this.stopped = reason;
    this.timer?.clear();
    try {
      this.writer.close();
    } catch {
      this.writer.abandon();
    }
  }

  /** Give up a segment that must not exist (a resume that failed half way): closed and deleted. */
  discard(): void {
    this.timer?.clear();
    this.stopped = 'discarded';
    this.writer.abandon();
    try { unlinkSync(this.path); } catch { /* already gone */ }
  }

  /** Finalise: summary and index written; the file opens with the indexed reader. */
  close(): void {
    this.timer?.clear();
    if (!this.stopped) {
      this.writer.close();
      this.stopped = 'closed';
    }
  }
}

export interface Recording {
  meta: RecordingMeta;
  inputs: PipelineInput[];
  outputs: DisplayMessage[];
  /** Receive time of each input (ns), for replay at the recorded pace. */
  inputTimesNs: bigint[];
  /** The (last) file was finalised: summary and index written. */
  indexed: boolean;
  /** When the recording is several segments (resumed after crashes): what each held. */
  segments?: { inputs: number; outputs: number; indexed: boolean }[];
  /** A simulator's ground truth per sample, in seq order (empty for a real procedure). */
  truths: unknown[];
  /** The first segment starts from this state (a takeover: RecordingMeta.startState), not from scratch. */
  startState?: string;
}

/** The most segments one procedure's recording may chain (each is a resume after a crash). */
export const MAX_SEGMENTS = 64;

/**
 * A procedure's recording, read as one: when this file is a later segment (a resume after a
 * crash), the segments before it (named in each meta, same directory) come first.
 */
export async function loadRecording(path: string): Promise<Recording> {
  const chain: Recording[] = [await loadSegment(path)];
  const seen = new Set([basename(path)]);
  for (let previous = chain[0]!.meta.previousSegment; previous; previous = chain[0]!.meta.previousSegment) {
    if (previous.includes('/') || previous.includes('\\') || seen.has(previous) || chain.length >= MAX_SEGMENTS) {
      throw new TwinguideError('TG_ERR_RECORDING', `'${path}': segment chain broken at '${previous}' (a loop, a path, or more than ${MAX_SEGMENTS} segments)`);
    }
    seen.add(previous);
    chain.unshift(await loadSegment(join(dirname(path), previous)));
  }
  if (chain.length === 1) return chain[0]!;
  return {
    meta: { ...chain[chain.length - 1]!.meta },
    inputs: chain.flatMap((c) => c.inputs),
    inputTimesNs: chain.flatMap((c) => c.inputTimesNs),
    outputs: chain.flatMap((c) => c.outputs),
    truths: chain.flatMap((c) => c.truths),
    indexed: chain[chain.length - 1]!.indexed,
    segments: chain.map((c) => ({ inputs: c.inputs.length, outputs: c.outputs.length, indexed: c.indexed })),
    ...(chain[0]!.startState ? { startState: chain[0]!.startState } : {}),
  };
}

/** One file of a recording. */
export async function loadSegment(path: string): Promise<Recording> {
  let read;
  try {
    read = await readRecordingFile(path);
  } catch (cause) {
    throw new TwinguideError('TG_ERR_RECORDING', `cannot read recording '${path}': ${(cause as Error).message}`, { cause });
  }
  const { meta, inputs, inputTimesNs, outputs, truths } = decodeRecordingMessages(read.messages);
  if (!meta) throw new TwinguideError('TG_ERR_RECORDING', `'${path}' is not a twinguide recording (no ${TOPICS.meta} message)`);
  return { meta, inputs, inputTimesNs, outputs, truths, indexed: read.indexed, ...(meta.startState ? { startState: meta.startState } : {}) };
}

/** A recording's messages as its meta, inputs (with receive times) and display messages, each in recorded order. */
export function decodeRecordingMessages(messages: readonly { topic: string; logTimeNs: bigint; data: Uint8Array }[]): { meta: RecordingMeta | null; inputs: PipelineInput[]; inputTimesNs: bigint[]; outputs: DisplayMessage[]; truths: unknown[] } {
  const decode = (data: Uint8Array): unknown => JSON.parse(DECODER.decode(data));
  let meta: RecordingMeta | null = null;
  const inputs: { n: number; input: PipelineInput; at: bigint }[] = [];
  const outputs: { n: number; message: DisplayMessage }[] = [];
  const truths: { seq: number }[] = [];
  for (const m of messages) {
    if (m.topic === TOPICS.meta) meta = decode(m.data) as RecordingMeta;
    else if (m.topic === TOPICS.input) {
      const v = decode(m.data) as { n: number; input: PipelineInput };
      inputs.push({ ...v, at: m.logTimeNs });
    } else if (m.topic === TOPICS.output) outputs.push(decode(m.data) as { n: number; message: DisplayMessage });
    else if (m.topic === TOPICS.truth) truths.push(decode(m.data) as { seq: number });
  }
  truths.sort((a, b) => a.seq - b.seq);
  inputs.sort((a, b) => a.n - b.n);
  outputs.sort((a, b) => a.n - b.n);
  return { meta, inputs: inputs.map((i) => i.input), inputTimesNs: inputs.map((i) => i.at), outputs: outputs.map((o) => o.message), truths };
}
