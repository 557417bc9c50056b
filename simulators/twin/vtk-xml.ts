// VTK XML PolyData (.vtp), as VTK 9, pyvista, VMTK and pyansys-heart write it: every DataArray
// format (ascii, inline base64 "binary", appended raw or base64), headers of UInt32 or UInt64,
// uncompressed or vtkZLibDataCompressor blocks, either byte order. Only what a twin needs is kept:
// points, polygons (and strips), lines (centrelines) and point-data arrays (fields on vertices).
// The XML is read with a small tag scanner: the appended section is raw bytes, not XML.

import { inflateSync } from 'node:zlib';

/** A decompressed array may not exceed this (a heart surface is a few MB). */
const MAX_ARRAY_BYTES = 256 * 1024 * 1024;

export interface PointArray {
  components: number;
  values: Float64Array;
}

export interface PolyDataFile {
  points: Float64Array;
  polys: number[][];
  strips: number[][];
  lines: number[][];
  pointData: Map<string, PointArray>;
  /** 3D Slicer's coordinate system, from a field-data string array named SPACE. */
  space?: 'RAS' | 'LPS';
}

interface Tag {
  name: string;
  attrs: Record<string, string>;
  /** Text between the open and close tag (inline data), empty for a self-closing tag. */
  body: string;
}

const TYPE_WIDTH: Record<string, number> = {
  Int8: 1, UInt8: 1, Int16: 2, UInt16: 2, Int32: 4, UInt32: 4, Int64: 8, UInt64: 8, Float32: 4, Float64: 8,
};

export function parseVtp(bytes: Buffer): PolyDataFile {
  const appendedAt = bytes.indexOf('<AppendedData');
  const text = bytes.subarray(0, appendedAt < 0 ? bytes.length : appendedAt).toString('latin1');
  const file = /<VTKFile\b([^>]*)>/.exec(text);
  if (!file) throw new Error('not a VTK XML file (no <VTKFile>)');
  const fileAttrs = attributes(file[1]!);
  if (fileAttrs['type'] !== 'PolyData') throw new Error(`a ${fileAttrs['type'] ?? 'untyped'} VTK XML file; a surface or centreline is PolyData (.vtp)`);
  const little = (fileAttrs['byte_order'] ?? 'LittleEndian') !== 'BigEndian';
  const headerWidth = (fileAttrs['header_type'] ?? 'UInt32') === 'UInt64' ? 8 : 4;
  const compressor = fileAttrs['compressor'];
  if (compressor && compressor !== 'vtkZLibDataCompressor') throw new Error(`compressor ${compressor} is not supported (use zlib or none)`);
  const codec: Codec = { little, headerWidth, zlib: Boolean(compressor) };

  let appended: { raw: Buffer; base64: boolean } | null = null;
  if (appendedAt >= 0) {
    const open = /<AppendedData\b([^>]*)>/.exec(bytes.subarray(appendedAt, appendedAt + 512).toString('latin1'));
    if (!open) throw new Error('malformed <AppendedData>');
    const encoding = attributes(open[1]!)['encoding'] ?? 'raw';
    const underscore = bytes.indexOf(0x5f, appendedAt + open[0].length); // '_' marks the start
    if (underscore < 0) throw new Error('<AppendedData> without its "_" marker');
    appended = { raw: bytes.subarray(underscore + 1), base64: encoding === 'base64' };
  }

  // 3D Slicer names the coordinate system in a field-data string array SPACE ("RAS" or "LPS").
  let space: 'RAS' | 'LPS' | undefined;
  const spaceTag = /<Array\b([^>]*\bName="SPACE"[^>]*?)(\/>|>([\s\S]*?)<\/Array>)/.exec(text);
  if (spaceTag) {
    const tag: Tag = { name: 'Array', attrs: { ...attributes(spaceTag[1]!), type: 'UInt8' }, body: spaceTag[3] ?? '' };
    const value = String.fromCharCode(...Array.from(readArray(tag, codec, appended)).filter((c) => c > 0 && c < 128)).trim();
    if (value === 'RAS' || value === 'LPS') space = value;
  }
  const pieces = [...text.matchAll(/<Piece\b([^>]*)>([\s\S]*?)<\/Piece>/g)];
  if (pieces.length === 0) throw new Error('no <Piece> in the PolyData');
  const out: PolyDataFile = { points: new Float64Array(0), polys: [], strips: [], lines: [], pointData: new Map(), ...(space ? { space } : {}) };
  const allPoints: number[] = [];
  for (const piece of pieces) {
    const attrs = attributes(piece[1]!);
    const base = allPoints.length / 3;
    const sections = (name: string): string | null => new RegExp(`<${name}\\b[^>]*>([\\s\\S]*?)</${name}>`).exec(piece[2]!)?.[1] ?? null;
    const arraysIn = (section: string | null): Tag[] => (section === null ? [] : dataArrays(section));
    const read = (tag: Tag): Float64Array => readArray(tag, codec, appended);

    const pointsTag = arraysIn(sections('Points'))[0];
    const n = Number(attrs['NumberOfPoints'] ?? 0);
    if (!pointsTag) { if (n > 0) throw new Error('a piece has points but no <Points> array'); continue; }
    const pts = read(pointsTag);
    if (pts.length !== 3 * n) throw new Error(`<Points> holds ${pts.length / 3} points, the piece says ${n}`);
    for (const v of pts) allPoints.push(v);

    for (const [section, target] of [['Polys', out.polys], ['Strips', out.strips], ['Lines', out.lines]] as const) {
      const arrays = arraysIn(sections(section));
      if (arrays.length === 0) continue;
      const connectivity = arrays.find((a) => a.attrs['Name'] === 'connectivity');
      const offsets = arrays.find((a) => a.attrs['Name'] === 'offsets');
      if (!connectivity || !offsets) throw new Error(`<${section}> needs connectivity and offsets arrays`);
      const conn = read(connectivity);
      const offs = read(offsets);
      let start = 0;
      for (const end of offs) {
        if (!(end >= start && end <= conn.length)) throw new Error(`<${section}> offsets run outside the connectivity`);
        const cell: number[] = [];
        for (let k = start; k < end; k++) {
          const index = conn[k]!;
          if (!Number.isInteger(index) || index < 0 || index >= n) throw new Error(`<${section}> refers to point ${index} of ${n}`);
          cell.push(base + index);
        }
        target.push(cell);
        start = end;
      }
    }
    for (const tag of arraysIn(sections('PointData'))) {
      const name = tag.attrs['Name'];
      if (!name) continue;
      const values = read(tag);
      const components = Number(tag.attrs['NumberOfComponents'] ?? 1);
      if (values.length !== components * n) continue; // e.g. a string array: not a field on vertices
      const previous = out.pointData.get(name);
      out.pointData.set(name, { components, values: previous ? concat(previous.values, values) : values });
    }
  }
  out.points = Float64Array.from(allPoints);
  for (const [name, array] of out.pointData) if (array.values.length !== (array.components * allPoints.length) / 3) out.pointData.delete(name);
  return out;
}

