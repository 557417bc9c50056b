// Procedures that did not end: on start the server looks for recordings without a clean end (no
// MCAP footer: the process died) whose procedure was still running recently, so it can bring them
// back under the same id. A procedure ended by DELETE or by a clean shutdown has a finalised file
// and stays ended. Only the head of each file is read (the meta message), and the tail's magic.

import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { streamMessages, TOPICS, type RecordingMeta } from './mcap-records.ts';

/** An MCAP file ends with this magic after its footer; a crashed one does not. */
const MCAP_MAGIC = Buffer.from([0x89, 0x4d, 0x43, 0x41, 0x50, 0x30, 0x0d, 0x0a]);
/** The meta message is the first one; the channel schemas before it take a few tens of kB. */
const HEAD_BYTES = 1024 * 1024;

export interface UnfinishedRecording {
  path: string;
  meta: RecordingMeta;
  /** When it was last written (ms since the epoch). */
  modifiedMs: number;
}

export interface UnfinishedScan {
  resumable: UnfinishedRecording[];
  /** Unfinished but not brought back, and why (too old, unreadable). */
  skipped: { path: string; reason: string }[];
}

function readRange(path: string, position: number, length: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buffer = Buffer.alloc(length);
    const n = readSync(fd, buffer, 0, length, position);
    return buffer.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

/** The recording's /meta message, from the head of the file only. */
export function metaOf(path: string): RecordingMeta | null {
  const { messages } = streamMessages(readRange(path, 0, HEAD_BYTES));
  const meta = messages.find((m) => m.topic === TOPICS.meta);
  return meta ? (JSON.parse(new TextDecoder().decode(meta.data)) as RecordingMeta) : null;
}

/** The newest segment of each procedure whose recording has no clean end, written within `withinS`. */
export function findUnfinished(dir: string, withinS: number, nowMs = Date.now()): UnfinishedScan {
  const scan: UnfinishedScan = { resumable: [], skipped: [] };
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.mcap')).sort();
  } catch {
    return scan;
  }
  const referenced = new Set<string>();
  const open: UnfinishedRecording[] = [];
  for (const file of files) {
    const path = join(dir, file);
    try {
      const stat = statSync(path);
      const complete = stat.size >= MCAP_MAGIC.length && readRange(path, stat.size - MCAP_MAGIC.length, MCAP_MAGIC.length).equals(MCAP_MAGIC);
      const meta = metaOf(path);
      if (!meta) {
        if (!complete) scan.skipped.push({ path, reason: 'no readable meta message' });
        continue;
      }
      if (meta.previousSegment) referenced.add(meta.previousSegment);
      if (!complete) open.push({ path, meta, modifiedMs: stat.mtimeMs });
    } catch (e) {
      scan.skipped.push({ path, reason: (e as Error).message });
    }
  }
  const newest = new Map<string, UnfinishedRecording>();
  for (const u of open) {
    if (referenced.has(u.path.slice(dir.length + 1))) continue; // a later segment carries it on
    if (nowMs - u.modifiedMs > withinS * 1000) {
      scan.skipped.push({ path: u.path, reason: `last written ${Math.round((nowMs - u.modifiedMs) / 60000)} min ago (resume window ${Math.round(withinS / 60)} min)` });
      continue;
    }
    const other = newest.get(u.meta.procedureId);
    // Two unfinished heads for one id (a crash before a resume recorded anything): the newer wins.
    if (!other || u.modifiedMs > other.modifiedMs) {
      if (other) scan.skipped.push({ path: other.path, reason: `a newer unfinished recording of '${u.meta.procedureId}' exists` });
      newest.set(u.meta.procedureId, u);
    } else {
      scan.skipped.push({ path: u.path, reason: `a newer unfinished recording of '${u.meta.procedureId}' exists` });
    }
  }
  scan.resumable = [...newest.values()];
  return scan;
}
