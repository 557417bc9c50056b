// C-arm projection geometry in the DICOM terms of DESIGN.md. The C-arm frame is the patient frame
// (LPS) with its origin at the isocentre; the procedure's registration maps it to the twin.
//   viewing direction d = (sin α cos β, −cos α cos β, sin β)   (α +LAO, β +CRAN; source → detector)
//   source at −SOD·d, detector plane ⊥ d at SID from the source, centred on the central ray;
//   image u to the right = (up₀ × d) normalised with up₀ = superior, v downward = −(d × u).
// Pixel (u, v) is continuous, with the principal point at (width/2, height/2); pixelSpacing is
// DICOM's [row spacing (along v), column spacing (along u)] at the detector.

import type { CArmGeometry } from '../../protocol/index.ts';
import { hypot2, hypot3 } from '../geometry/hypot.ts';

export interface CArmFrame {
  source: [number, number, number];
  direction: [number, number, number];
  uAxis: [number, number, number];
  vAxis: [number, number, number];
  detectorCentre: [number, number, number];
}

const cross = (a: readonly number[], b: readonly number[]): [number, number, number] => [a[1]! * b[2]! - a[2]! * b[1]!, a[2]! * b[0]! - a[0]! * b[2]!, a[0]! * b[1]! - a[1]! * b[0]!];
const unit = (a: [number, number, number]): [number, number, number] => {
  const n = hypot3(a[0], a[1], a[2]);
  return [a[0] / n, a[1] / n, a[2] / n];
};

/** The viewing direction (source → detector, C-arm frame) of angles α (+LAO) and β (+CRAN), degrees. */
export function viewDirection(alphaDeg: number, betaDeg: number): [number, number, number] {
  const a = (alphaDeg * Math.PI) / 180;
  const b = (betaDeg * Math.PI) / 180;
  return [Math.sin(a) * Math.cos(b), -Math.cos(a) * Math.cos(b), Math.sin(b)];
}

/** How side-on a view shows a direction (unit, C-arm frame): the sine of the angle between it and the beam. */
export function shownInView(dir: ArrayLike<number>, alphaDeg: number, betaDeg: number): number {
  const d = viewDirection(alphaDeg, betaDeg);
  const c = dir[0]! * d[0] + dir[1]! * d[1] + dir[2]! * d[2];
  return Math.sqrt(Math.max(0, 1 - c * c));
}

/**
 * The C-arm angles a view is suggested from: LAO/RAO up to 60°, CRAN/CAUD up to 40°, in 5° steps.
 * CS venography is read in AP, LAO 30 and RAO 30 (Silva et al., J Innov Card Rhythm Manag 2020,
 * doi:10.19102/icrm.2020.110703) and rotational venography sweeps RAO 54° to LAO 54°, finding the
 * view that best shows the target branch often other than the standard ones (abstract 3240, "High-
 * speed rotational coronary venous angiography improves delineation of coronary venous anatomy
 * during cardiac resynchronization therapy"); 60° and the 40° of angulation are
 * this product's assumption of what a stand reaches with a patient on the table, not a cited limit.
 */
export const SUGGESTED_VIEWS = { alphaDeg: 60, betaDeg: 40, stepDeg: 5 } as const;

/**
 * Of the suggested views, the one nearest the current view (by the angles moved) that shows `dir`
 * (unit, C-arm frame) at least `atLeast` side-on; where none does, the one that shows it best.
 */
export function sideOnView(dir: ArrayLike<number>, current: { alpha: number; beta: number }, atLeast = 0.9): { alpha: number; beta: number; shown: number } {
  const { alphaDeg, betaDeg, stepDeg } = SUGGESTED_VIEWS;
  let near: { alpha: number; beta: number; shown: number } | null = null, nearMove = Infinity;
  let best = { alpha: current.alpha, beta: current.beta, shown: -1 };
  for (let alpha = -alphaDeg; alpha <= alphaDeg; alpha += stepDeg) {
    for (let beta = -betaDeg; beta <= betaDeg; beta += stepDeg) {
      const shown = shownInView(dir, alpha, beta);
      if (shown > best.shown) best = { alpha, beta, shown };
      const move = hypot2(alpha - current.alpha, beta - current.beta);
      if (shown >= atLeast && move < nearMove) { near = { alpha, beta, shown }; nearMove = move; }
    }
  }
  return near ?? best;
}

