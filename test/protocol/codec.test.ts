import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Packr } from 'msgpackr';
import {
  DEFAULT_LIMITS,
  TwinguideError,
  decodeDisplayFrame,
  decodeFeedFrame,
  decodeFrame,
  encodeMessage,
  type ErrorCode,
  type WireMessage,
} from '../../protocol/index.ts';
import { SAMPLE_GUIDANCE, fluoroSample, guidance, tipSample } from '../helpers/arbitraries.ts';

// A plain msgpack encoder, as another implementation (Python's msgpack, a device) would write frames.
const foreign = new Packr({ useRecords: false, variableMapSize: true });

/** msgpack has no integer -0: the codec sends -0 as 0 (numerically equal). */
function withoutNegativeZero<T>(value: T): T {
  return JSON.parse(JSON.stringify(value, (_k, v: unknown) => (Object.is(v, -0) ? 0 : v))) as T;
}

function codeOf(fn: () => unknown): ErrorCode | 'none' {
  try {
    fn();
    return 'none';
  } catch (e) {
    if (e instanceof TwinguideError) return e.code;
    throw e;
  }
}

const tip = { type: 'tip', seq: 7, t: 12.5, p: [1.5, -2, 3.25] } as const;

describe('codec round trip', () => {
  it('decodes what it encodes, for every feed message (property)', () => {
    fc.assert(
      fc.property(fc.oneof(tipSample, fluoroSample), (msg) => {
        expect(decodeFeedFrame(encodeMessage(msg))).toStrictEqual(withoutNegativeZero(msg));
      }),
      { numRuns: 500 },
    );
  });

  it('decodes what it encodes, for guidance (property)', () => {
    fc.assert(
      fc.property(guidance, (msg) => {
        expect(decodeDisplayFrame(encodeMessage(msg))).toStrictEqual(withoutNegativeZero(msg));
      }),
      { numRuns: 300 },
    );
  });

  it('keeps float64 precision and seq as an exact integer', () => {
    const msg = { ...tip, seq: Number.MAX_SAFE_INTEGER, t: 1700000000.123456789, p: [0.1, 1 / 3, -1e-12] as [number, number, number] };
    expect(decodeFeedFrame(encodeMessage(msg))).toStrictEqual(withoutNegativeZero(msg));
  });

  it('writes standard msgpack maps that another implementation reads, and reads theirs', () => {
    const bytes = encodeMessage(SAMPLE_GUIDANCE);
    // A msgpack map (fixmap, map16 or map32), not a msgpackr record extension.
    expect((bytes[0]! & 0xf0) === 0x80 || bytes[0] === 0xde || bytes[0] === 0xdf).toBe(true);
    expect(foreign.unpack(bytes)).toEqual(SAMPLE_GUIDANCE);
    expect(decodeFeedFrame(foreign.pack(tip))).toEqual(tip);
  });
});

