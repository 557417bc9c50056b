// The OpenIGTLink codec against the golden vectors (cross-checked with libOpenIGTLink 1.11 and 3.x;
// copied from the team's shared vectors into test/fixtures/openigtlink).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { crc64 } from '../../protocol/openigtlink/crc64.ts';
import { decodeBody, encodeIgtl, parseHeader, type IgtlContent, type IgtlMessage } from '../../protocol/openigtlink/igtl-codec.ts';
import { IgtlStreamDecoder, type IgtlEvent } from '../../protocol/openigtlink/igtl-stream.ts';

interface Vector {
  name: string;
  valid: boolean;
  hex: string;
  headerVersion: number;
  type: string;
  deviceName: string;
  timestamp: { seconds: number; fraction: number };
  bodySize: number | string;
  bodyCrc64: string;
  fields: Record<string, unknown>;
  messageId?: number;
  metadata?: Record<string, string>;
  reasonCode?: string;
  framingValid?: boolean;
}
const vectors = JSON.parse(readFileSync(new URL('../fixtures/openigtlink/vectors.json', import.meta.url), 'utf8')) as Vector[];
const streams = JSON.parse(readFileSync(new URL('../fixtures/openigtlink/streams.json', import.meta.url), 'utf8')) as { name: string; messages: string[]; chunkSizes: number[]; hex: string }[];
const bytes = (hex: string): Uint8Array => Uint8Array.from(Buffer.from(hex, 'hex'));

/** The vector's fields as the codec's content (the inverse of what decode must produce). */
function contentOf(v: Vector): IgtlContent {
  const f = <T>(key: string): T => v.fields[key] as T;
  type M = IgtlContent & { type: 'TRANSFORM' };
  switch (v.type) {
    case 'TRANSFORM': return { type: 'TRANSFORM', rotation: f<M['rotation']>('rotation'), translationMm: f<M['translationMm']>('translationMm') };
    case 'POSITION': {
      const size = f<28 | 24 | 12>('contentSize');
      const q = size === 24 ? ([...f<number[]>('quaternionXYZ'), 0] as [number, number, number, number]) : f<[number, number, number, number] | null>('quaternion');
      return { type: 'POSITION', positionMm: f<[number, number, number]>('positionMm'), quaternion: q, contentSize: size };
    }
    case 'STATUS': return { type: 'STATUS', code: f<number>('code'), subcode: f<number>('subcode'), errorName: f<string>('errorName'), statusString: f<string>('statusString') };
    case 'STRING': return { type: 'STRING', encoding: f<number>('encoding'), string: f<string>('string') };
    case 'TDATA': return { type: 'TDATA', elements: f<{ name: string; type: number; rotation: M['rotation']; translationMm: M['translationMm'] }[]>('elements').map((e) => ({ name: e.name, type: e.type, rotation: e.rotation, translationMm: e.translationMm })) };
    case 'STT_TDATA': return { type: 'STT_TDATA', resolutionMs: f<number>('resolutionMs'), coordinateName: f<string>('coordinateName') };
    case 'RTS_TDATA': return { type: 'RTS_TDATA', status: f<number>('status') };
    case 'STP_TDATA': return { type: 'STP_TDATA' };
    default: return { type: 'GET_STATUS' };
  }
}

describe('CRC-64/ECMA-182', () => {
  it('has the check value and the documented CRCs', () => {
    expect(crc64(new TextEncoder().encode('123456789'))).toBe(0x6c40df5f0b497347n);
    expect(crc64(new Uint8Array(0))).toBe(0n);
    expect(crc64(new Uint8Array(17))).toBe(0n);
  });
});

