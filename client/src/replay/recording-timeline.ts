// A recording as the replay page plays it: the messages the displays were sent, on the time axis
// they were sent on, with the moments the tip entered a target zone. Read with @mcap/core's stream
// reader, which also recovers a recording a crash cut short (no summary section).

import type { DisplayMessage, FluoroSample } from '../../../protocol/messages.ts';
import { streamMessages, TOPICS, type RecordingMeta } from '../../../server/recording/mcap-records.ts';

export interface TimedMessage {
  /** ms since the first recorded message. */
  atMs: number;
  message: DisplayMessage;
}

export interface TimedView {
  atMs: number;
  alpha: number;
  beta: number;
}

export interface RecordingTimeline {
  meta: RecordingMeta;
  messages: TimedMessage[];
  /** When the guidance first said `in` after not saying it. */
  zoneEntriesMs: number[];
  /** The active C-arm view over time (fluoro recordings). */
  views: TimedView[];
  /** The newest registration transform (row-major 4×4, source → twin), if any. */
  transform: number[] | null;
  durationMs: number;
  /** False when the file had no summary (a crash cut it short): everything before the tear was read. */
  complete: boolean;
}

/**
 * A recording's display messages on its time axis. Several segments (a procedure resumed after the
 * server died) are read as one, oldest first: the time the server was down shows as a gap.
 */
export function readTimeline(bytes: Uint8Array | readonly Uint8Array[]): RecordingTimeline {
  const segments = bytes instanceof Uint8Array ? [bytes] : bytes;
  const decoder = new TextDecoder();
  let meta: RecordingMeta | null = null;
  const outputs: { n: number; logTimeNs: bigint; message: DisplayMessage }[] = [];
  const views: { logTimeNs: bigint; alpha: number; beta: number }[] = [];
  let transform: number[] | null = null;
  let complete = true;
  const records = segments.flatMap((segment, k) => {
    const read = streamMessages(segment);
    if (k === segments.length - 1) complete = read.complete;
    return read.messages;
  });
  // Output numbers restart in each segment: keep them apart when times tie.
  let base = 0;
  let lastN = -1;
  for (const record of records) {
    if (record.topic === TOPICS.meta) meta = JSON.parse(decoder.decode(record.data)) as RecordingMeta;
    else if (record.topic === TOPICS.output) {
      const v = JSON.parse(decoder.decode(record.data)) as { n: number; message: DisplayMessage };
      if (v.n < lastN) base += lastN + 1;
      lastN = v.n;
      outputs.push({ n: base + v.n, logTimeNs: record.logTimeNs, message: v.message });
    } else if (record.topic === TOPICS.input) {
      const v = JSON.parse(decoder.decode(record.data)) as { input: { kind: string; sample?: { type: string }; registration?: { matrix?: number[] } } };
      if (v.input.kind === 'sample' && v.input.sample?.type === 'fluoro') {
        const g = (v.input.sample as FluoroSample).views[0]!.geometry;
        views.push({ logTimeNs: record.logTimeNs, alpha: g.alpha, beta: g.beta });
      } else if (v.input.kind === 'registration' && v.input.registration?.matrix) transform = v.input.registration.matrix;
    }
  }
  if (!meta) throw new Error('not a twinguide recording (no /meta message)');
  // On the time axis they were sent on; in send order where times tie.
  outputs.sort((a, b) => (a.logTimeNs < b.logTimeNs ? -1 : a.logTimeNs > b.logTimeNs ? 1 : a.n - b.n));
  const t0 = outputs.length > 0 ? outputs.reduce((m, o) => (o.logTimeNs < m ? o.logTimeNs : m), outputs[0]!.logTimeNs) : 0n;
  const ms = (ns: bigint): number => Number(ns - t0) / 1e6;
  const messages = outputs.map((o) => ({ atMs: Math.max(0, ms(o.logTimeNs)), message: o.message }));
  const zoneEntriesMs: number[] = [];
  let inZone = false;
  for (const m of messages) {
    if (m.message.type !== 'guidance') continue;
    const now = m.message.zone.state === 'in';
    if (now && !inZone) zoneEntriesMs.push(m.atMs);
    inZone = now;
  }
  return {
    meta,
    messages,
    zoneEntriesMs,
    views: views.map((v) => ({ atMs: Math.max(0, ms(v.logTimeNs)), alpha: v.alpha, beta: v.beta })),
    transform,
    durationMs: messages.length > 0 ? messages[messages.length - 1]!.atMs : 0,
    complete,
  };
}

/** Index of the last message at or before `atMs` (-1: none). */
export function indexAt(messages: readonly TimedMessage[], atMs: number): number {
  let lo = 0;
  let hi = messages.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (messages[mid]!.atMs <= atMs) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}