function concat(a: Float64Array, b: Float64Array): Float64Array {
  const out = new Float64Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

function attributes(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of text.matchAll(/([A-Za-z_][\w.-]*)\s*=\s*"([^"]*)"/g)) out[m[1]!] = m[2]!;
  return out;
}

function dataArrays(section: string): Tag[] {
  const tags: Tag[] = [];
  const re = /<DataArray\b([^>]*?)(\/>|>([\s\S]*?)<\/DataArray>)/g;
  for (const m of section.matchAll(re)) tags.push({ name: 'DataArray', attrs: attributes(m[1]!), body: m[3] ?? '' });
  return tags;
}

interface Codec {
  little: boolean;
  headerWidth: number;
  zlib: boolean;
}

function readArray(tag: Tag, codec: Codec, appended: { raw: Buffer; base64: boolean } | null): Float64Array {
  const type = tag.attrs['type'] ?? '';
  const width = TYPE_WIDTH[type];
  if (width === undefined) throw new Error(`DataArray ${tag.attrs['Name'] ?? ''} has type '${type}', not a number type`);
  const format = tag.attrs['format'] ?? 'ascii';
  let data: Buffer;
  if (format === 'ascii') {
    // VTK 9 puts <InformationKey> elements (with numbers of their own) inside ascii arrays.
    const body = tag.body.replace(/<InformationKey\b[\s\S]*?(<\/InformationKey>|\/>)/g, ' ').replace(/<[^>]*>/g, ' ');
    const words = body.trim().split(/\s+/).filter((w) => w.length > 0);
    const out = new Float64Array(words.length);
    for (let i = 0; i < words.length; i++) {
      const v = Number(words[i]);
      if (Number.isNaN(v) && !/^nan$/i.test(words[i]!)) throw new Error(`DataArray ${tag.attrs['Name'] ?? ''}: '${words[i]}' is not a number`);
      out[i] = v;
    }
    return out;
  } else if (format === 'binary') {
    data = decodeBase64Block(tag.body.replace(/<InformationKey\b[\s\S]*?(<\/InformationKey>|\/>)/g, '').replace(/\s+/g, ''), codec);
  } else if (format === 'appended') {
    if (!appended) throw new Error('an appended DataArray but no <AppendedData>');
    const offset = Number(tag.attrs['offset']);
    if (!Number.isSafeInteger(offset) || offset < 0) throw new Error('an appended DataArray without a valid offset');
    data = appended.base64 ? decodeBase64Block(appended.raw.subarray(offset).toString('latin1').replace(/[^A-Za-z0-9+/=]/g, ''), codec) : decodeRawBlock(appended.raw.subarray(offset), codec);
  } else {
    throw new Error(`DataArray format '${format}' is not one of ascii, binary, appended`);
  }
  return numbers(data, type, width, codec.little);
}

