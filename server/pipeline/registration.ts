// Registration, source frame → twin frame. Landmark fit: rigid least squares (Horn) from ≥ 3
// non-collinear pairs, with the RMS fiducial error and a leave-one-out target-error estimate.
// Refinement: ICP of the collected tip trail to the vein centrelines, trimmed, bounded, and kept
// only when it brings the trail closer to the veins.

import { TwinguideError, type RegistrationInfo, type RegistrationState } from '../../protocol/index.ts';
import { applyFit, fitRigid, fitToMatrix, type Point3, type RigidFit } from '../geometry/rigid-fit.ts';
import { symmetricEigen } from '../geometry/symmetric-eigen.ts';
import { newCentrelinePoint, type CentrelineIndex } from '../twin/centreline-index.ts';

export interface Registration {
  readonly state: RegistrationState;
  /** Row-major 4×4, source → twin. */
  readonly matrix: readonly number[];
  readonly rmsMm?: number;
  readonly treMm?: number;
}

export const NO_REGISTRATION: Registration = Object.freeze({ state: 'none', matrix: Object.freeze([1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1]) });

export function identityRegistration(): Registration {
  return { state: 'landmarks', matrix: NO_REGISTRATION.matrix, rmsMm: 0, treMm: 0 };
}

export function registrationInfo(r: Registration): RegistrationInfo {
  const info: RegistrationInfo = { state: r.state };
  if (r.state !== 'none') info.transform = [...r.matrix];
  if (r.rmsMm !== undefined) info.rmsMm = r.rmsMm;
  if (r.treMm !== undefined) info.treMm = r.treMm;
  return info;
}

/** x' = M x for a row-major 4×4, written into out (no allocation). */
export function transformPoint(m: readonly number[], x: number, y: number, z: number, out: number[] | Float64Array): void {
  out[0] = m[0]! * x + m[1]! * y + m[2]! * z + m[3]!;
  out[1] = m[4]! * x + m[5]! * y + m[6]! * z + m[7]!;
  out[2] = m[8]! * x + m[9]! * y + m[10]! * z + m[11]!;
}

/**
 * A direction from the twin frame back to the source frame: the transpose of M's rotation (M is
 * rigid, source → twin), written into out (no allocation). For fluoro the source frame is the C-arm's.
 */
export function rotateToSource(m: readonly number[], x: number, y: number, z: number, out: number[] | Float64Array): void {
  out[0] = m[0]! * x + m[4]! * y + m[8]! * z;
  out[1] = m[1]! * x + m[5]! * y + m[9]! * z;
  out[2] = m[2]! * x + m[6]! * y + m[10]! * z;
}

/** The points' covariance about their centroid (3 × 3, row-major). */
function covariance(pts: readonly Point3[]): Float64Array {
  const n = pts.length;
  const c = [0, 0, 0];
  for (const p of pts) for (let k = 0; k < 3; k++) c[k]! += p[k]! / n;
  const cov = new Float64Array(9);
  for (const p of pts) for (let r = 0; r < 3; r++) for (let s = 0; s < 3; s++) cov[3 * r + s]! += ((p[r]! - c[r]!) * (p[s]! - c[s]!)) / n;
  return cov;
}

/** Points closer than this are the same point; all within it of a line are collinear. */
const DEGENERATE_MM = 1;

/** `sourceScale`: source units per mm (1, or with scaling the sizes' ratio): the source's tolerance is DEGENERATE_MM in its own scale. */
function checkPairs(source: readonly Point3[], target: readonly Point3[], sourceScale = 1): void {
  if (source.length < 3) throw new TwinguideError('TG_ERR_REGISTRATION', `${source.length} landmark pairs; a rigid fit needs at least 3`);
  for (const pts of [source, target]) {
    const tolerance = DEGENERATE_MM * (pts === source ? sourceScale : 1);
    for (let i = 0; i < pts.length; i++) for (let j = 0; j < i; j++) {
      const d = Math.hypot(pts[i]![0] - pts[j]![0], pts[i]![1] - pts[j]![1], pts[i]![2] - pts[j]![2]);
      if (d < tolerance) throw new TwinguideError('TG_ERR_REGISTRATION', `landmarks ${j} and ${i} are the same point (${d.toPrecision(3)} ${pts === source && sourceScale !== 1 ? 'source units' : 'mm'} apart)`);
    }
    // Collinear: the spread about the best line (2nd principal value) is tiny.
    const { values } = symmetricEigen(covariance(pts), 3);
    if (Math.sqrt(Math.max(0, values[1]!)) < tolerance / 2) throw new TwinguideError('TG_ERR_REGISTRATION', 'the landmarks are collinear: a rotation about their line cannot be determined');
  }
}

