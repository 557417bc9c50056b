// OpenIGTLink messages (the protocol of 3D Slicer, SlicerIGT and the PLUS toolkit): the 58-byte
// header (versions 1 and 2, v2 with extended header and metadata), CRC-64 checked bodies, and the
// contents twinguide speaks: TRANSFORM, POSITION (28, 24 or 12 bytes), STATUS, STRING, TDATA with
// STT_/STP_/RTS_TDATA, GET_STATUS. Big-endian float32 on the wire. No I/O: see the stream decoder.

import { TwinguideError } from '../errors.ts';
import { crc64 } from './crc64.ts';

export const HEADER_BYTES = 58;
export const V2_EXTENDED_HEADER_BYTES = 12;

export interface IgtlHeader {
  version: number;
  type: string;
  deviceName: string;
  timestamp: { seconds: number; fraction: number };
  bodySize: bigint;
  crc: bigint;
}

export type Matrix3 = [[number, number, number], [number, number, number], [number, number, number]];

export type IgtlContent =
  | { type: 'TRANSFORM'; rotation: Matrix3; translationMm: [number, number, number] }
  | { type: 'POSITION'; positionMm: [number, number, number]; quaternion: [number, number, number, number] | null; contentSize: 28 | 24 | 12 }
  | { type: 'STATUS'; code: number; subcode: number; errorName: string; statusString: string }
  | { type: 'STRING'; encoding: number; string: string }
  | { type: 'TDATA'; elements: { name: string; type: number; rotation: Matrix3; translationMm: [number, number, number] }[] }
  | { type: 'STT_TDATA'; resolutionMs: number; coordinateName: string }
  | { type: 'STP_TDATA' }
  | { type: 'RTS_TDATA'; status: number }
  | { type: 'GET_STATUS' }
  /** SENSOR (OpenIGTLink 2+): LARRAY readings (float64) with a status and a packed SI unit. */
  | { type: 'SENSOR'; status: number; unit: bigint; values: number[] };

export const IGTL_TYPES = ['TRANSFORM', 'POSITION', 'STATUS', 'STRING', 'TDATA', 'STT_TDATA', 'STP_TDATA', 'RTS_TDATA', 'GET_STATUS', 'SENSOR'] as const;

export interface IgtlMessage {
  headerVersion: 1 | 2;
  deviceName: string;
  timestamp: { seconds: number; fraction: number };
  /** Header v2 only. */
  messageId?: number;
  metadata?: Record<string, string>;
  content: IgtlContent;
}

const ascii = (bytes: Uint8Array, start: number, length: number): string => {
  let end = start;
  while (end < start + length && bytes[end] !== 0) end++;
  return new TextDecoder('latin1').decode(bytes.subarray(start, end));
};

export function parseHeader(bytes: Uint8Array, offset = 0): IgtlHeader {
  const view = new DataView(bytes.buffer, bytes.byteOffset + offset, HEADER_BYTES);
  return {
    version: view.getUint16(0),
    type: ascii(bytes, offset + 2, 12),
    deviceName: ascii(bytes, offset + 14, 20),
    timestamp: { seconds: view.getUint32(34), fraction: view.getUint32(38) },
    bodySize: view.getBigUint64(42),
    crc: view.getBigUint64(50),
  };
}

const bad = (message: string): TwinguideError => new TwinguideError('TG_ERR_IGTL_BAD_CONTENT', message);

/** 12 float32 (R11 R21 R31 R12 R22 R32 R13 R23 R33 TX TY TZ: column by column) → rotation rows + translation. */
function readTransform(view: DataView, at: number): { rotation: Matrix3; translationMm: [number, number, number] } {
  const f = (k: number): number => view.getFloat32(at + 4 * k);
  return {
    rotation: [
      [f(0), f(3), f(6)],
      [f(1), f(4), f(7)],
      [f(2), f(5), f(8)],
    ],
    translationMm: [f(9), f(10), f(11)],
  };
}

function writeTransform(view: DataView, at: number, rotation: Matrix3, t: readonly number[]): void {
  const wire = [rotation[0][0], rotation[1][0], rotation[2][0], rotation[0][1], rotation[1][1], rotation[2][1], rotation[0][2], rotation[1][2], rotation[2][2], t[0]!, t[1]!, t[2]!];
  wire.forEach((v, k) => view.setFloat32(at + 4 * k, v));
}

