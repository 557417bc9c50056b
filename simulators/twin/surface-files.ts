// Reading heart surfaces: the shared JSON surface form, STL (ASCII and binary) and legacy VTK
// polydata (ASCII and binary, classic and VTK 9 OFFSETS/CONNECTIVITY layouts), as 3D Slicer
// exports them. STL's per-triangle vertices are welded so the mesh has a usable edge graph.

import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { TwinguideError } from '../../protocol/index.ts';
import { makeMesh, type TriangleMesh } from './triangle-mesh.ts';

export const MAX_SURFACE_FILE_BYTES = 512 * 1024 * 1024;

export function readSurfaceFile(file: string): TriangleMesh {
  const size = statSync(file).size;
  if (size > MAX_SURFACE_FILE_BYTES) throw new TwinguideError('TG_ERR_SURFACE', `${file}: ${size} bytes exceeds the ${MAX_SURFACE_FILE_BYTES}-byte limit`);
  const bytes = readFileSync(file);
  const ext = extname(file).toLowerCase();
  let mesh: TriangleMesh;
  try {
    if (ext === '.json') mesh = parseSurfaceJson(bytes.toString('utf8'));
    else if (ext === '.stl') mesh = parseStl(bytes);
    else if (ext === '.vtk') mesh = parseVtk(bytes);
    else throw new Error(`unknown surface format '${ext}' (use .json, .stl or .vtk)`);
  } catch (cause) {
    if (cause instanceof TwinguideError) throw cause;
    throw new TwinguideError('TG_ERR_SURFACE', `${file}: ${(cause as Error).message}`, { cause });
  }
  return checkMesh(mesh, file);
}

function checkMesh(mesh: TriangleMesh, file: string): TriangleMesh {
  if (mesh.triangleCount === 0) throw new TwinguideError('TG_ERR_SURFACE', `${file}: no triangles`);
  for (const v of mesh.positions) if (!Number.isFinite(v)) throw new TwinguideError('TG_ERR_SURFACE', `${file}: non-finite coordinate`);
  for (const i of mesh.triangles) if (i >= mesh.vertexCount) throw new TwinguideError('TG_ERR_SURFACE', `${file}: triangle index ${i} out of range (${mesh.vertexCount} vertices)`);
  return mesh;
}

export function parseSurfaceJson(text: string): TriangleMesh {
  const json = JSON.parse(text) as { vertices?: unknown; triangles?: unknown; units?: unknown };
  if (!Array.isArray(json.vertices) || !Array.isArray(json.triangles)) throw new Error('expected {"vertices": [...], "triangles": [...]}');
  if (json.units !== undefined && json.units !== 'mm') throw new Error(`units must be mm, found ${String(json.units)}`);
  if (json.vertices.length % 3 !== 0 || json.triangles.length % 3 !== 0) throw new Error('vertices and triangles must come in triples');
  if (!json.vertices.every((v) => typeof v === 'number') || !json.triangles.every((v) => Number.isInteger(v) && (v as number) >= 0)) {
    throw new Error('vertices must be numbers and triangles non-negative integers');
  }
  return makeMesh(json.vertices as number[], json.triangles as number[]);
}

/** Weld identical positions (STL repeats every vertex per triangle). */
function weld(soup: number[]): TriangleMesh {
  const index = new Map<string, number>();
  const positions: number[] = [];
  const triangles: number[] = [];
  for (let i = 0; i < soup.length; i += 3) {
    const key = `${soup[i]},${soup[i + 1]},${soup[i + 2]}`;
    let v = index.get(key);
    if (v === undefined) {
      v = positions.length / 3;
      index.set(key, v);
      positions.push(soup[i]!, soup[i + 1]!, soup[i + 2]!);
    }
    triangles.push(v);
  }
  // Drop triangles that welding made degenerate.
  const kept: number[] = [];
  for (let f = 0; f < triangles.length; f += 3) {
    const a = triangles[f]!, b = triangles[f + 1]!, c = triangles[f + 2]!;
    if (a !== b && b !== c && a !== c) kept.push(a, b, c);
  }
  return makeMesh(positions, kept);
}

