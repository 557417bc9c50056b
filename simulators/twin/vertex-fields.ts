// Per-vertex fields on the epicardium from a simulation or a study pipeline: activation time (ms)
// and responder probability (0–1). FIELD names a point-data array of the epicardium file (.vtp,
// .vtk, .ply, or "pointData" in JSON), or is a file of its own: a JSON array (or {"values": […]}),
// a text/CSV file with one number per line (a header line is skipped), or a surface file whose
// point data holds one scalar array (or an array of the same name as the file's stem).

import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, extname } from 'node:path';
import { TwinguideError } from '../../protocol/index.ts';
import { readSurface, type SurfaceFile } from './surface-files.ts';
import type { TriangleMesh, Vec } from './triangle-mesh.ts';

const MAX_FIELD_FILE_BYTES = 128 * 1024 * 1024;

export interface VertexField {
  values: Float64Array;
  /** Where it came from, for meta.builder and `twin info`. */
  source: string;
}

export interface FieldLimits {
  what: string;
  min: number;
  max: number;
  unit: string;
}

export const ACTIVATION_LIMITS: FieldLimits = { what: 'activation', min: 0, max: 1000, unit: 'ms' };
export const RESPONSE_LIMITS: FieldLimits = { what: 'response', min: 0, max: 1, unit: 'p' };

export function readVertexField(spec: string, epi: SurfaceFile, epiFile: string, limits: FieldLimits): VertexField {
  const n = epi.mesh.vertexCount;
  let values: Float64Array;
  let source: string;
  const inFile = epi.pointData.get(spec);
  if (inFile) {
    if (inFile.components !== 1) throw new TwinguideError('TG_ERR_SURFACE', `--${limits.what} ${spec}: the array in ${epiFile} has ${inFile.components} components, not one value per vertex`);
    values = inFile.values;
    source = `point data '${spec}' of ${basename(epiFile)}`;
  } else if (existsSync(spec)) {
    values = readFieldFile(spec, limits);
    source = `file ${basename(spec)}`;
  } else {
    const names = [...epi.pointData.keys()];
    throw new TwinguideError('TG_ERR_SURFACE', `--${limits.what} ${spec}: neither a point-data array of ${epiFile} (${names.length ? `it has ${names.join(', ')}` : 'it has none'}) nor a file`);
  }
  if (values.length !== n) throw new TwinguideError('TG_ERR_SURFACE', `--${limits.what} ${spec}: ${values.length} values for ${n} epicardial vertices (one per vertex, in the file's vertex order)`);
  for (let i = 0; i < n; i++) {
    const v = values[i]!;
    if (!Number.isFinite(v) || v < limits.min || v > limits.max) {
      throw new TwinguideError('TG_ERR_SURFACE', `--${limits.what} ${spec}: vertex ${i} has ${v}, outside ${limits.min}–${limits.max} ${limits.unit}`);
    }
  }
  return { values, source };
}

function readFieldFile(file: string, limits: FieldLimits): Float64Array {
  if (statSync(file).size > MAX_FIELD_FILE_BYTES) throw new TwinguideError('TG_ERR_SURFACE', `--${limits.what} ${file}: larger than ${MAX_FIELD_FILE_BYTES} bytes`);
  const ext = extname(file).toLowerCase();
  try {
    if (ext === '.json') {
      const json = JSON.parse(readFileSync(file, 'utf8')) as unknown;
      const array = Array.isArray(json) ? json : (json as { values?: unknown }).values;
      if (!Array.isArray(array) || !array.every((v) => typeof v === 'number')) throw new Error('expected a JSON array of numbers or {"values": [...]}');
      return Float64Array.from(array as number[]);
    }
    if (['.vtp', '.vtk', '.ply'].includes(ext)) {
      const surface = readSurface(file);
      const scalars = [...surface.pointData.entries()].filter(([, a]) => a.components === 1);
      const stem = basename(file, ext);
      const pick = scalars.find(([name]) => name === stem) ?? (scalars.length === 1 ? scalars[0] : undefined);
      if (!pick) throw new Error(`expected one scalar point-data array (found ${scalars.map(([k]) => k).join(', ') || 'none'})`);
      return pick[1].values;
    }
    const rows = readFileSync(file, 'utf8').split(/\r?\n/).map((r) => r.trim()).filter((r) => r.length > 0 && !r.startsWith('#'));
    const first = rows[0] !== undefined ? Number(rows[0].split(/[,;\s]+/)[0]) : 0;
    const body = Number.isNaN(first) ? rows.slice(1) : rows; // a header line
    return Float64Array.from(body.map((r, i) => {
      const v = Number(r.split(/[,;\s]+/).pop());
      if (Number.isNaN(v)) throw new Error(`line ${i + 1}: '${r}' is not a number`);
      return v;
    }));
  } catch (cause) {
    if (cause instanceof TwinguideError) throw cause;
    throw new TwinguideError('TG_ERR_SURFACE', `--${limits.what} ${file}: ${(cause as Error).message}`, { cause });
  }
}

/** The field at a point near the surface: inverse-distance weighted over the nearest vertices. */
export function sampleField(mesh: TriangleMesh, values: Float64Array, p: Readonly<Vec>, k = 4): number {
  const best: [number, number][] = [];
  for (let i = 0; i < mesh.vertexCount; i++) {
    const d = (mesh.positions[3 * i]! - p[0]) ** 2 + (mesh.positions[3 * i + 1]! - p[1]) ** 2 + (mesh.positions[3 * i + 2]! - p[2]) ** 2;
    if (best.length < k || d < best[best.length - 1]![1]) {
      best.push([i, d]);
      best.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
      if (best.length > k) best.pop();
    }
  }
  if (best[0]![1] < 1e-12) return values[best[0]![0]]!;
  let sum = 0, weight = 0;
  for (const [i, d] of best) {
    const w = 1 / d;
    sum += w * values[i]!;
    weight += w;
  }
  return sum / weight;
}
