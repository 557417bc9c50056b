// Legacy VTK polydata (.vtk), ASCII and binary, in the classic cell layout and VTK 9's
// OFFSETS/CONNECTIVITY one, as 3D Slicer, VTK and pyvista write it. Point data (SCALARS, VECTORS,
// NORMALS, FIELD arrays) is kept: a simulation's activation or response on the vertices.

import type { PointArray, PolyDataFile } from './vtk-xml.ts';

export function parseVtk(bytes: Buffer): PolyDataFile {
  const head = bytes.subarray(0, 1024).toString('latin1');
  if (!head.startsWith('# vtk DataFile')) throw new Error('not a legacy VTK file');
  const lines = head.split('\n');
  const format = (lines[2] ?? '').trim().toUpperCase();
  if (!/DATASET\s+POLYDATA/i.test(head)) throw new Error('only POLYDATA datasets are read');
  const reader = format === 'BINARY' ? new BinaryVtkReader(bytes) : new AsciiVtkReader(bytes.toString('latin1'));
  reader.skipHeader();
  let positions: number[] | null = null;
  const out: PolyDataFile = { points: new Float64Array(0), polys: [], strips: [], lines: [], pointData: new Map() };
  for (let keyword = reader.keyword(); keyword !== null; keyword = reader.keyword()) {
    const kw = keyword.toUpperCase();
    if (kw === 'POINTS') {
      const n = reader.int();
      const type = reader.word();
      positions = reader.numbers(3 * n, type);
    } else if (kw === 'POLYGONS' || kw === 'TRIANGLE_STRIPS' || kw === 'VERTICES' || kw === 'LINES') {
      const cells = reader.cells();
      if (kw === 'POLYGONS') out.polys.push(...cells);
      else if (kw === 'TRIANGLE_STRIPS') out.strips.push(...cells);
      else if (kw === 'LINES') out.lines.push(...cells);
    } else if (kw === 'POINT_DATA' || kw === 'CELL_DATA') {
      // Attributes are optional to a surface: an unreadable or cut-off section keeps the geometry.
      let arrays: ReturnType<typeof readAttributes>;
      try {
        arrays = readAttributes(reader, reader.int());
      } catch {
        break;
      }
      if (kw === 'POINT_DATA') for (const [name, a] of arrays) out.pointData.set(name, a);
      if (arrays.stopped) break;
    } else if ((kw === 'FIELD' || kw === 'METADATA') && !positions) {
      // Dataset-level field data before the geometry (3D Slicer's SPACE): skip to the points.
      if (!reader.skipTo(['POINTS'])) throw new Error('no POINTS');
    } else if (kw === 'METADATA') {
      // VTK 9 writes a METADATA block (array information keys) after an array: skip it.
      if (!reader.skipTo(['POLYGONS', 'TRIANGLE_STRIPS', 'VERTICES', 'LINES', 'POINT_DATA', 'CELL_DATA'])) break;
    } else if (kw === 'FIELD') {
      break; // dataset-level metadata after the geometry: nothing there is needed
    } else {
      throw new Error(`unexpected VTK keyword '${keyword}'`);
    }
  }
  if (!positions) throw new Error('no POINTS');
  out.points = Float64Array.from(positions);
  return out;
}

