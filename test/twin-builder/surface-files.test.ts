import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { TwinguideError } from '../../protocol/index.ts';
import { readSurfaceFile } from '../../simulators/twin/surface-files.ts';
import { asciiStl, asciiVtk, binaryStl, binaryVtk } from '../helpers/surface-writers.ts';

const dir = mkdtempSync(join(tmpdir(), 'twinguide-surfaces-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const EPI = new URL('../../data/anatomy/bivme-patient1/epi.json', import.meta.url).pathname;
const epi = readSurfaceFile(EPI);

function sameMesh(a: ReturnType<typeof readSurfaceFile>, tolerance: number): void {
  expect(a.vertexCount).toBe(epi.vertexCount);
  expect(a.triangleCount).toBe(epi.triangleCount);
  // Compare triangle by triangle (STL welding renumbers vertices).
  for (let f = 0; f < epi.triangleCount; f += 97) {
    for (let k = 0; k < 3; k++) {
      const va = a.triangles[3 * f + k]!, vb = epi.triangles[3 * f + k]!;
      for (let c = 0; c < 3; c++) expect(Math.abs(a.positions[3 * va + c]! - epi.positions[3 * vb + c]!)).toBeLessThanOrEqual(tolerance);
    }
  }
}

describe('reading heart surfaces', () => {
  it('reads the shared JSON surface form', () => {
    expect(epi.vertexCount).toBe(2502);
    expect(epi.triangleCount).toBe(4864);
  });

  it.each([
    ['ASCII STL', 'a.stl', () => asciiStl(epi), 0],
    ['binary STL (header starting "solid")', 'b.stl', () => binaryStl(epi), 1e-5],
    ['ASCII legacy VTK', 'a.vtk', () => asciiVtk(epi, 'classic'), 0],
    ['ASCII VTK 9 (OFFSETS/CONNECTIVITY)', 'c.vtk', () => asciiVtk(epi, 'vtk9'), 0],
    ['binary legacy VTK', 'b.vtk', () => binaryVtk(epi), 1e-5],
  ] as const)('reads %s to the same mesh', (_name, file, make, tolerance) => {
    const path = join(dir, file);
    writeFileSync(path, make());
    sameMesh(readSurfaceFile(path), tolerance);
  });

  it('refuses unknown formats and malformed files with TG_ERR_SURFACE', () => {
    const cases: [string, string][] = [['x.obj', 'v 0 0 0'], ['bad.stl', 'not an stl'], ['bad.vtk', '# vtk DataFile Version 3.0\nx\nASCII\nDATASET UNSTRUCTURED_GRID\n'], ['bad.json', '{"vertices": [0, 0], "triangles": []}'], ['idx.json', '{"vertices": [0,0,0, 1,0,0, 0,1,0], "triangles": [0, 1, 7]}']];
    for (const [name, text] of cases) {
      const path = join(dir, name);
      writeFileSync(path, text);
      expect(() => readSurfaceFile(path), name).toThrow(TwinguideError);
      try { readSurfaceFile(path); } catch (e) { expect((e as TwinguideError).code).toBe('TG_ERR_SURFACE'); }
    }
  });
});
