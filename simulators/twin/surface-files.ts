// Reading heart surfaces in the formats of the field: the shared JSON surface form, STL (ASCII and
// binary), legacy VTK, VTK XML PolyData (.vtp), Wavefront OBJ and PLY. Every surface comes out in
// millimetres and LPS: `units` scales metres, and 3D Slicer's SPACE=RAS|LPS header comment (or the
// caller's frame for files without one) says whether x and y are flipped. Point data on the
// vertices (a simulation's activation or response) comes along. Identical positions are welded
// (STL repeats every vertex per triangle; some exporters write other formats that way too), so the
// mesh has a usable edge graph.

import { readFileSync, statSync } from 'node:fs';
import { extname } from 'node:path';
import { TwinguideError } from '../../protocol/index.ts';
import { makeMesh, type TriangleMesh } from './triangle-mesh.ts';
import { parseObj } from './surface-obj.ts';
import { parsePly } from './surface-ply.ts';
import { parseVtk } from './vtk-legacy.ts';
import { parseVtp, type PointArray, type PolyDataFile } from './vtk-xml.ts';

export const MAX_SURFACE_FILE_BYTES = 512 * 1024 * 1024;
export const SURFACE_EXTENSIONS = ['.json', '.stl', '.vtk', '.vtp', '.obj', '.ply'];

export type Units = 'mm' | 'm';
export type PatientFrame = 'LPS' | 'RAS';

export interface SurfaceReadOptions {
  /** The files' length unit (default mm). */
  units?: Units;
  /** The frame of files that do not name theirs (default LPS, as DICOM and current 3D Slicer). */
  frame?: PatientFrame;
}

export interface SurfaceFile {
  mesh: TriangleMesh;
  /** Arrays on the vertices, by name (after welding, one value per mesh vertex). */
  pointData: Map<string, PointArray>;
  /** The frame the file was in and how that was known. */
  frame: PatientFrame;
  frameFrom: 'file' | 'option' | 'default';
}

const MM_PER: Record<Units, number> = { mm: 1, m: 1000 };

/** The surface in mm and LPS; errors name the file and the reason (TG_ERR_SURFACE). */
export function readSurface(file: string, options: SurfaceReadOptions = {}): SurfaceFile {
  let size: number;
  try {
    size = statSync(file).size;
  } catch (cause) {
    throw new TwinguideError('TG_ERR_SURFACE', `${file}: cannot read (${(cause as Error).message})`, { cause });
  }
  if (size > MAX_SURFACE_FILE_BYTES) throw new TwinguideError('TG_ERR_SURFACE', `${file}: ${size} bytes exceeds the ${MAX_SURFACE_FILE_BYTES}-byte limit`);
  const bytes = readFileSync(file);
  const ext = extname(file).toLowerCase();
  let poly: PolyDataFile;
  let declared: PatientFrame | null;
  let unitsInFile: Units | null = null;
  try {
    declared = declaredFrame(bytes);
    if (ext === '.json') {
      const json = parseSurfaceJson(bytes.toString('utf8'));
      poly = json.poly;
      unitsInFile = json.units;
      declared = json.frame ?? declared;
    } else if (ext === '.stl') poly = parseStl(bytes);
    else if (ext === '.vtk') poly = parseVtk(bytes);
    else if (ext === '.vtp') {
      poly = parseVtp(bytes);
      declared = poly.space ?? declared;
    }
    else if (ext === '.obj') poly = parseObj(bytes.toString('latin1'));
    else if (ext === '.ply') poly = parsePly(bytes);
    else throw new Error(`unknown surface format '${ext}' (use ${SURFACE_EXTENSIONS.join(', ')})`);
  } catch (cause) {
    if (cause instanceof TwinguideError) throw cause;
    throw new TwinguideError('TG_ERR_SURFACE', `${file}: ${(cause as Error).message}`, { cause });
  }
  const frame = declared ?? options.frame ?? 'LPS';
  const scale = MM_PER[unitsInFile ?? options.units ?? 'mm'];
  const points = poly.points;
  for (let i = 0; i < points.length; i += 3) {
    const sx = frame === 'RAS' ? -scale : scale; // RAS → LPS flips x and y (a rotation: winding kept)
    points[i] = points[i]! * sx;
    points[i + 1] = points[i + 1]! * sx;
    points[i + 2] = points[i + 2]! * scale;
  }
  const triangles = [...cellsToTriangles(poly.polys, false), ...cellsToTriangles(poly.strips, true)];
  const welded = weldShared(points, triangles, poly.pointData);
  const mesh = checkMesh(makeMesh(welded.points, welded.triangles), file);
  return { mesh, pointData: welded.pointData, frame, frameFrom: declared ? 'file' : options.frame ? 'option' : 'default' };
}