/** One POINT_DATA or CELL_DATA section: its arrays by name; stopped when something unreadable followed. */
function readAttributes(reader: VtkReader, n: number): Map<string, PointArray> & { stopped?: boolean } {
  const arrays: Map<string, PointArray> & { stopped?: boolean } = new Map();
  for (;;) {
    const kw = reader.peek()?.toUpperCase();
    if (kw === undefined) return arrays;
    if (kw === 'SCALARS') {
      reader.word();
      const name = reader.word();
      const type = reader.word();
      let components = 1;
      const next = reader.peek();
      if (next !== undefined && /^\d+$/.test(next)) components = reader.int();
      if (reader.peek()?.toUpperCase() === 'LOOKUP_TABLE') { reader.word(); reader.word(); }
      arrays.set(name, { components, values: Float64Array.from(reader.numbers(n * components, type)) });
    } else if (kw === 'VECTORS' || kw === 'NORMALS') {
      reader.word();
      const name = reader.word();
      const type = reader.word();
      arrays.set(name, { components: 3, values: Float64Array.from(reader.numbers(n * 3, type)) });
    } else if (kw === 'FIELD') {
      reader.word();
      reader.word(); // the field's name
      const count = reader.int();
      for (let k = 0; k < count; k++) {
        const name = reader.word();
        const components = reader.int();
        const tuples = reader.int();
        const type = reader.word();
        if (type.toLowerCase() === 'string') { arrays.stopped = true; return arrays; }
        const values = Float64Array.from(reader.numbers(components * tuples, type));
        if (tuples === n) arrays.set(name, { components, values });
      }
    } else if (kw === 'POINT_DATA' || kw === 'CELL_DATA') {
      return arrays;
    } else {
      arrays.stopped = true; // LOOKUP_TABLE data, TEXTURE_COORDINATES, METADATA…: geometry and fields are read
      return arrays;
    }
  }
}

/** VTK 9 layout: cell i is connectivity[offsets[i] .. offsets[i+1]). */
function cellsFromOffsets(offsets: number[], connectivity: number[]): number[][] {
  return offsets.slice(1).map((end, i) => connectivity.slice(offsets[i]!, end));
}

/** Classic layout: each cell is its point count followed by its point indices. */
function cellsFromCounts(flat: number[], cellCount: number): number[][] {
  const cells: number[][] = [];
  for (let i = 0, c = 0; c < cellCount; c++) {
    const k = flat[i];
    if (k === undefined || i + 1 + k > flat.length) throw new Error('cell list shorter than its count says');
    cells.push(flat.slice(i + 1, i + 1 + k));
    i += k + 1;
  }
  return cells;
}

interface VtkReader {
  skipHeader(): void;
  keyword(): string | null;
  peek(): string | undefined;
  /** Move to the next of these keywords (at a line's start); false when there is none. */
  skipTo(keywords: readonly string[]): boolean;
  word(): string;
  int(): number;
  numbers(count: number, type: string): number[];
  cells(): number[][];
}

class AsciiVtkReader implements VtkReader {
  private tokens: string[];
  private at = 0;
  constructor(text: string) {
    const lines = text.split('\n');
    this.tokens = lines.slice(3).join('\n').split(/\s+/).filter((t) => t.length > 0);
  }
  skipHeader(): void {
    while (this.at < this.tokens.length && this.tokens[this.at]!.toUpperCase() !== 'POINTS') this.at++;
  }
  keyword(): string | null {
    return this.at < this.tokens.length ? this.tokens[this.at++]! : null;
  }
  peek(): string | undefined {
    return this.tokens[this.at];
  }
  skipTo(keywords: readonly string[]): boolean {
    while (this.at < this.tokens.length && !keywords.includes(this.tokens[this.at]!.toUpperCase())) this.at++;
    return this.at < this.tokens.length;
  }
  word(): string {
    const w = this.tokens[this.at++];
    if (w === undefined) throw new Error('unexpected end of file');
    return w;
  }
  int(): number {
    const v = Number(this.word());
    if (!Number.isInteger(v) || v < 0) throw new Error('expected a count');
    return v;
  }
  numbers(count: number, _type: string): number[] {
    if (this.at + count > this.tokens.length) throw new Error('unexpected end of file');
    const out = this.tokens.slice(this.at, this.at + count).map(Number);
    this.at += count;
    return out;
  }
  cells(): number[][] {
    const n = this.int();
    const size = this.int();
    if (this.tokens[this.at]?.toUpperCase() === 'OFFSETS') {
      // VTK 9 layout: n = offsets count, size = connectivity count.
      this.at += 2;
      const offsets = this.numbers(n, 'int');
      if (this.word().toUpperCase() !== 'CONNECTIVITY') throw new Error('expected CONNECTIVITY');
      this.word();
      return cellsFromOffsets(offsets, this.numbers(size, 'int'));
    }
    return cellsFromCounts(this.numbers(size, 'int'), n);
  }
}