/**
 * A source frame of the other handedness (one axis flipped: an export with y down, RAS with only x
 * negated) cannot be fitted by any rotation: the fit leaves a large residual and guidance would
 * be centimetres off. With four or more landmarks off one plane, a mirror image that fits this
 * much better, with the rigid fit's RMS over MIRROR_MIN_RMS_MM, is refused with what to change.
 */
const MIRROR_BETTER = 0.5;
const MIRROR_MIN_RMS_MM = 3;

function refuseMirrored(source: readonly Point3[], target: readonly Point3[], rmsMm: number, scaling: boolean): void {
  if (source.length < 4 || rmsMm <= MIRROR_MIN_RMS_MM) return;
  const mirrored = fitRigid(source.map((p): Point3 => [-p[0], p[1], p[2]]), target, { scaling });
  if (mirrored.rmsMm < MIRROR_BETTER * rmsMm) {
    throw new TwinguideError('TG_ERR_REGISTRATION', `the landmarks fit a mirror image of the twin (RMS ${mirrored.rmsMm.toFixed(1)} mm) far better than the twin (RMS ${rmsMm.toFixed(1)} mm): the source frame has the other handedness (one axis flipped against the twin's LPS); flip that axis of the source points (and of the feed) and register again`);
  }
}

/**
 * Without scaling, the same landmarks span about the same size in both frames (picking errors move
 * them by millimetres): a source that spans a thousandth or a tenth as much is in metres or
 * centimetres, and would be refused as "the same point" or fitted centimetres off. Outside this
 * ratio of sizes (RMS about the centroid) the registration is refused, naming the likely unit.
 */
const MAX_SIZE_RATIO = 2;

/** The points' RMS distance from their centroid (the root of the covariance's trace). */
function rmsSpread(pts: readonly Point3[]): number {
  const cov = covariance(pts);
  return Math.sqrt(cov[0]! + cov[4]! + cov[8]!);
}

/** `a`, `b`: the source's and the twin's sizes (rmsSpread). */
function refuseOtherUnits(a: number, b: number): void {
  if (b === 0 || (a <= MAX_SIZE_RATIO * b && a * MAX_SIZE_RATIO >= b)) return;
  const ratio = a / b;
  const unit = ratio < 0.003 ? 'metres' : ratio < 0.3 ? 'centimetres' : ratio > 300 ? 'micrometres' : null;
  throw new TwinguideError('TG_ERR_REGISTRATION', `the source landmarks span ${a.toPrecision(3)} mm about their centre against the twin's ${b.toPrecision(3)} mm (×${ratio.toPrecision(2)})${unit ? `: the source looks like ${unit}` : ''}; positions are in millimetres (or register with scaling: true for a frame of another scale)`);
}

/** Landmark registration with RMS fiducial error and leave-one-out TRE (each landmark predicted by the fit of the others). */
export function registerLandmarks(source: readonly Point3[], target: readonly Point3[], options: { scaling?: boolean } = {}): Registration & { fit: RigidFit } {
  if (source.length !== target.length) throw new TwinguideError('TG_ERR_REGISTRATION', 'as many source as twin points are needed');
  // (Fewer than three pairs: checkPairs says so.)
  const sourceSize = source.length >= 3 ? rmsSpread(source) : 0, twinSize = source.length >= 3 ? rmsSpread(target) : 0;
  if (options.scaling !== true) refuseOtherUnits(sourceSize, twinSize);
  // With scaling the source may be in other units: its tolerances scale with its size.
  const sourceScale = options.scaling === true && twinSize > 0 ? Math.max(1e-6, sourceSize / twinSize) : 1;
  checkPairs(source, target, sourceScale);
  const fit = fitRigid(source, target, { scaling: options.scaling === true });
  refuseMirrored(source, target, fit.rmsMm, options.scaling === true);
  let tre = 0;
  let counted = 0;
  if (source.length >= 4) {
    for (let i = 0; i < source.length; i++) {
      const s = source.filter((_, k) => k !== i);
      const t = target.filter((_, k) => k !== i);
      try {
        checkPairs(s, t, sourceScale);
      } catch {
        continue; // leaving this one out makes the rest degenerate: no estimate from it
      }
      const p = applyFit(fitRigid(s, t, { scaling: options.scaling === true }), source[i]!);
      tre += (p[0] - target[i]![0]) ** 2 + (p[1] - target[i]![1]) ** 2 + (p[2] - target[i]![2]) ** 2;
      counted++;
    }
  }
  const treMm = counted > 0 ? Math.sqrt(tre / counted) : undefined;
  return { state: 'landmarks', matrix: fitToMatrix(fit), rmsMm: fit.rmsMm, ...(treMm !== undefined ? { treMm } : {}), fit };
}

