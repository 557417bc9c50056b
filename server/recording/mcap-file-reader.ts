// Reading recordings: the indexed reader for complete files, and the stream reader for files a
// crash cut short (no summary): it recovers every record up to the last complete one.

import { open, readFile, stat } from 'node:fs/promises';
import { McapIndexedReader } from '@mcap/core';
import { streamMessages, type RecordedMessage } from './mcap-records.ts';

export type { RecordedMessage };

export interface ReadResult {
  messages: RecordedMessage[];
  /** True when the file had its summary and was read through its index. */
  indexed: boolean;
}

/** An IReadable over a file, for McapIndexedReader. */
async function fileReadable(path: string): Promise<{ size(): Promise<bigint>; read(offset: bigint, length: bigint): Promise<Uint8Array>; close(): Promise<void> }> {
  const handle = await open(path, 'r');
  const size = BigInt((await stat(path)).size);
  return {
    size: async () => size,
    read: async (offset, length) => {
      const buffer = new Uint8Array(Number(length));
      await handle.read(buffer, 0, buffer.length, Number(offset));
      return buffer;
    },
    close: () => handle.close(),
  };
}

export async function readWithIndex(path: string): Promise<RecordedMessage[]> {
  const readable = await fileReadable(path);
  try {
    const reader = await McapIndexedReader.Initialize({ readable });
    const out: RecordedMessage[] = [];
    for await (const m of reader.readMessages()) {
      out.push({ topic: reader.channelsById.get(m.channelId)!.topic, logTimeNs: m.logTime, publishTimeNs: m.publishTime, data: m.data, sequence: m.sequence });
    }
    // The index yields by log time; keep the order they were written in (their sequence).
    return out;
  } finally {
    await readable.close();
  }
}

export async function readWithStream(path: string): Promise<RecordedMessage[]> {
  return streamMessages(await readFile(path)).messages;
}

/** Indexed when the file is complete, streamed (recovering what a crash left) otherwise. */
export async function readRecordingFile(path: string): Promise<ReadResult> {
  try {
    return { messages: await readWithIndex(path), indexed: true };
  } catch {
    return { messages: await readWithStream(path), indexed: false };
  }
}