/** Decode one content of a known type from body bytes [start, end). */
export function decodeContent(type: string, body: Uint8Array, start: number, end: number): IgtlContent {
  const size = end - start;
  const view = new DataView(body.buffer, body.byteOffset + start, size);
  switch (type) {
    case 'TRANSFORM':
      if (size !== 48) throw bad(`TRANSFORM content is ${size} bytes, not 48`);
      return { type, ...readTransform(view, 0) };
    case 'POSITION': {
      if (size !== 28 && size !== 24 && size !== 12) throw bad(`POSITION content is ${size} bytes, not 28, 24 or 12`);
      const positionMm: [number, number, number] = [view.getFloat32(0), view.getFloat32(4), view.getFloat32(8)];
      if (size === 12) return { type, positionMm, quaternion: null, contentSize: 12 };
      const qx = view.getFloat32(12), qy = view.getFloat32(16), qz = view.getFloat32(20);
      if (size === 28) return { type, positionMm, quaternion: [qx, qy, qz, view.getFloat32(24)], contentSize: 28 };
      // 24 bytes: w from the unit norm (≥ 0), or identity when that is impossible (as the library does).
      const w2 = 1 - qx * qx - qy * qy - qz * qz;
      return { type, positionMm, quaternion: w2 < 0 ? [0, 0, 0, 1] : [qx, qy, qz, Math.fround(Math.sqrt(w2))], contentSize: 24 };
    }
    case 'STATUS': {
      if (size < 30) throw bad(`STATUS content is ${size} bytes, less than 30`);
      return { type, code: view.getUint16(0), subcode: Number(view.getBigInt64(2)), errorName: ascii(body, start + 10, 20), statusString: ascii(body, start + 30, size - 30) };
    }
    case 'SENSOR': {
      // LARRAY uint8, STATUS uint8, UNIT uint64, then LARRAY float64 readings.
      if (size < 10) throw bad(`SENSOR content is ${size} bytes, less than 10`);
      const count = view.getUint8(0);
      if (size !== 10 + 8 * count) throw bad(`SENSOR says ${count} readings (${10 + 8 * count} bytes) but has ${size}`);
      const values: number[] = [];
      for (let k = 0; k < count; k++) values.push(view.getFloat64(10 + 8 * k));
      return { type, status: view.getUint8(1), unit: view.getBigUint64(2), values };
    }
    case 'STRING': {
      if (size < 4) throw bad(`STRING content is ${size} bytes, less than 4`);
      const encoding = view.getUint16(0), length = view.getUint16(2);
      if (4 + length > size) throw bad(`STRING says ${length} bytes but has ${size - 4}`);
      const text = new TextDecoder(encoding === 106 ? 'utf-8' : 'latin1').decode(body.subarray(start + 4, start + 4 + length));
      return { type, encoding, string: text };
    }
    case 'TDATA': {
      if (size % 70 !== 0) throw bad(`TDATA content is ${size} bytes, not a multiple of 70`);
      const elements = [];
      for (let at = 0; at < size; at += 70) elements.push({ name: ascii(body, start + at, 20), type: view.getUint8(at + 20), ...readTransform(view, at + 22) });
      return { type, elements };
    }
    case 'STT_TDATA':
      if (size !== 36 && size !== 4) throw bad(`STT_TDATA content is ${size} bytes, not 36 or 4`);
      return { type, resolutionMs: view.getUint32(0), coordinateName: size === 36 ? ascii(body, start + 4, 32) : '' };
    case 'STP_TDATA':
      return { type };
    case 'RTS_TDATA':
      if (size !== 1) throw bad(`RTS_TDATA content is ${size} bytes, not 1`);
      return { type, status: view.getUint8(0) };
    case 'GET_STATUS':
      return { type };
    default:
      throw new TwinguideError('TG_ERR_IGTL_UNKNOWN_TYPE', `OpenIGTLink type '${type}' is not handled`);
  }
}

function encodeContent(content: IgtlContent): Uint8Array {
  const enc = new TextEncoder();
  const name = (text: string, bytes: Uint8Array, at: number, field: number): void => bytes.set(enc.encode(text).subarray(0, field), at);
  switch (content.type) {
    case 'TRANSFORM': {
      const b = new Uint8Array(48);
      writeTransform(new DataView(b.buffer), 0, content.rotation, content.translationMm);
      return b;
    }
    case 'POSITION': {
      const b = new Uint8Array(content.contentSize);
      const v = new DataView(b.buffer);
      content.positionMm.forEach((x, k) => v.setFloat32(4 * k, x));
      if (content.quaternion) content.quaternion.slice(0, content.contentSize === 28 ? 4 : 3).forEach((x, k) => v.setFloat32(12 + 4 * k, x));
      return b;
    }
    case 'STATUS': {
      const text = enc.encode(content.statusString);
      const b = new Uint8Array(30 + text.length + (text.length > 0 ? 1 : 0));
      const v = new DataView(b.buffer);
      v.setUint16(0, content.code);
      v.setBigInt64(2, BigInt(content.subcode));
      name(content.errorName, b, 10, 20);
      b.set(text, 30);
      return b;
    }
    case 'STRING': {
      const text = content.encoding === 106 ? enc.encode(content.string) : Uint8Array.from(content.string, (c) => c.charCodeAt(0) & 0xff);
      const b = new Uint8Array(4 + text.length);
      const v = new DataView(b.buffer);
      v.setUint16(0, content.encoding);
      v.setUint16(2, text.length);
      b.set(text, 4);
      return b;
    }
    case 'TDATA': {
      const b = new Uint8Array(70 * content.elements.length);
      const v = new DataView(b.buffer);
      content.elements.forEach((e, i) => {
        name(e.name, b, 70 * i, 20);
        v.setUint8(70 * i + 20, e.type);
        writeTransform(v, 70 * i + 22, e.rotation, e.translationMm);
      });
      return b;
    }
    case 'STT_TDATA': {
      const b = new Uint8Array(36);
      new DataView(b.buffer).setUint32(0, content.resolutionMs);
      name(content.coordinateName, b, 4, 32);
      return b;
    }
    case 'RTS_TDATA':
      return Uint8Array.of(content.status);
    case 'SENSOR': {
      const b = new Uint8Array(10 + 8 * content.values.length);
      const v = new DataView(b.buffer);
      v.setUint8(0, content.values.length);
      v.setUint8(1, content.status);
      v.setBigUint64(2, content.unit);
      content.values.forEach((x, k) => v.setFloat64(10 + 8 * k, x));
      return b;
    }
    case 'STP_TDATA':
    case 'GET_STATUS':
      return new Uint8Array(0);
  }
}

