// Wavefront OBJ, as Blender, 3D Slicer and VTK write it: `v x y z`, faces `f a b c …` with the
// a, a/t, a//n, a/t/n index forms (1-based, negative counts from the end), polygons fanned into
// triangles; `l` polylines are kept for centrelines. Comments may carry Slicer's SPACE=RAS|LPS.

import type { PolyDataFile } from './vtk-xml.ts';

export function parseObj(text: string): PolyDataFile {
  const points: number[] = [];
  const polys: number[][] = [];
  const lines: number[][] = [];
  const index = (word: string, lineNo: number): number => {
    const v = Number(word.split('/')[0]);
    const count = points.length / 3;
    const i = v < 0 ? count + v : v - 1;
    if (!Number.isInteger(v) || v === 0 || i < 0 || i >= count) throw new Error(`line ${lineNo}: vertex index '${word}' is out of range (${count} vertices so far)`);
    return i;
  };
  const rows = text.split('\n');
  for (let r = 0; r < rows.length; r++) {
    const words = rows[r]!.trim().split(/\s+/);
    const kind = words[0];
    if (kind === 'v') {
      if (words.length < 4) throw new Error(`line ${r + 1}: a vertex needs x y z`);
      for (let k = 1; k <= 3; k++) {
        const v = Number(words[k]);
        if (words[k] === '' || Number.isNaN(v)) throw new Error(`line ${r + 1}: '${words[k]}' is not a number`);
        points.push(v);
      }
    } else if (kind === 'f') {
      polys.push(words.slice(1).map((w) => index(w, r + 1)));
    } else if (kind === 'l') {
      lines.push(words.slice(1).map((w) => index(w, r + 1)));
    }
  }
  return { points: Float64Array.from(points), polys, strips: [], lines, pointData: new Map() };
}