/**
 * A triangle soup (each triangle with vertices of its own, as some exporters write OBJ, PLY or
 * VTP) has no edges in common: no rims, no geodesics. Identical positions are merged into one
 * vertex (fields keep the first occurrence's value); a mesh that shares its vertices already is
 * returned as it is.
 */
function weldShared(points: Float64Array, triangles: number[], pointData: Map<string, PointArray>): { points: Float64Array; triangles: number[]; pointData: Map<string, PointArray> } {
  const n = points.length / 3;
  const index = new Map<string, number>();
  const remap = new Int32Array(n);
  let unique = 0;
  for (let i = 0; i < n; i++) {
    const key = `${points[3 * i]},${points[3 * i + 1]},${points[3 * i + 2]}`;
    const seen = index.get(key);
    if (seen === undefined) { index.set(key, unique); remap[i] = unique++; } else remap[i] = seen;
  }
  if (unique === n) return { points, triangles, pointData };
  const out = new Float64Array(3 * unique);
  const first = new Int32Array(unique).fill(-1);
  for (let i = 0; i < n; i++) {
    const j = remap[i]!;
    if (first[j] !== -1) continue;
    first[j] = i;
    out[3 * j] = points[3 * i]!; out[3 * j + 1] = points[3 * i + 1]!; out[3 * j + 2] = points[3 * i + 2]!;
  }
  const kept: number[] = [];
  for (let f = 0; f < triangles.length; f += 3) {
    const a = remap[triangles[f]!]!, b = remap[triangles[f + 1]!]!, c = remap[triangles[f + 2]!]!;
    if (a !== b && b !== c && a !== c) kept.push(a, b, c);
  }
  const fields = new Map<string, PointArray>();
  for (const [name, array] of pointData) {
    const values = new Float64Array(unique * array.components);
    for (let j = 0; j < unique; j++) for (let k = 0; k < array.components; k++) values[j * array.components + k] = array.values[first[j]! * array.components + k]!;
    fields.set(name, { components: array.components, values });
  }
  return { points: out, triangles: kept, pointData: fields };
}

export function readSurfaceFile(file: string, options: SurfaceReadOptions = {}): TriangleMesh {
  return readSurface(file, options).mesh;
}

/**
 * 3D Slicer writes SPACE=RAS or SPACE=LPS in a header comment (STL, PLY, OBJ, the legacy VTK
 * title) or as a field-data string array named SPACE (legacy VTK: "SPACE 1 1 string" then the
 * value; VTK XML: read by the .vtp parser).
 */
export function declaredFrame(bytes: Buffer): PatientFrame | null {
  const head = bytes.subarray(0, 4096).toString('latin1');
  const m = /SPACE\s*=\s*(RAS|LPS)\b/.exec(head) ?? /\bSPACE\s+1\s+1\s+string\s*\n[^A-Za-z\n]?(RAS|LPS)\b/.exec(head);
  return m ? (m[1] as PatientFrame) : null;
}

/** Triangulate polygons (fan) and strips from cell lists. */
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