/** Encode a whole message (header + body), header v1 or v2 (with metadata; keys sorted as the library does). */
export function encodeIgtl(message: IgtlMessage): Uint8Array {
  const content = encodeContent(message.content);
  let body = content;
  if (message.headerVersion === 2) {
    const entries = Object.entries(message.metadata ?? {}).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    const enc = new TextEncoder();
    const pairs = entries.map(([k, v]) => [enc.encode(k), enc.encode(v)] as const);
    const metaHeaderSize = 2 + 8 * pairs.length;
    const metaSize = pairs.reduce((s, [k, v]) => s + k.length + v.length, 0);
    body = new Uint8Array(V2_EXTENDED_HEADER_BYTES + content.length + metaHeaderSize + metaSize);
    const v = new DataView(body.buffer);
    v.setUint16(0, V2_EXTENDED_HEADER_BYTES);
    v.setUint16(2, metaHeaderSize);
    v.setUint32(4, metaSize);
    v.setUint32(8, message.messageId ?? 0);
    body.set(content, V2_EXTENDED_HEADER_BYTES);
    let at = V2_EXTENDED_HEADER_BYTES + content.length;
    v.setUint16(at, pairs.length);
    at += 2;
    for (const [k, val] of pairs) {
      v.setUint16(at, k.length);
      v.setUint16(at + 2, 3); // US-ASCII
      v.setUint32(at + 4, val.length);
      at += 8;
    }
    for (const [k, val] of pairs) {
      body.set(k, at);
      at += k.length;
      body.set(val, at);
      at += val.length;
    }
  }
  const out = new Uint8Array(HEADER_BYTES + body.length);
  const view = new DataView(out.buffer);
  view.setUint16(0, message.headerVersion);
  out.set(new TextEncoder().encode(message.content.type).subarray(0, 12), 2);
  out.set(new TextEncoder().encode(message.deviceName).subarray(0, 20), 14);
  view.setUint32(34, message.timestamp.seconds);
  view.setUint32(38, message.timestamp.fraction);
  view.setBigUint64(42, BigInt(body.length));
  view.setBigUint64(50, crc64(body));
  out.set(body, HEADER_BYTES);
  return out;
}

/**
 * Decode a body whose header is known and whose CRC has been checked. Header v2: the extended
 * header and metadata sizes must fit inside the body (never read outside it).
 */
export function decodeBody(header: IgtlHeader, body: Uint8Array): IgtlMessage {
  const timestamp = header.timestamp;
  if (header.version === 1) return { headerVersion: 1, deviceName: header.deviceName, timestamp, content: decodeContent(header.type, body, 0, body.length) };
  if (body.length < V2_EXTENDED_HEADER_BYTES) throw bad(`header v2 body of ${body.length} bytes has no room for its extended header`);
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  const extSize = view.getUint16(0), metaHeaderSize = view.getUint16(2), metaSize = view.getUint32(4), messageId = view.getUint32(8);
  if (extSize !== V2_EXTENDED_HEADER_BYTES) throw bad(`extended header size ${extSize}, not 12`);
  const contentEnd = body.length - metaHeaderSize - metaSize;
  if (contentEnd < extSize || metaHeaderSize < 2) throw bad(`metadata of ${metaHeaderSize} + ${metaSize} bytes does not fit a ${body.length}-byte body`);
  const count = view.getUint16(contentEnd);
  if (2 + 8 * count !== metaHeaderSize) throw bad(`metadata header of ${metaHeaderSize} bytes for ${count} entries`);
  const metadata: Record<string, string> = {};
  let at = contentEnd + metaHeaderSize;
  for (let i = 0; i < count; i++) {
    const keySize = view.getUint16(contentEnd + 2 + 8 * i), valueSize = view.getUint32(contentEnd + 2 + 8 * i + 4);
    if (at + keySize + valueSize > body.length) throw bad('a metadata entry runs past the body');
    const key = new TextDecoder('latin1').decode(body.subarray(at, at + keySize));
    const value = new TextDecoder('latin1').decode(body.subarray(at + keySize, at + keySize + valueSize));
    metadata[key] = value;
    at += keySize + valueSize;
  }
  return { headerVersion: 2, deviceName: header.deviceName, timestamp, messageId, metadata, content: decodeContent(header.type, body, extSize, contentEnd) };
}
