// A closed UV-sphere (or ellipsoid) mesh, outward-wound: test fixtures and load benchmarks use it
// as a stand-in heart surface of any size.

export interface MeshJson {
  vertices: number[];
  triangles: number[];
}

/** `rings` ≥ 2 latitude bands, `segments` ≥ 3 longitudes; (rings − 1)·segments + 2 vertices. */
export function ellipsoidMesh(centre: readonly [number, number, number], radii: readonly [number, number, number], rings: number, segments: number, digits = 3): MeshJson {
  const q = 10 ** digits;
  const round = (x: number): number => Math.round(x * q) / q;
  const vertices: number[] = [centre[0], centre[1], centre[2] + radii[2]];
  for (let r = 1; r < rings; r++) {
    const theta = (Math.PI * r) / rings;
    for (let s = 0; s < segments; s++) {
      const phi = (2 * Math.PI * s) / segments;
      vertices.push(
        round(centre[0] + radii[0] * Math.sin(theta) * Math.cos(phi)),
        round(centre[1] + radii[1] * Math.sin(theta) * Math.sin(phi)),
        round(centre[2] + radii[2] * Math.cos(theta)),
      );
    }
  }
  vertices.push(centre[0], centre[1], centre[2] - radii[2]);
  const top = 0;
  const bottom = (rings - 1) * segments + 1;
  const at = (r: number, s: number): number => 1 + (r - 1) * segments + (s % segments);
  const triangles: number[] = [];
  for (let s = 0; s < segments; s++) triangles.push(top, at(1, s), at(1, s + 1));
  for (let r = 1; r < rings - 1; r++) {
    for (let s = 0; s < segments; s++) {
      triangles.push(at(r, s), at(r + 1, s), at(r + 1, s + 1));
      triangles.push(at(r, s), at(r + 1, s + 1), at(r, s + 1));
    }
  }
  for (let s = 0; s < segments; s++) triangles.push(bottom, at(rings - 1, s + 1), at(rings - 1, s));
  return { vertices, triangles };
}