function checkMesh(mesh: TriangleMesh, file: string): TriangleMesh {
  if (mesh.vertexCount === 0 || mesh.triangleCount === 0) throw new TwinguideError('TG_ERR_SURFACE', `${file}: empty (no triangles)`);
  for (let i = 0; i < mesh.positions.length; i++) {
    if (!Number.isFinite(mesh.positions[i]!)) throw new TwinguideError('TG_ERR_SURFACE', `${file}: vertex ${Math.floor(i / 3)} has a non-finite coordinate (NaN or infinity)`);
  }
  for (const i of mesh.triangles) if (i >= mesh.vertexCount) throw new TwinguideError('TG_ERR_SURFACE', `${file}: triangle index ${i} out of range (${mesh.vertexCount} vertices)`);
  // Edge-manifold: an edge shared by three or more triangles has no inside and outside.
  const edges = new Map<number, number>();
  const n = mesh.vertexCount;
  let worst = 0;
  for (let f = 0; f < mesh.triangleCount; f++) {
    for (let k = 0; k < 3; k++) {
      const a = mesh.triangles[3 * f + k]!, b = mesh.triangles[3 * f + ((k + 1) % 3)]!;
      const key = Math.min(a, b) * n + Math.max(a, b);
      const c = (edges.get(key) ?? 0) + 1;
      edges.set(key, c);
      if (c > 2) worst++;
    }
  }
  if (worst > 0) throw new TwinguideError('TG_ERR_SURFACE', `${file}: not a manifold surface (${worst} edge use(s) beyond two triangles per edge); clean it (e.g. vtkCleanPolyData, Meshlab) first`);
  return mesh;
}

export function parseSurfaceJson(text: string): { poly: PolyDataFile; units: Units | null; frame: PatientFrame | null } {
  const json = JSON.parse(text) as { vertices?: unknown; triangles?: unknown; units?: unknown; frame?: unknown; pointData?: unknown };
  if (!Array.isArray(json.vertices) || !Array.isArray(json.triangles)) throw new Error('expected {"vertices": [...], "triangles": [...]}');
  if (json.units !== undefined && json.units !== 'mm' && json.units !== 'm') throw new Error(`units must be mm or m, found ${String(json.units)}`);
  if (json.vertices.length % 3 !== 0 || json.triangles.length % 3 !== 0) throw new Error('vertices and triangles must come in triples');
  if (!json.vertices.every((v) => typeof v === 'number') || !json.triangles.every((v) => Number.isInteger(v) && (v as number) >= 0)) {
    throw new Error('vertices must be numbers and triangles non-negative integers');
  }
  const polys: number[][] = [];
  for (let i = 0; i < json.triangles.length; i += 3) polys.push(json.triangles.slice(i, i + 3) as number[]);
  // "frame" is a short code ("LPS", "RAS") or a sentence that starts by naming one.
  const frame = typeof json.frame === 'string' ? (/\b(LPS|RAS)\b/.exec(json.frame)?.[1] as PatientFrame | undefined) ?? null : null;
  const pointData = new Map<string, PointArray>();
  if (json.pointData && typeof json.pointData === 'object') {
    for (const [name, values] of Object.entries(json.pointData as Record<string, unknown>)) {
      if (Array.isArray(values) && values.length === json.vertices.length / 3 && values.every((v) => typeof v === 'number')) pointData.set(name, { components: 1, values: Float64Array.from(values as number[]) });
    }
  }
  return { poly: { points: Float64Array.from(json.vertices as number[]), polys, strips: [], lines: [], pointData }, units: (json.units as Units | undefined) ?? null, frame };
}

/** A triangle soup as a PolyDataFile: every triangle with vertices of its own (readSurface welds them). */
function soupOf(soup: number[]): PolyDataFile {
  const polys: number[][] = [];
  for (let i = 0; i < soup.length / 3; i += 3) polys.push([i, i + 1, i + 2]);
  return { points: Float64Array.from(soup), polys, strips: [], lines: [], pointData: new Map() };
}

export function parseStl(bytes: Buffer): PolyDataFile {
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
      return soupOf(soup);
    }
  }
  const text = bytes.toString('latin1');
  if (!/^\s*solid/.test(text)) throw new Error('not an STL file (neither binary nor ASCII "solid")');
  const soup: number[] = [];
  const re = /vertex\s+(\S+)\s+(\S+)\s+(\S+)/g;
  for (let m = re.exec(text); m; m = re.exec(text)) soup.push(Number(m[1]), Number(m[2]), Number(m[3]));
  if (soup.length % 9 !== 0) throw new Error('ASCII STL facets must have three vertices');
  return soupOf(soup);
}