/** A refinement is kept when it brings the trail at least this much closer to the veins. */
export const MIN_REFINE_GAIN_MM = 0.05;
export const MIN_REFINE_GAIN_FRACTION = 0.05;

export interface RefineResult {
  registration: Registration;
  accepted: boolean;
  /** RMS distance of the trail to the centrelines (trimmed), before and after. */
  beforeMm: number;
  afterMm: number;
  iterations: number;
}

/**
 * ICP of a trail of tip positions (source frame) to the vein centrelines: point-to-centreline
 * pairs, the worst `trimFraction` dropped each round, at most `maxIterations`. Accepted only when
 * the trimmed RMS improves by at least MIN_REFINE_GAIN_MM and MIN_REFINE_GAIN_FRACTION.
 */
export function refineRegistration(current: Registration, trailSource: readonly Point3[], centrelines: CentrelineIndex, options: { maxIterations?: number; trimFraction?: number } = {}): RefineResult {
  if (current.state === 'none') throw new TwinguideError('TG_ERR_REGISTRATION', 'refinement needs a landmark registration first');
  if (trailSource.length < 20) throw new TwinguideError('TG_ERR_REGISTRATION', `refinement needs a trail of at least 20 tip positions, have ${trailSource.length}`);
  const maxIterations = options.maxIterations ?? 30;
  const trim = options.trimFraction ?? 0.2;
  const nearest = newCentrelinePoint();
  let matrix = [...current.matrix];
  const moved = [0, 0, 0];
  const score = (m: readonly number[]): { rms: number; pairs: [Point3, Point3][] } => {
    const pairs: [Point3, Point3, number][] = [];
    for (const p of trailSource) {
      transformPoint(m, p[0], p[1], p[2], moved);
      centrelines.nearest(moved[0]!, moved[1]!, moved[2]!, nearest);
      pairs.push([p, [nearest.x, nearest.y, nearest.z], nearest.distanceMm]);
    }
    pairs.sort((a, b) => a[2] - b[2]);
    const kept = pairs.slice(0, Math.max(3, Math.floor(pairs.length * (1 - trim))));
    return { rms: Math.sqrt(kept.reduce((s, x) => s + x[2] ** 2, 0) / kept.length), pairs: kept.map(([a, b]) => [a, b]) };
  };
  const before = score(matrix);
  let best = { matrix, rms: before.rms };
  let pairs = before.pairs;
  let iterations = 0;
  for (; iterations < maxIterations; iterations++) {
    const fit = fitRigid(pairs.map((p) => p[0]), pairs.map((p) => p[1]));
    matrix = fitToMatrix(fit);
    const next = score(matrix);
    const improved = next.rms < best.rms - 1e-4;
    if (improved) best = { matrix, rms: next.rms };
    pairs = next.pairs;
    if (!improved) break;
  }
  // Accept only a real improvement: fitting noise can always shave a little off the RMS.
  const accepted = best.rms < before.rms - Math.max(MIN_REFINE_GAIN_MM, MIN_REFINE_GAIN_FRACTION * before.rms);
  const registration: Registration = accepted
    ? { state: 'refined', matrix: best.matrix, rmsMm: best.rms, ...(current.treMm !== undefined ? { treMm: current.treMm } : {}) }
    : current;
  return { registration, accepted, beforeMm: before.rms, afterMm: best.rms, iterations };
}