class BinaryVtkReader implements VtkReader {
  private at = 0;
  constructor(private readonly bytes: Buffer) {}
  private line(): string {
    const end = this.bytes.indexOf(0x0a, this.at);
    const stop = end < 0 ? this.bytes.length : end;
    const text = this.bytes.subarray(this.at, stop).toString('latin1');
    this.at = stop + 1;
    return text;
  }
  private pending: string[] = [];
  skipHeader(): void {
    for (let i = 0; i < 4; i++) this.line();
  }
  keyword(): string | null {
    while (this.pending.length === 0) {
      if (this.at >= this.bytes.length) return null;
      this.pending = this.line().trim().split(/\s+/).filter((t) => t.length > 0);
    }
    return this.pending.shift()!;
  }
  skipTo(keywords: readonly string[]): boolean {
    let best = -1;
    for (const k of keywords) {
      const at = this.bytes.indexOf(`\n${k} `, Math.max(0, this.at - 1));
      if (at >= 0 && (best < 0 || at < best)) best = at;
    }
    if (best < 0) return false;
    this.at = best + 1;
    this.pending = [];
    return true;
  }
  peek(): string | undefined {
    while (this.pending.length === 0) {
      if (this.at >= this.bytes.length) return undefined;
      this.pending = this.line().trim().split(/\s+/).filter((t) => t.length > 0);
    }
    return this.pending[0];
  }
  word(): string {
    const w = this.keyword();
    if (w === null) throw new Error('unexpected end of file');
    return w;
  }
  int(): number {
    const v = Number(this.word());
    if (!Number.isInteger(v) || v < 0) throw new Error('expected a count');
    return v;
  }
  numbers(count: number, type: string): number[] {
    const t = type.toLowerCase();
    const width = t === 'double' || t.includes('64') ? 8 : t.includes('char') ? 1 : t.includes('short') ? 2 : 4;
    if (this.at + count * width > this.bytes.length) throw new Error('unexpected end of file');
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const o = this.at + i * width;
      if (t === 'float') out.push(this.bytes.readFloatBE(o));
      else if (t === 'double') out.push(this.bytes.readDoubleBE(o));
      else if (width === 8) out.push(Number(this.bytes.readBigInt64BE(o)));
      else if (width === 1) out.push(t.startsWith('unsigned') ? this.bytes.readUInt8(o) : this.bytes.readInt8(o));
      else if (width === 2) out.push(t.startsWith('unsigned') ? this.bytes.readUInt16BE(o) : this.bytes.readInt16BE(o));
      else if (t.startsWith('unsigned')) out.push(this.bytes.readUInt32BE(o));
      else out.push(this.bytes.readInt32BE(o));
    }
    this.at += count * width;
    if (this.bytes[this.at] === 0x0a) this.at++;
    return out;
  }
  cells(): number[][] {
    const n = this.int();
    const size = this.int();
    // VTK 9 writes an ASCII "OFFSETS type" line before binary offsets; the classic layout starts
    // the binary cell list straight away.
    if (this.pending.length === 0 && this.bytes.subarray(this.at, this.at + 7).toString('latin1') === 'OFFSETS') {
      this.word();
      const offsets = this.numbers(n, this.word());
      if (this.word().toUpperCase() !== 'CONNECTIVITY') throw new Error('expected CONNECTIVITY');
      return cellsFromOffsets(offsets, this.numbers(size, this.word()));
    }
    return cellsFromCounts(this.numbers(size, 'int'), n);
  }
}