export function parseStl(bytes: Buffer): TriangleMesh {
  // Binary STL: 80-byte header, u32 count, 50 bytes per triangle. Some binary files start with
  // "solid" too, so decide by the size the count implies.
  if (bytes.length >= 84) {
    const count = bytes.readUInt32LE(80);
    if (84 + 50 * count === bytes.length) {
      const soup: number[] = [];
      for (let f = 0; f < count; f++) {
        const o = 84 + 50 * f + 12;
        for (let k = 0; k < 9; k++) soup.push(bytes.readFloatLE(o + 4 * k));
      }
      return weld(soup);
    }
  }
  const text = bytes.toString('latin1');
  if (!/^\s*solid/.test(text)) throw new Error('not an STL file (neither binary nor ASCII "solid")');
  const soup: number[] = [];
  const re = /vertex\s+(\S+)\s+(\S+)\s+(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) soup.push(Number(m[1]), Number(m[2]), Number(m[3]));
  if (soup.length % 9 !== 0) throw new Error('ASCII STL facets must have three vertices');
  return weld(soup);
}

/** Triangulate polygons (fan) and strips from flat cell lists. */
function cellsToTriangles(cells: number[][], strips: boolean): number[] {
  const out: number[] = [];
  for (const c of cells) {
    if (strips) {
      for (let i = 2; i < c.length; i++) {
        if (i % 2 === 0) out.push(c[i - 2]!, c[i - 1]!, c[i]!);
        else out.push(c[i - 1]!, c[i - 2]!, c[i]!);
      }
    } else {
      for (let i = 2; i < c.length; i++) out.push(c[0]!, c[i - 1]!, c[i]!);
    }
  }
  return out;
}

export function parseVtk(bytes: Buffer): TriangleMesh {
  const head = bytes.subarray(0, 1024).toString('latin1');
  if (!head.startsWith('# vtk DataFile')) throw new Error('not a legacy VTK file');
  const lines = head.split('\n');
  const format = (lines[2] ?? '').trim().toUpperCase();
  if (!/DATASET\s+POLYDATA/i.test(head)) throw new Error('only POLYDATA datasets are read');
  const reader = format === 'BINARY' ? new BinaryVtkReader(bytes) : new AsciiVtkReader(bytes.toString('latin1'));
  reader.skipHeader();
  let positions: number[] | null = null;
  const triangles: number[] = [];
  for (let keyword = reader.keyword(); keyword !== null; keyword = reader.keyword()) {
    const kw = keyword.toUpperCase();
    if (kw === 'POINTS') {
      const n = reader.int();
      const type = reader.word();
      positions = reader.numbers(3 * n, type);
    } else if (kw === 'POLYGONS' || kw === 'TRIANGLE_STRIPS' || kw === 'VERTICES' || kw === 'LINES') {
      const cells = reader.cells();
      if (kw === 'POLYGONS' || kw === 'TRIANGLE_STRIPS') triangles.push(...cellsToTriangles(cells, kw === 'TRIANGLE_STRIPS'));
    } else if (kw === 'POINT_DATA' || kw === 'CELL_DATA' || kw === 'METADATA' || kw === 'FIELD') {
      break; // attributes follow the geometry; nothing there is needed
    } else {
      throw new Error(`unexpected VTK keyword '${keyword}'`);
    }
  }
  if (!positions) throw new Error('no POINTS');
  return makeMesh(positions, triangles);
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
    const width = t === 'double' || t.includes('64') ? 8 : 4;
    if (this.at + count * width > this.bytes.length) throw new Error('unexpected end of file');
    const out: number[] = [];
    for (let i = 0; i < count; i++) {
      const o = this.at + i * width;
      if (t === 'float') out.push(this.bytes.readFloatBE(o));
      else if (t === 'double') out.push(this.bytes.readDoubleBE(o));
      else if (width === 8) out.push(Number(this.bytes.readBigInt64BE(o)));
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