export function carmFrame(g: CArmGeometry): CArmFrame {
  const d = viewDirection(g.alpha, g.beta);
  // Near β = ±90° superior is parallel to d: fall back to posterior as "up".
  const up0 = Math.abs(d[2]) > 0.999 ? [0, 1, 0] : [0, 0, 1];
  const uAxis = unit(cross(up0, d));
  const vAxis = cross(uAxis, d); // = −(d × u): downward in the image
  const source: [number, number, number] = [-g.sod * d[0], -g.sod * d[1], -g.sod * d[2]];
  const detectorCentre: [number, number, number] = [source[0] + g.sid * d[0], source[1] + g.sid * d[1], source[2] + g.sid * d[2]];
  return { source, direction: d, uAxis, vAxis, detectorCentre };
}

/** Pixel coordinates of a C-arm-frame point, or null when it is behind the source. */
export function projectPoint(g: CArmGeometry, p: readonly number[], frame: CArmFrame = carmFrame(g)): [number, number] | null {
  const s = frame.source;
  const rel = [p[0]! - s[0], p[1]! - s[1], p[2]! - s[2]];
  const depth = rel[0]! * frame.direction[0] + rel[1]! * frame.direction[1] + rel[2]! * frame.direction[2];
  if (depth <= 1e-9) return null;
  const k = g.sid / depth;
  const onDetector = [s[0] + rel[0]! * k - frame.detectorCentre[0], s[1] + rel[1]! * k - frame.detectorCentre[1], s[2] + rel[2]! * k - frame.detectorCentre[2]];
  const u = (onDetector[0]! * frame.uAxis[0] + onDetector[1]! * frame.uAxis[1] + onDetector[2]! * frame.uAxis[2]) / g.pixelSpacing[1] + g.size[0] / 2;
  const v = (onDetector[0]! * frame.vAxis[0] + onDetector[1]! * frame.vAxis[1] + onDetector[2]! * frame.vAxis[2]) / g.pixelSpacing[0] + g.size[1] / 2;
  return [u, v];
}

/** The ray (C-arm frame) from the source through pixel (u, v): origin and unit direction. */
export function backProject(g: CArmGeometry, u: number, v: number, frame: CArmFrame = carmFrame(g)): { origin: [number, number, number]; direction: [number, number, number] } {
  const du = (u - g.size[0] / 2) * g.pixelSpacing[1];
  const dv = (v - g.size[1] / 2) * g.pixelSpacing[0];
  const target = [0, 1, 2].map((k) => frame.detectorCentre[k]! + du * frame.uAxis[k]! + dv * frame.vAxis[k]!);
  return { origin: [...frame.source], direction: unit([target[0]! - frame.source[0], target[1]! - frame.source[1], target[2]! - frame.source[2]]) };
}

/**
 * Midpoint of closest approach of two rays, and the gap between them (the triangulation error).
 * Null when the rays are (nearly) parallel.
 */
export function triangulate(
  a: { origin: readonly number[]; direction: readonly number[] },
  b: { origin: readonly number[]; direction: readonly number[] },
): { point: [number, number, number]; gapMm: number } | null {
  const w = [a.origin[0]! - b.origin[0]!, a.origin[1]! - b.origin[1]!, a.origin[2]! - b.origin[2]!];
  const dd = (x: readonly number[], y: readonly number[]): number => x[0]! * y[0]! + x[1]! * y[1]! + x[2]! * y[2]!;
  const A = dd(a.direction, a.direction), B = dd(a.direction, b.direction), C = dd(b.direction, b.direction);
  const D = dd(a.direction, w), E = dd(b.direction, w);
  const den = A * C - B * B;
  if (den < 1e-8) return null;
  const s = (B * E - C * D) / den;
  const t = (A * E - B * D) / den;
  const pa = [0, 1, 2].map((k) => a.origin[k]! + s * a.direction[k]!);
  const pb = [0, 1, 2].map((k) => b.origin[k]! + t * b.direction[k]!);
  return { point: [(pa[0]! + pb[0]!) / 2, (pa[1]! + pb[1]!) / 2, (pa[2]! + pb[2]!) / 2], gapMm: hypot3(pa[0]! - pb[0]!, pa[1]! - pb[1]!, pa[2]! - pb[2]!) };
}
