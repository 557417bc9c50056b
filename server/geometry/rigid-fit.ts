// Least-squares rigid (optionally similarity) fit of point pairs, Horn's closed form with unit
// quaternions: the rotation is proper by construction (no reflections), exact for exact data.
// Used for landmark registration and for fitting vein trees onto a heart.

import { symmetricEigen } from './symmetric-eigen.ts';

export type Point3 = readonly [number, number, number];

export interface RigidFit {
  /** Row-major 3×3 rotation. */
  rotation: Float64Array;
  translation: [number, number, number];
  /** 1 unless scaling was asked for. */
  scale: number;
  /** Root-mean-square residual over the pairs, mm. */
  rmsMm: number;
}

/** Find s, R, t minimising Σ w |s R x + t − y|². Needs ≥ 3 non-collinear pairs for a unique R. */
export function fitRigid(source: readonly Point3[], target: readonly Point3[], options: { scaling?: boolean; weights?: readonly number[] } = {}): RigidFit {
  const n = source.length;
  if (n !== target.length || n === 0) throw new RangeError('fitRigid needs as many targets as sources, at least one');
  const w = options.weights ?? source.map(() => 1);
  let wsum = 0;
  const cs = [0, 0, 0], ct = [0, 0, 0];
  for (let i = 0; i < n; i++) {
    wsum += w[i]!;
    for (let k = 0; k < 3; k++) { cs[k]! += w[i]! * source[i]![k]!; ct[k]! += w[i]! * target[i]![k]!; }
  }
  for (let k = 0; k < 3; k++) { cs[k]! /= wsum; ct[k]! /= wsum; }
  const S = new Float64Array(9); // S[a][b] = Σ w x'_a y'_b
  let sourceSpread = 0;
  for (let i = 0; i < n; i++) {
    const x = [source[i]![0] - cs[0]!, source[i]![1] - cs[1]!, source[i]![2] - cs[2]!];
    const y = [target[i]![0] - ct[0]!, target[i]![1] - ct[1]!, target[i]![2] - ct[2]!];
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) S[3 * a + b]! += w[i]! * x[a]! * y[b]!;
    sourceSpread += w[i]! * (x[0]! ** 2 + x[1]! ** 2 + x[2]! ** 2);
  }
  const [sxx, sxy, sxz, syx, syy, syz, szx, szy, szz] = S as unknown as number[];
  const N = [
    sxx! + syy! + szz!, syz! - szy!, szx! - sxz!, sxy! - syx!,
    syz! - szy!, sxx! - syy! - szz!, sxy! + syx!, szx! + sxz!,
    szx! - sxz!, sxy! + syx!, -sxx! + syy! - szz!, syz! + szy!,
    sxy! - syx!, szx! + sxz!, syz! + szy!, -sxx! - syy! + szz!,
  ];
  const { vectors } = symmetricEigen(N, 4);
  // Eigenvector of the largest eigenvalue (last column): the quaternion (w, x, y, z).
  const q0 = vectors[3]!, q1 = vectors[7]!, q2 = vectors[11]!, q3 = vectors[15]!;
  const rotation = Float64Array.from([
    q0 * q0 + q1 * q1 - q2 * q2 - q3 * q3, 2 * (q1 * q2 - q0 * q3), 2 * (q1 * q3 + q0 * q2),
    2 * (q1 * q2 + q0 * q3), q0 * q0 - q1 * q1 + q2 * q2 - q3 * q3, 2 * (q2 * q3 - q0 * q1),
    2 * (q1 * q3 - q0 * q2), 2 * (q2 * q3 + q0 * q1), q0 * q0 - q1 * q1 - q2 * q2 + q3 * q3,
  ]);
  let scale = 1;
  if (options.scaling && sourceSpread > 0) {
    let num = 0; // Σ w y'·R x'
    for (let a = 0; a < 3; a++) for (let b = 0; b < 3; b++) num += rotation[3 * b + a]! * S[3 * a + b]!;
    scale = num / sourceSpread;
  }
  const translation: [number, number, number] = [0, 1, 2].map((k) => ct[k]! - scale * (rotation[3 * k]! * cs[0]! + rotation[3 * k + 1]! * cs[1]! + rotation[3 * k + 2]! * cs[2]!)) as [number, number, number];
  let sq = 0;
  for (let i = 0; i < n; i++) {
    const p = applyFit({ rotation, translation, scale, rmsMm: 0 }, source[i]!);
    sq += w[i]! * ((p[0] - target[i]![0]) ** 2 + (p[1] - target[i]![1]) ** 2 + (p[2] - target[i]![2]) ** 2);
  }
  return { rotation, translation, scale, rmsMm: Math.sqrt(sq / wsum) };
}

export function applyFit(fit: RigidFit, p: Point3): [number, number, number] {
  const r = fit.rotation;
  return [0, 1, 2].map((k) => fit.scale * (r[3 * k]! * p[0] + r[3 * k + 1]! * p[1] + r[3 * k + 2]! * p[2]) + fit.translation[k]!) as [number, number, number];
}

/** The fit as a row-major 4×4 matrix (source → target), as the wire contract carries transforms. */
export function fitToMatrix(fit: RigidFit): number[] {
  const r = fit.rotation, s = fit.scale, t = fit.translation;
  return [s * r[0]!, s * r[1]!, s * r[2]!, t[0], s * r[3]!, s * r[4]!, s * r[5]!, t[1], s * r[6]!, s * r[7]!, s * r[8]!, t[2], 0, 0, 0, 1];
}
