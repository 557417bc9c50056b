// The wire codec: one msgpack value per frame. Records/structures are off (plain maps), so any
// msgpack implementation on the other end can read and write the frames without shared state.

import { Packr } from 'msgpackr';
import { TwinguideError } from './errors.ts';
import { checkMeasurementValues } from './lead.ts';
import { DEFAULT_LIMITS } from './limits.ts';
import type { DisplayMessage, FeedMessage, WireMessage } from './messages.ts';
import { displayValidators, feedValidators, validateMessage } from './validate.ts';

// useRecords:false → standard msgpack maps; mapsAsObjects → plain objects; int64AsType 'number'
// keeps seq a JS number; moreTypes off so no msgpackr-only extensions ever appear on the wire.
const packr = new Packr({
  useRecords: false,
  mapsAsObjects: true,
  moreTypes: false,
  bundleStrings: false,
  int64AsType: 'number',
});

/** Encode one message as one frame. Numbers keep float64 precision; -0 travels as 0. */
export function encodeMessage(message: WireMessage): Uint8Array {
  return packr.pack(message);
}

export interface DecodeOptions {
  /** Frames larger than this are rejected before any decoding work. */
  maxFrameBytes?: number;
}

/** Decode one frame to an untyped value: size check, then exactly one msgpack value. */
export function decodeFrame(frame: Uint8Array, options: DecodeOptions = {}): unknown {
  const max = options.maxFrameBytes ?? DEFAULT_LIMITS.maxFrameBytes;
  if (frame.byteLength > max) {
    throw new TwinguideError('TG_ERR_FRAME_TOO_LARGE', `frame of ${frame.byteLength} bytes exceeds the ${max}-byte limit`);
  }
  if (frame.byteLength === 0) throw new TwinguideError('TG_ERR_BAD_FRAME', 'empty frame');
  let values: unknown[];
  try {
    // unpackMultiple exposes trailing bytes (a second value) that unpack() would silently ignore.
    values = packr.unpackMultiple(frame as Buffer) as unknown[];
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    throw new TwinguideError('TG_ERR_BAD_FRAME', `not a msgpack frame: ${reason}`, { cause });
  }
  if (values.length !== 1) {
    throw new TwinguideError('TG_ERR_BAD_FRAME', `a frame must hold exactly one message, found ${values.length}`);
  }
  return values[0];
}

/** Decode and validate a frame sent by a feed (`tip`, `fluoro`, `reset`). */
export function decodeFeedFrame(frame: Uint8Array, options?: DecodeOptions): FeedMessage {
  return checkFeedMessage(validateMessage<FeedMessage>(decodeFrame(frame, options), feedValidators));
}

/**
 * What a schema cannot say: a C-arm's isocentre lies between its source and its detector, and the
 * two views of a biplane frame are different projections.
 */
export function checkFeedMessage<T extends FeedMessage>(message: T): T {
  if (message.type === 'measurement') return checkMeasurementValues(message) as T;
  if (message.type !== 'fluoro') return message;
  message.views.forEach((view, k) => {
    const g = view.geometry;
    if (g.sod >= g.sid) throw new TwinguideError('TG_ERR_BAD_MESSAGE', `bad 'fluoro' message: view ${k}: sod ${g.sod} mm must be less than sid ${g.sid} mm`, { path: `/views/${k}/geometry/sod` });
  });
  return message;
}

/** Decode and validate a frame sent to a display (`snapshot`, `guidance`, `status`, `event`, `error`). */
export function decodeDisplayFrame(frame: Uint8Array, options?: DecodeOptions): DisplayMessage {
  return validateMessage<DisplayMessage>(decodeFrame(frame, options), displayValidators);
}