function headerInts(buf: Buffer, count: number, codec: Codec): number[] {
  if (buf.length < count * codec.headerWidth) throw new Error('binary data shorter than its header');
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * codec.headerWidth;
    out.push(codec.headerWidth === 8 ? Number(codec.little ? buf.readBigUInt64LE(o) : buf.readBigUInt64BE(o)) : codec.little ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  }
  return out;
}

/** Raw appended bytes at an array's offset: a header, then the data (or the compressed blocks). */
function decodeRawBlock(raw: Buffer, codec: Codec): Buffer {
  const w = codec.headerWidth;
  if (!codec.zlib) {
    const [size] = headerInts(raw, 1, codec);
    if (size! > MAX_ARRAY_BYTES || w + size! > raw.length) throw new Error('an appended array runs past the end of the file');
    return raw.subarray(w, w + size!);
  }
  const [blocks] = headerInts(raw, 1, codec);
  if (blocks! > 1_000_000) throw new Error('implausible compressed block count');
  const header = headerInts(raw, 3 + blocks!, codec);
  return inflateBlocks(raw.subarray((3 + blocks!) * w), header);
}

/**
 * Inline or appended base64. Uncompressed, header and data are one base64 stream; compressed,
 * the header is encoded on its own and the blocks after it (VTK's layout).
 */
function decodeBase64Block(text: string, codec: Codec): Buffer {
  const w = codec.headerWidth;
  const chars = (bytes: number): number => 4 * Math.ceil(bytes / 3);
  if (!codec.zlib) {
    const [size] = headerInts(Buffer.from(text.slice(0, chars(w)), 'base64'), 1, codec);
    if (size! > MAX_ARRAY_BYTES) throw new Error('an array larger than the limit');
    const data = Buffer.from(text.slice(0, chars(w + size!)), 'base64');
    if (data.length < w + size!) throw new Error('base64 data shorter than its header says');
    return data.subarray(w, w + size!);
  }
  const [blocks] = headerInts(Buffer.from(text.slice(0, chars(3 * w)), 'base64'), 1, codec);
  if (blocks! > 1_000_000) throw new Error('implausible compressed block count');
  const headerChars = chars((3 + blocks!) * w);
  const header = headerInts(Buffer.from(text.slice(0, headerChars), 'base64'), 3 + blocks!, codec);
  const compressed = header.slice(3).reduce((a, b) => a + b, 0);
  return inflateBlocks(Buffer.from(text.slice(headerChars, headerChars + chars(compressed)), 'base64'), header);
}

function inflateBlocks(body: Buffer, header: number[]): Buffer {
  const [blocks, blockSize, lastSize] = header as [number, number, number];
  const total = blocks === 0 ? 0 : (blocks - 1) * blockSize + (lastSize === 0 ? blockSize : lastSize);
  if (total > MAX_ARRAY_BYTES) throw new Error('a compressed array larger than the limit');
  const parts: Buffer[] = [];
  let at = 0;
  for (let b = 0; b < blocks; b++) {
    const size = header[3 + b]!;
    if (at + size > body.length) throw new Error('compressed data shorter than its header says');
    parts.push(inflateSync(body.subarray(at, at + size), { maxOutputLength: Math.max(1, blockSize) }));
    at += size;
  }
  const out = Buffer.concat(parts);
  if (out.length !== total) throw new Error(`compressed data inflated to ${out.length} bytes, the header says ${total}`);
  return out;
}

function numbers(data: Buffer, type: string, width: number, little: boolean): Float64Array {
  if (data.length % width !== 0) throw new Error(`${type} data of ${data.length} bytes`);
  const n = data.length / width;
  const out = new Float64Array(n);
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  for (let i = 0; i < n; i++) {
    const o = i * width;
    switch (type) {
      case 'Float32': out[i] = view.getFloat32(o, little); break;
      case 'Float64': out[i] = view.getFloat64(o, little); break;
      case 'Int8': out[i] = view.getInt8(o); break;
      case 'UInt8': out[i] = view.getUint8(o); break;
      case 'Int16': out[i] = view.getInt16(o, little); break;
      case 'UInt16': out[i] = view.getUint16(o, little); break;
      case 'Int32': out[i] = view.getInt32(o, little); break;
      case 'UInt32': out[i] = view.getUint32(o, little); break;
      case 'Int64': out[i] = Number(view.getBigInt64(o, little)); break;
      default: out[i] = Number(view.getBigUint64(o, little)); break;
    }
  }
  return out;
}