describe('malformed frames get a stable code', () => {
  const good = encodeMessage(tip as WireMessage);

  it('rejects every truncation of a valid frame with TG_ERR_BAD_FRAME', () => {
    for (let n = 0; n < good.length; n++) expect(codeOf(() => decodeFeedFrame(good.subarray(0, n)))).toBe('TG_ERR_BAD_FRAME');
  });

  it('rejects trailing bytes (two messages in one frame)', () => {
    expect(codeOf(() => decodeFeedFrame(Buffer.concat([good, good])))).toBe('TG_ERR_BAD_FRAME');
  });

  it('rejects an oversized frame before decoding it', () => {
    const big = new Uint8Array(DEFAULT_LIMITS.maxFrameBytes + 1);
    expect(codeOf(() => decodeFrame(big))).toBe('TG_ERR_FRAME_TOO_LARGE');
    expect(codeOf(() => decodeFrame(good, { maxFrameBytes: 8 }))).toBe('TG_ERR_FRAME_TOO_LARGE');
  });

  it('rejects unknown, missing and non-string types, and types of the other channel', () => {
    expect(codeOf(() => decodeFeedFrame(foreign.pack({ ...tip, type: 'teleport' })))).toBe('TG_ERR_UNKNOWN_TYPE');
    expect(codeOf(() => decodeFeedFrame(foreign.pack({ seq: 1, t: 0, p: [0, 0, 0] })))).toBe('TG_ERR_UNKNOWN_TYPE');
    expect(codeOf(() => decodeFeedFrame(foreign.pack({ ...tip, type: 3 })))).toBe('TG_ERR_UNKNOWN_TYPE');
    expect(codeOf(() => decodeFeedFrame(foreign.pack([1, 2, 3])))).toBe('TG_ERR_UNKNOWN_TYPE');
    expect(codeOf(() => decodeFeedFrame(foreign.pack('tip')))).toBe('TG_ERR_UNKNOWN_TYPE');
    // A feed may not send what only the server sends.
    expect(codeOf(() => decodeFeedFrame(encodeMessage(SAMPLE_GUIDANCE)))).toBe('TG_ERR_UNKNOWN_TYPE');
  });

  it.each([
    ['p as a string', { ...tip, p: 'here' }],
    ['p with two numbers', { ...tip, p: [1, 2] }],
    ['NaN coordinate', { ...tip, p: [NaN, 0, 0] }],
    ['Infinity time', { ...tip, t: Infinity }],
    ['negative seq', { ...tip, seq: -1 }],
    ['fractional seq', { ...tip, seq: 1.5 }],
    ['missing t', { type: 'tip', seq: 1, p: [0, 0, 0] }],
    ['an extra field', { ...tip, extra: true }],
    ['unknown quality', { ...tip, quality: 'great' }],
    ['three fluoro views', { type: 'fluoro', seq: 1, t: 0, views: [1, 2, 3].map(() => ({ u: 1, v: 1, geometry: { alpha: 30, beta: 0, sid: 1000, sod: 700, pixelSpacing: [0.2, 0.2], size: [1024, 1024] } })) }],
    ['zero SID', { type: 'fluoro', seq: 1, t: 0, views: [{ u: 1, v: 1, geometry: { alpha: 30, beta: 0, sid: 0, sod: 700, pixelSpacing: [0.2, 0.2], size: [1024, 1024] } }] }],
  ])('rejects a tip/fluoro message with %s as TG_ERR_BAD_MESSAGE', (_label, msg) => {
    expect(codeOf(() => decodeFeedFrame(foreign.pack(msg)))).toBe('TG_ERR_BAD_MESSAGE');
  });

  it('names the JSON path of the problem', () => {
    try {
      decodeFeedFrame(foreign.pack({ ...tip, p: [1, 'x', 3] }));
      expect.unreachable();
    } catch (e) {
      expect((e as TwinguideError).message).toContain('/p/1');
      expect((e as TwinguideError).path).toBe('/p/1');
    }
  });

  it('never throws anything but a TwinguideError on random bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 256 }), (bytes) => {
        const code = codeOf(() => decodeFeedFrame(bytes));
        expect(['none', 'TG_ERR_BAD_FRAME', 'TG_ERR_UNKNOWN_TYPE', 'TG_ERR_BAD_MESSAGE']).toContain(code);
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws anything but a TwinguideError on mutated valid frames (property)', () => {
    fc.assert(
      fc.property(tipSample, fc.nat(), fc.integer({ min: 0, max: 255 }), (msg, at, value) => {
        const bytes = Uint8Array.from(encodeMessage(msg));
        bytes[at % bytes.length] = value;
        const code = codeOf(() => decodeFeedFrame(bytes));
        expect(['none', 'TG_ERR_BAD_FRAME', 'TG_ERR_UNKNOWN_TYPE', 'TG_ERR_BAD_MESSAGE']).toContain(code);
      }),
      { numRuns: 2000 },
    );
  });
});
