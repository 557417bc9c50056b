// The recording's topics, and reading MCAP bytes record by record, recovering everything before a
// torn last record (a crash). No I/O: the server's file reader and the browser's replay page share it.

import { McapStreamReader, type McapTypes } from '@mcap/core';

/** truth: what a simulator knew of each sample (its recordings only), for scoring the guidance against it. */
export const TOPICS = { meta: '/meta', input: '/pipeline/input', output: '/display/messages', events: '/procedure/events', truth: '/simulator/truth' } as const;

/** The /meta message: what the recording is of. */
export interface RecordingMeta {
  procedureId: string;
  twinId: string;
  source: string;
  /** When the procedure started (every segment of it says the same). */
  startedAt: string;
  twinguideVersion: string;
  igtlDevice?: string;
  /**
   * A procedure resumed after a crash records on in a new segment: its number (1 = the first) and
   * the file name of the one before, in the same directory; replay reads the chain as one.
   */
  segment?: number;
  previousSegment?: string;
  resumedAt?: string;
  /**
   * A segment that starts from a checkpoint (an instance took the procedure over from another, whose
   * recording is on its own disk): the procedure's state then (checkpoints.ts, encodeStartState), so
   * that the segment replays and resumes on its own.
   */
  startState?: string;
}

export interface RecordedMessage {
  topic: string;
  logTimeNs: bigint;
  publishTimeNs: bigint;
  data: Uint8Array;
  sequence: number;
}

/** Every message in the bytes, in file order; `complete` when the footer was reached (no tear). */
export function streamMessages(bytes: Uint8Array): { messages: RecordedMessage[]; complete: boolean } {
  const reader = new McapStreamReader({ validateCrcs: true });
  reader.append(bytes);
  const channels = new Map<number, McapTypes.Channel>();
  const messages: RecordedMessage[] = [];
  let complete = false;
  for (;;) {
    let record: McapTypes.TypedMcapRecord | undefined;
    try {
      record = reader.nextRecord();
    } catch {
      break; // a torn last record: everything before it is good
    }
    if (!record) break;
    if (record.type === 'Channel') channels.set(record.id, record);
    else if (record.type === 'Footer') complete = true;
    else if (record.type === 'Message') {
      const channel = channels.get(record.channelId);
      if (channel) messages.push({ topic: channel.topic, logTimeNs: record.logTime, publishTimeNs: record.publishTime, data: record.data, sequence: record.sequence });
    }
  }
  return { messages, complete };
}
