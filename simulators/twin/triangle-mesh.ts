// Triangle meshes for the twin builder, in float64: normals, boundary loops, the edge graph for
// geodesics, and ray casting. Plain arrays of numbers in, typed arrays out.

export interface TriangleMesh {
  readonly positions: Float64Array;
  readonly triangles: Uint32Array;
  readonly vertexCount: number;
  readonly triangleCount: number;
}

export function makeMesh(positions: ArrayLike<number>, triangles: ArrayLike<number>): TriangleMesh {
  return {
    positions: Float64Array.from(positions),
    triangles: Uint32Array.from(triangles),
    vertexCount: positions.length / 3,
    triangleCount: triangles.length / 3,
  };
}

export type Vec = [number, number, number];

export const sub = (a: Readonly<Vec>, b: Readonly<Vec>): Vec => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
export const add = (a: Readonly<Vec>, b: Readonly<Vec>): Vec => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
export const scale = (a: Readonly<Vec>, s: number): Vec => [a[0] * s, a[1] * s, a[2] * s];
export const dot = (a: Readonly<Vec>, b: Readonly<Vec>): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];
export const cross = (a: Readonly<Vec>, b: Readonly<Vec>): Vec => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
export const norm = (a: Readonly<Vec>): number => Math.sqrt(dot(a, a));
export const unit = (a: Readonly<Vec>): Vec => scale(a, 1 / (norm(a) || 1));
export const vertex = (mesh: TriangleMesh, i: number): Vec => [mesh.positions[3 * i]!, mesh.positions[3 * i + 1]!, mesh.positions[3 * i + 2]!];

export function centroid(mesh: TriangleMesh): Vec {
  const c: Vec = [0, 0, 0];
  for (let i = 0; i < mesh.vertexCount; i++) for (let k = 0; k < 3; k++) c[k] = c[k]! + mesh.positions[3 * i + k]! / mesh.vertexCount;
  return c;
}

/** Vertices on edges used by one triangle only (the rims of an open surface). */
export function boundaryVertices(mesh: TriangleMesh): number[] {
  const count = new Map<number, number>();
  const n = mesh.vertexCount;
  const t = mesh.triangles;
  for (let f = 0; f < mesh.triangleCount; f++) {
    for (let e = 0; e < 3; e++) {
      const a = t[3 * f + e]!, b = t[3 * f + ((e + 1) % 3)]!;
      const key = a < b ? a * n + b : b * n + a;
      count.set(key, (count.get(key) ?? 0) + 1);
    }
  }
  const out = new Set<number>();
  for (const [key, c] of count) if (c === 1) { out.add(Math.floor(key / n)); out.add(key % n); }
  return [...out].sort((a, b) => a - b);
}

/** Undirected edge graph in CSR form with edge lengths, for Dijkstra. */
export interface EdgeGraph {
  readonly start: Int32Array;
  readonly neighbours: Int32Array;
  readonly lengths: Float64Array;
}

export function edgeGraph(mesh: TriangleMesh): EdgeGraph {
  const n = mesh.vertexCount;
  const sets: Set<number>[] = Array.from({ length: n }, () => new Set<number>());
  const t = mesh.triangles;
  for (let f = 0; f < mesh.triangleCount; f++) {
    for (let e = 0; e < 3; e++) {
      const a = t[3 * f + e]!, b = t[3 * f + ((e + 1) % 3)]!;
      sets[a]!.add(b);
      sets[b]!.add(a);
    }
  }
  const start = new Int32Array(n + 1);
  for (let i = 0; i < n; i++) start[i + 1] = start[i]! + sets[i]!.size;
  const neighbours = new Int32Array(start[n]!);
  const lengths = new Float64Array(start[n]!);
  for (let i = 0; i < n; i++) {
    let k = start[i]!;
    for (const j of [...sets[i]!].sort((a, b) => a - b)) {
      neighbours[k] = j;
      lengths[k] = norm(sub(vertex(mesh, i), vertex(mesh, j)));
      k++;
    }
  }
  return { start, neighbours, lengths };
}

export interface RayHit {
  t: number;
  triangle: number;
  point: Vec;
  /** Unit normal of the hit triangle, turned to face along the ray (outward for a ray leaving the inside). */
  normal: Vec;
}

