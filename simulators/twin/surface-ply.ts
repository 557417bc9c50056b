// Stanford PLY, ASCII and binary (either byte order), as VTK, pyvista, Meshlab and 3D Slicer
// write it: the vertex element's x, y, z (any other scalar vertex property is kept as a field on
// the vertices), the face element's index list (vertex_indices or vertex_index). Other elements
// are skipped. Comments may carry Slicer's SPACE=RAS|LPS.

import type { PolyDataFile } from './vtk-xml.ts';

const WIDTH: Record<string, number> = {
  char: 1, int8: 1, uchar: 1, uint8: 1, short: 2, int16: 2, ushort: 2, uint16: 2,
  int: 4, int32: 4, uint: 4, uint32: 4, float: 4, float32: 4, double: 8, float64: 8,
};

interface Property { name: string; type: string; list?: { count: string } }
interface Element { name: string; count: number; properties: Property[] }

export function parsePly(bytes: Buffer): PolyDataFile {
  const end = bytes.indexOf('end_header');
  if (!bytes.subarray(0, 3).toString('latin1').startsWith('ply') || end < 0) throw new Error('not a PLY file (no "ply" … "end_header")');
  const headerEnd = bytes.indexOf(0x0a, end) + 1;
  const header = bytes.subarray(0, headerEnd).toString('latin1').split(/\r?\n/);
  let format = '';
  const elements: Element[] = [];
  for (const line of header) {
    const w = line.trim().split(/\s+/);
    if (w[0] === 'format') format = w[1] ?? '';
    else if (w[0] === 'element') elements.push({ name: w[1] ?? '', count: Number(w[2]), properties: [] });
    else if (w[0] === 'property') {
      const el = elements[elements.length - 1];
      if (!el) throw new Error('a property before any element');
      if (w[1] === 'list') el.properties.push({ name: w[4] ?? '', type: w[3] ?? '', list: { count: w[2] ?? '' } });
      else el.properties.push({ name: w[2] ?? '', type: w[1] ?? '' });
    }
  }
  for (const el of elements) {
    if (!Number.isSafeInteger(el.count) || el.count < 0) throw new Error(`element ${el.name} has count '${el.count}'`);
    for (const p of el.properties) for (const t of [p.type, p.list?.count].filter((x): x is string => x !== undefined)) if (!(t in WIDTH)) throw new Error(`property ${p.name} has unknown type '${t}'`);
  }
  if (!['ascii', 'binary_little_endian', 'binary_big_endian'].includes(format)) throw new Error(`PLY format '${format}' is not ascii or binary`);
  const reader = format === 'ascii' ? new AsciiReader(bytes.subarray(headerEnd).toString('latin1')) : new BinaryReader(bytes, headerEnd, format === 'binary_little_endian');

  const points: number[] = [];
  const polys: number[][] = [];
  const pointData = new Map<string, { components: number; values: Float64Array }>();
  for (const el of elements) {
    const isVertex = el.name === 'vertex';
    const isFace = el.name === 'face';
    const xyz = ['x', 'y', 'z'].map((n) => el.properties.findIndex((p) => p.name === n && !p.list));
    if (isVertex && xyz.some((i) => i < 0)) throw new Error('the vertex element lacks x, y or z');
    const scalars = isVertex ? el.properties.map((p, i) => ({ p, i })).filter(({ p, i }) => !p.list && !xyz.includes(i)) : [];
    const fields = scalars.map(() => new Float64Array(el.count));
    for (let r = 0; r < el.count; r++) {
      const row: (number | number[])[] = el.properties.map((p) => (p.list ? reader.list(p.list.count, p.type) : reader.scalar(p.type)));
      if (isVertex) {
        for (const i of xyz) points.push(row[i] as number);
        scalars.forEach(({ i }, k) => { fields[k]![r] = row[i] as number; });
      } else if (isFace) {
        const list = row.find((v) => Array.isArray(v)) as number[] | undefined;
        if (!list) throw new Error('the face element has no index list');
        polys.push(list);
      }
    }
    scalars.forEach(({ p }, k) => pointData.set(p.name, { components: 1, values: fields[k]! }));
  }
  const count = points.length / 3;
  for (const f of polys) for (const i of f) if (!Number.isInteger(i) || i < 0 || i >= count) throw new Error(`a face refers to vertex ${i} of ${count}`);
  return { points: Float64Array.from(points), polys, strips: [], lines: [], pointData };
}

interface Reader {
  scalar(type: string): number;
  list(countType: string, type: string): number[];
}

class AsciiReader implements Reader {
  private readonly words: string[];
  private at = 0;
  constructor(text: string) {
    this.words = text.split(/\s+/).filter((w) => w.length > 0);
  }
  scalar(): number {
    const w = this.words[this.at++];
    if (w === undefined) throw new Error('the PLY body ends early');
    const v = Number(w);
    if (Number.isNaN(v) && !/^nan$/i.test(w)) throw new Error(`'${w}' is not a number`);
    return v;
  }
  list(): number[] {
    const n = this.scalar();
    if (!Number.isInteger(n) || n < 0 || n > 1000) throw new Error(`a list of ${n} items`);
    return Array.from({ length: n }, () => this.scalar());
  }
}

class BinaryReader implements Reader {
  private readonly view: DataView;
  constructor(bytes: Buffer, private at: number, private readonly little: boolean) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  scalar(type: string): number {
    const width = WIDTH[type]!;
    if (this.at + width > this.view.byteLength) throw new Error('the PLY body ends early');
    const o = this.at;
    this.at += width;
    switch (type) {
      case 'char': case 'int8': return this.view.getInt8(o);
      case 'uchar': case 'uint8': return this.view.getUint8(o);
      case 'short': case 'int16': return this.view.getInt16(o, this.little);
      case 'ushort': case 'uint16': return this.view.getUint16(o, this.little);
      case 'int': case 'int32': return this.view.getInt32(o, this.little);
      case 'uint': case 'uint32': return this.view.getUint32(o, this.little);
      case 'float': case 'float32': return this.view.getFloat32(o, this.little);
      default: return this.view.getFloat64(o, this.little);
    }
  }
  list(countType: string, type: string): number[] {
    const n = this.scalar(countType);
    if (!Number.isInteger(n) || n < 0 || n > 1000) throw new Error(`a list of ${n} items`);
    return Array.from({ length: n }, () => this.scalar(type));
  }
}