describe.each(vectors.filter((v) => v.valid).map((v) => [v.name, v] as const))('valid vector %s', (_name, v) => {
  const raw = bytes(v.hex);
  const header = parseHeader(raw);

  it('decodes the header and body to exactly the recorded fields', () => {
    expect(header.version).toBe(v.headerVersion);
    expect(header.type).toBe(v.type);
    expect(header.deviceName).toBe(v.deviceName);
    expect(header.timestamp).toEqual(v.timestamp);
    expect(header.bodySize).toBe(BigInt(v.bodySize));
    expect(header.crc).toBe(BigInt(v.bodyCrc64));
    expect(crc64(raw, 58)).toBe(header.crc);
    const message = decodeBody(header, raw.subarray(58));
    const expected = contentOf(v);
    if (expected.type === 'POSITION' && expected.contentSize === 24) expected.quaternion = v.fields['quaternion'] as [number, number, number, number];
    expect(message.content).toEqual(expected);
    if (v.headerVersion === 2) {
      expect(message.messageId).toBe(v.messageId);
      expect(message.metadata).toEqual(v.metadata ?? {});
    }
  });

  it('encodes the fields to exactly the recorded bytes', () => {
    const message: IgtlMessage = { headerVersion: v.headerVersion as 1 | 2, deviceName: v.deviceName, timestamp: v.timestamp, content: contentOf(v), ...(v.headerVersion === 2 ? { messageId: v.messageId ?? 0, metadata: v.metadata ?? {} } : {}) };
    expect(Buffer.from(encodeIgtl(message)).toString('hex')).toBe(v.hex);
  });
});

describe('invalid vectors get what the vectors prescribe', () => {
  const outcome = (hex: string): IgtlEvent[] => new IgtlStreamDecoder(64 * 1024).push(bytes(hex));
  const byName = (n: string): Vector => vectors.find((v) => v.name === n)!;

  it('bad CRC: the message is dropped, the stream goes on', () => {
    const next = byName('status_ok_v1').hex;
    const events = outcome(byName('bad_crc').hex + next);
    expect(events.map((e) => (e.kind === 'message' ? e.message.content.type : `${e.kind}:${e.code}`))).toEqual(['rejected:TG_ERR_IGTL_CRC', 'STATUS']);
  });

  it('incomplete body: nothing is decoded yet, the bytes wait', () => {
    const decoder = new IgtlStreamDecoder(64 * 1024);
    expect(decoder.push(bytes(byName('body_incomplete').hex))).toEqual([]);
    expect(decoder.pending).toBeGreaterThan(58);
  });

  it.each(['body_size_over_limit', 'body_size_u64_max'])('%s: fatal on the header alone (the connection is to be closed)', (name) => {
    const events = outcome(byName(name).hex.slice(0, 58 * 2));
    expect(events).toHaveLength(1);
    expect(events[0]!.kind).toBe('fatal');
    expect(events[0]!.kind !== 'message' && events[0]!.code).toBe('TG_ERR_IGTL_TOO_LARGE');
  });

  it.each([
    ['unknown_type', 'TG_ERR_IGTL_UNKNOWN_TYPE'],
    ['transform_wrong_body_size', 'TG_ERR_IGTL_BAD_CONTENT'],
    ['position_wrong_body_size', 'TG_ERR_IGTL_BAD_CONTENT'],
    ['v2_metadata_size_overflow', 'TG_ERR_IGTL_BAD_CONTENT'],
    ['header_version_3', 'TG_ERR_IGTL_VERSION'],
  ])('%s: rejected with %s, and the stream carries on', (name, code) => {
    const events = outcome(byName(name).hex + byName('position_12_v1').hex);
    expect(events.map((e) => (e.kind === 'message' ? e.message.content.type : `${e.kind}:${e.code}`))).toEqual([`rejected:${code}`, 'POSITION']);
  });

  it('NaN coordinates: framing is valid and the message decodes; the sample is for the application to refuse', () => {
    const [event] = outcome(byName('transform_nan').hex);
    expect(event!.kind).toBe('message');
    const content = (event as Extract<IgtlEvent, { kind: 'message' }>).message.content;
    expect(content.type === 'TRANSFORM' && content.translationMm.some(Number.isNaN)).toBe(true);
  });
});

describe('streams', () => {
  it.each(streams.map((s) => [s.name, s] as const))('%s: framed across the given chunk sizes', (_name, s) => {
    const decoder = new IgtlStreamDecoder(64 * 1024);
    const all = bytes(s.hex);
    const events: IgtlEvent[] = [];
    let at = 0;
    for (const size of s.chunkSizes) {
      events.push(...decoder.push(all.subarray(at, at + size)));
      at += size;
    }
    if (at < all.length) events.push(...decoder.push(all.subarray(at)));
    const expected = s.messages.map((n) => vectors.find((v) => v.name === n)!).map((v) => (v.valid ? v.type : 'skipped'));
    expect(events.map((e) => (e.kind === 'message' ? e.message.content.type : 'skipped'))).toEqual(expected);
    expect(decoder.pending).toBe(0);
  });
});