/** The farthest intersection of the ray origin + t·dir (t > 0) with the mesh (Möller–Trumbore). */
export function lastRayHit(mesh: TriangleMesh, origin: Readonly<Vec>, dir: Readonly<Vec>): RayHit | null {
  const p = mesh.positions;
  const t = mesh.triangles;
  let best: RayHit | null = null;
  for (let f = 0; f < mesh.triangleCount; f++) {
    const i = 3 * t[3 * f]!, j = 3 * t[3 * f + 1]!, k = 3 * t[3 * f + 2]!;
    const e1x = p[j]! - p[i]!, e1y = p[j + 1]! - p[i + 1]!, e1z = p[j + 2]! - p[i + 2]!;
    const e2x = p[k]! - p[i]!, e2y = p[k + 1]! - p[i + 1]!, e2z = p[k + 2]! - p[i + 2]!;
    const hx = dir[1] * e2z - dir[2] * e2y, hy = dir[2] * e2x - dir[0] * e2z, hz = dir[0] * e2y - dir[1] * e2x;
    const det = e1x * hx + e1y * hy + e1z * hz;
    if (Math.abs(det) < 1e-12) continue;
    const inv = 1 / det;
    const sx = origin[0] - p[i]!, sy = origin[1] - p[i + 1]!, sz = origin[2] - p[i + 2]!;
    const u = (sx * hx + sy * hy + sz * hz) * inv;
    if (u < -1e-9 || u > 1 + 1e-9) continue;
    const qx = sy * e1z - sz * e1y, qy = sz * e1x - sx * e1z, qz = sx * e1y - sy * e1x;
    const v = (dir[0] * qx + dir[1] * qy + dir[2] * qz) * inv;
    if (v < -1e-9 || u + v > 1 + 1e-9) continue;
    const dist = (e2x * qx + e2y * qy + e2z * qz) * inv;
    if (dist <= 1e-9 || (best && dist <= best.t)) continue;
    let normal = unit(cross([e1x, e1y, e1z], [e2x, e2y, e2z]));
    if (dot(normal, dir) < 0) normal = scale(normal, -1);
    best = { t: dist, triangle: f, point: add(origin, scale(dir, dist)), normal };
  }
  return best;
}

/** Unsigned distance from a point to the mesh surface, with the nearest triangle and point. */
export function distanceToMesh(mesh: TriangleMesh, q: Readonly<Vec>): { distance: number; triangle: number; closest: Vec } {
  const t = mesh.triangles;
  let best = { distance: Infinity, triangle: -1, closest: [0, 0, 0] as Vec };
  for (let f = 0; f < mesh.triangleCount; f++) {
    const a = vertex(mesh, t[3 * f]!), b = vertex(mesh, t[3 * f + 1]!), c = vertex(mesh, t[3 * f + 2]!);
    const closest = closestPointOnTriangle(q, a, b, c);
    const d = norm(sub(q, closest));
    if (d < best.distance) best = { distance: d, triangle: f, closest };
  }
  return best;
}

/** Distance between two points (the first three components of each). */
export const distance = (a: readonly number[], b: readonly number[]): number => Math.hypot(a[0]! - b[0]!, a[1]! - b[1]!, a[2]! - b[2]!);

/** The point of segment ab nearest p: where along it (0 at a, 1 at b) and how far from p. */
export function closestOnSegment(p: readonly number[], a: readonly number[], b: readonly number[]): { t: number; distance: number } {
  const ab0 = b[0]! - a[0]!, ab1 = b[1]! - a[1]!, ab2 = b[2]! - a[2]!;
  const len2 = ab0 * ab0 + ab1 * ab1 + ab2 * ab2;
  const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((p[0]! - a[0]!) * ab0 + (p[1]! - a[1]!) * ab1 + (p[2]! - a[2]!) * ab2) / len2));
  return { t, distance: Math.hypot(a[0]! + t * ab0 - p[0]!, a[1]! + t * ab1 - p[1]!, a[2]! + t * ab2 - p[2]!) };
}

/** Ericson, Real-Time Collision Detection, 5.1.5. */
export function closestPointOnTriangle(p: Readonly<Vec>, a: Readonly<Vec>, b: Readonly<Vec>, c: Readonly<Vec>): Vec {
  const ab = sub(b, a), ac = sub(c, a), ap = sub(p, a);
  const d1 = dot(ab, ap), d2 = dot(ac, ap);
  if (d1 <= 0 && d2 <= 0) return [...a] as Vec;
  const bp = sub(p, b);
  const d3 = dot(ab, bp), d4 = dot(ac, bp);
  if (d3 >= 0 && d4 <= d3) return [...b] as Vec;
  const vc = d1 * d4 - d3 * d2;
  if (vc <= 0 && d1 >= 0 && d3 <= 0) return add(a, scale(ab, d1 / (d1 - d3)));
  const cp = sub(p, c);
  const d5 = dot(ab, cp), d6 = dot(ac, cp);
  if (d6 >= 0 && d5 <= d6) return [...c] as Vec;
  const vb = d5 * d2 - d1 * d6;
  if (vb <= 0 && d2 >= 0 && d6 <= 0) return add(a, scale(ac, d2 / (d2 - d6)));
  const va = d3 * d6 - d5 * d4;
  if (va <= 0 && d4 - d3 >= 0 && d5 - d6 >= 0) return add(b, scale(sub(c, b), (d4 - d3) / (d4 - d3 + (d5 - d6))));
  const denom = 1 / (va + vb + vc);
  return add(a, add(scale(ab, vb * denom), scale(ac, vc * denom)));
}

