// Checkpoints beside a recording segment (`<segment>.mcap.ckpt`): the procedure's pipeline state
// after a known number of the segment's inputs, with where in the file those inputs end, so a
// resume reads the checkpoint and the few inputs after it instead of the whole procedure. Written
// atomically (a temporary file, then a rename): a crash leaves the previous checkpoint or the new
// one, never half of one. Plain data only (v8's serializer): it never runs code when read.

import { closeSync, existsSync, fstatSync, openSync, readFileSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { deserialize, serialize } from 'node:v8';
import type { DisplayMessage, FeedStatus, Guidance } from '../../protocol/index.ts';
import type { PipelineInput } from '../pipeline/flow.ts';
import type { Registration } from '../pipeline/registration.ts';
import { streamMessages } from './mcap-records.ts';
import { decodeRecordingMessages } from './procedure-recording.ts';

/**
 * The pipeline state's shape: a checkpoint holds the stages' objects field by field, and one written
 * by a build whose classes had other fields cannot be put into this build's (a field it lacks would
 * fail on the first input). Raised when a checkpointed class gains or loses a field: a checkpoint
 * file of another version is refused and resume replays the recorded inputs instead (a segment
 * whose meta starts from another version's state is refused with a clear error). 2: the feed
 * state's rhythm (twenty-fourth session) and the motion spectrum's breathing blocks across the
 * vessel (twenty-fifth). 3: the registration's learnt offset and the motion filter's harmonic level
 * (twenty-seventh). 4: the tracker's smoothed fit to the veins (twenty-eighth). 5: when the motion
 * filter started and the extent its measurements have covered (twenty-ninth). 6: the tracker's
 * options (kept in its state) gained the ray emission's robust threshold (thirtieth). 7: its states
 * say when their path began with a restart, its options how long a ray's restart waits to be
 * confirmed (thirty-first). 8: its options gained one view's swing along the vein (raySwingFloorMm,
 * raySwingWeight), whose residual it now keeps for rays too (thirty-second). 9: the zone guide
 * keeps where the place was and since when it moved as a lead moves, its options the instruction's
 * clearance (thirty-third). 10: the tracker's options gained spikeGraceS (thirty-third). 11: the
 * zone guide no longer keeps per-decision scratch or the twin's junctions (thirty-third's review).
 * 12: the zone guide's held key no longer holds the state (thirty-fourth). 13: the zone guide
 * keeps whether it withheld the instruction, its options the confidence band (thirty-fourth).
 */
export const CHECKPOINT_VERSION = 13;
/** A checkpoint larger than this is not read (a heart's pipeline state is a few hundred kB). */
const MAX_CHECKPOINT_BYTES = 64 * 1024 * 1024;

export interface Checkpoint {
  version: number;
  procedureId: string;
  /** Inputs and messages the segment held when the checkpoint was taken, and its size then. */
  segmentInputs: number;
  segmentOutputs: number;
  segmentBytes: number;
  /** The segment's head (magic, header, schemas, channels), which makes any later stretch readable. */
  headBytes: number;
  registration: Registration;
  lastGuidance: Guidance | null;
  feed: FeedStatus;
  /** The newest sample time (or tick) and seq the procedure had seen. */
  lastT: number;
  lastSeq: number;
  /** The pipeline's state (state-capture.ts). */
  state: Buffer;
}

export const checkpointPath = (segmentPath: string): string => `${segmentPath}.ckpt`;

/** What a procedure restores from (Procedure.restoreCheckpoint): its pipeline state and what it showed. */
export type StartState = Pick<Checkpoint, 'registration' | 'lastGuidance' | 'feed' | 'lastT' | 'lastSeq' | 'state'>;

/** A starting state as a recording's meta carries it (startState): v8-serialized, base64. */
export function encodeStartState(s: StartState): string {
  return serialize({ version: CHECKPOINT_VERSION, registration: s.registration, lastGuidance: s.lastGuidance, feed: s.feed, lastT: s.lastT, lastSeq: s.lastSeq, state: s.state }).toString('base64');
}

/** The starting state of a recording's meta; throws when it is not one of this version. */
export function decodeStartState(encoded: string): StartState {
  if (encoded.length > (MAX_CHECKPOINT_BYTES * 4) / 3 + 4) throw new Error(`a starting state of ${encoded.length} characters is over the limit`);
  const c = deserialize(Buffer.from(encoded, 'base64')) as StartState & { version: number };
  if (!c || c.version !== CHECKPOINT_VERSION || !(Buffer.isBuffer(c.state) || (c.state as unknown) instanceof Uint8Array)) throw new Error(`not a version ${CHECKPOINT_VERSION} starting state`);
  return { registration: c.registration, lastGuidance: c.lastGuidance, feed: c.feed, lastT: c.lastT, lastSeq: c.lastSeq, state: Buffer.from(c.state) };
}

export function writeCheckpoint(segmentPath: string, checkpoint: Checkpoint): void {
  const path = checkpointPath(segmentPath);
  writeFileSync(`${path}.tmp`, serialize(checkpoint));
  renameSync(`${path}.tmp`, path);
}

/** The segment's checkpoint, or null when it has none; throws when it is unreadable or of another version. */
export function readCheckpoint(segmentPath: string): Checkpoint | null {
  const path = checkpointPath(segmentPath);
  if (!existsSync(path)) return null;
  const bytes = readFileSync(path);
  if (bytes.length > MAX_CHECKPOINT_BYTES) throw new Error(`${path}: larger than ${MAX_CHECKPOINT_BYTES} bytes`);
  const c = deserialize(bytes) as Checkpoint;
  if (!c || c.version !== CHECKPOINT_VERSION || (!Buffer.isBuffer(c.state) && !((c.state as unknown) instanceof Uint8Array))) throw new Error(`${path}: not a version ${CHECKPOINT_VERSION} checkpoint`);
  return { ...c, state: Buffer.from(c.state) };
}

/** The inputs and display messages a segment holds after `fromBytes` (its head is read to make the stretch parseable). */
export function readSegmentTail(segmentPath: string, headBytes: number, fromBytes: number): { inputs: PipelineInput[]; outputs: DisplayMessage[] } {
  const fd = openSync(segmentPath, 'r');
  let bytes: Buffer;
  try {
    const size = fstatSync(fd).size;
    if (!(headBytes > 0 && headBytes <= fromBytes && fromBytes <= size)) throw new Error(`${segmentPath}: the checkpoint's offsets (${headBytes}, ${fromBytes}) do not fit the file (${size} bytes)`);
    bytes = Buffer.alloc(headBytes + (size - fromBytes));
    readSync(fd, bytes, 0, headBytes, 0);
    readSync(fd, bytes, headBytes, size - fromBytes, fromBytes);
  } finally {
    closeSync(fd);
  }
  const { inputs, outputs } = decodeRecordingMessages(streamMessages(bytes).messages);
  return { inputs, outputs };
}