/** Outward unit normal of triangle f as wound (counter-clockwise seen from outside). */
export function triangleNormal(mesh: TriangleMesh, f: number): Vec {
  const a = vertex(mesh, mesh.triangles[3 * f]!), b = vertex(mesh, mesh.triangles[3 * f + 1]!), c = vertex(mesh, mesh.triangles[3 * f + 2]!);
  return unit(cross(sub(b, a), sub(c, a)));
}

/** Midpoint subdivision: every triangle into four (for finer test hearts). */
export function subdivide(mesh: TriangleMesh): TriangleMesh {
  const positions = Array.from(mesh.positions);
  const mid = new Map<number, number>();
  const n = mesh.vertexCount;
  const midpoint = (a: number, b: number): number => {
    const key = a < b ? a * n + b : b * n + a;
    let m = mid.get(key);
    if (m === undefined) {
      m = positions.length / 3;
      for (let k = 0; k < 3; k++) positions.push((mesh.positions[3 * a + k]! + mesh.positions[3 * b + k]!) / 2);
      mid.set(key, m);
    }
    return m;
  };
  const triangles: number[] = [];
  for (let f = 0; f < mesh.triangleCount; f++) {
    const a = mesh.triangles[3 * f]!, b = mesh.triangles[3 * f + 1]!, c = mesh.triangles[3 * f + 2]!;
    const ab = midpoint(a, b), bc = midpoint(b, c), ca = midpoint(c, a);
    triangles.push(a, ab, ca, ab, b, bc, ca, bc, c, ab, bc, ca);
  }
  return makeMesh(positions, triangles);
}

/** Apply x' = R x + t to every vertex (R row-major 3×3). */
export function transformMesh(mesh: TriangleMesh, r: readonly number[], t: Readonly<Vec>): TriangleMesh {
  const out = new Float64Array(mesh.positions.length);
  for (let i = 0; i < mesh.vertexCount; i++) {
    const x = mesh.positions[3 * i]!, y = mesh.positions[3 * i + 1]!, z = mesh.positions[3 * i + 2]!;
    for (let k = 0; k < 3; k++) out[3 * i + k] = r[3 * k]! * x + r[3 * k + 1]! * y + r[3 * k + 2]! * z + t[k]!;
  }
  return { ...mesh, positions: out };
}

/** The open rims of a mesh: each loop of boundary edges as its vertices, longest perimeter first. */
export function boundaryLoops(mesh: TriangleMesh): { vertices: number[]; perimeterMm: number; centre: Vec }[] {
  const n = mesh.vertexCount;
  const t = mesh.triangles;
  const count = new Map<number, number>();
  for (let f = 0; f < mesh.triangleCount; f++) {
    for (let e = 0; e < 3; e++) {
      const a = t[3 * f + e]!, b = t[3 * f + ((e + 1) % 3)]!;
      const key = a < b ? a * n + b : b * n + a;
      count.set(key, (count.get(key) ?? 0) + 1);
    }
  }
  const parent = new Map<number, number>();
  const find = (v: number): number => {
    let r = v;
    while (parent.get(r)! !== r) r = parent.get(r)!;
    parent.set(v, r);
    return r;
  };
  const edges: [number, number][] = [];
  for (const [key, c] of count) {
    if (c !== 1) continue;
    const a = Math.floor(key / n), b = key % n;
    edges.push([a, b]);
    if (!parent.has(a)) parent.set(a, a);
    if (!parent.has(b)) parent.set(b, b);
    const ra = find(a), rb = find(b);
    if (ra !== rb) parent.set(ra, rb);
  }
  const loops = new Map<number, { vertices: Set<number>; perimeterMm: number }>();
  for (const [a, b] of edges) {
    const r = find(a);
    const loop = loops.get(r) ?? { vertices: new Set<number>(), perimeterMm: 0 };
    loop.vertices.add(a).add(b);
    loop.perimeterMm += norm(sub(vertex(mesh, a), vertex(mesh, b)));
    loops.set(r, loop);
  }
  return [...loops.values()]
    .map((l) => {
      const vertices = [...l.vertices].sort((x, y) => x - y);
      let centre: Vec = [0, 0, 0];
      for (const v of vertices) centre = add(centre, scale(vertex(mesh, v), 1 / vertices.length));
      return { vertices, perimeterMm: l.perimeterMm, centre };
    })
    .sort((x, y) => y.perimeterMm - x.perimeterMm || x.vertices[0]! - y.vertices[0]!);
}
