// The heart's own frame, found from the geometry (never from the scanner axes, so a rotated or
// translated heart gives the same twin, rotated and translated): the LV long axis from base to
// apex, the septal direction (toward the RV), and the anterior direction completing a right-handed
// frame. Every per-vertex coordinate the builder uses (height, angle, AHA segment) comes from it.

import { TwinguideError } from '../../protocol/index.ts';
import { symmetricEigen } from '../../server/geometry/symmetric-eigen.ts';
import { add, boundaryLoops, centroid, cross, dot, norm, scale, sub, unit, vertex, type TriangleMesh, type Vec } from './triangle-mesh.ts';

export interface AnatomicalFrame {
  /** Centre of the LV base (valve plane). */
  readonly baseCentre: Vec;
  /** LV apex on the epicardium. */
  readonly apex: Vec;
  /** Unit vector base → apex. */
  readonly longAxis: Vec;
  /** Unit vector ⊥ long axis, from the LV toward the RV (the septum). */
  readonly septal: Vec;
  /** Unit vector ⊥ both, toward the anterior wall: anterior = septal × longAxis (hearts are chiral). */
  readonly anterior: Vec;
  /** Base centre to apex along the long axis, mm. */
  readonly lengthMm: number;
  /** How the frame was found, for the model card and for debugging. */
  readonly method: string;
  /**
   * Where the septal direction came from: the geometry (RV, the epicardial bulk the RV adds, the
   * valve rims), the user (--septum or a landmarks file), or the patient frame when the geometry
   * could not tell (then the twin does not move rigidly with the input).
   */
  readonly orientation: 'geometry' | 'user' | 'patient-frame';
}

/** What the user knows better than the geometry (input coordinates, mm, LPS). */
export interface FrameHints {
  /** A point on the septum or in the RV: the septal direction points from the LV axis toward it. */
  septum?: Vec;
  /** The LV apex (epicardial). */
  apex?: Vec;
}

/**
 * The aortic rim's centre seen from the mitral rim's, about the long axis (radians from the
 * septal direction toward anterior). Anatomy: the aortic valve lies anterior and septal of the
 * mitral valve; 55° is what the biv-me heart (its septum known from its RV) shows.
 */
export const AORTIC_FROM_MITRAL = (55 * Math.PI) / 180;
/** The RV's bulk must shift the epicardium's centre this much (× LV length) off the LV axis to be read as the RV. */
const RV_BULK_FRACTION = 0.08;
/** Patient frame (LPS): the RV lies to the right (−x) and anterior (−y) of the LV. */
const PATIENT_FRAME_SEPTAL: Vec = [-Math.SQRT1_2, -Math.SQRT1_2, 0];

type Loop = ReturnType<typeof boundaryLoops>[number];

export interface HeartSurfaces {
  epi: TriangleMesh;
  lvEndo?: TriangleMesh;
  rvEndo?: TriangleMesh;
}

function pca(points: Float64Array, count: number): { centre: Vec; axes: Vec[]; values: number[] } {
  const c: Vec = [0, 0, 0];
  for (let i = 0; i < count; i++) for (let k = 0; k < 3; k++) c[k] = c[k]! + points[3 * i + k]! / count;
  const cov = new Float64Array(9);
  for (let i = 0; i < count; i++) {
    for (let r = 0; r < 3; r++) for (let s = 0; s < 3; s++) cov[3 * r + s]! += (points[3 * i + r]! - c[r]!) * (points[3 * i + s]! - c[s]!) / count;
  }
  const { values, vectors } = symmetricEigen(cov, 3);
  const axes = [2, 1, 0].map((j): Vec => [vectors[j]!, vectors[3 + j]!, vectors[6 + j]!]);
  return { centre: c, axes, values: [values[2]!, values[1]!, values[0]!] };
}

/** Mean distance from the axis line of the vertices whose height along `axis` is in [lo, hi] of the extent. */
function slabRadius(mesh: TriangleMesh, origin: Vec, axis: Vec, lo: number, hi: number): number {
  let min = Infinity, max = -Infinity;
  for (let i = 0; i < mesh.vertexCount; i++) {
    const h = dot(sub(vertex(mesh, i), origin), axis);
    min = Math.min(min, h); max = Math.max(max, h);
  }
  let sum = 0, n = 0;
  for (let i = 0; i < mesh.vertexCount; i++) {
    const r = sub(vertex(mesh, i), origin);
    const h = dot(r, axis);
    const f = (h - min) / (max - min);
    if (f < lo || f > hi) continue;
    sum += norm(sub(r, scale(axis, h)));
    n++;
  }
  return n > 0 ? sum / n : 0;
}

export function findAnatomicalFrame(surfaces: HeartSurfaces, hints: FrameHints = {}): AnatomicalFrame {
  const lv = surfaces.lvEndo ?? surfaces.epi;
  const notes: string[] = [];
  // Base: the rims of an open surface are the valve orifices. A closed surface: the blunt end.
  // The base is where the valve rims are; a hole a segmentation left in the wall is not a rim.
  const lvLoops = boundaryLoops(lv);
  const holes = wallHoles(lvLoops);
  const rim = lvLoops.filter((l) => !holes.has(l)).flatMap((l) => l.vertices).sort((x, y) => x - y);
  let baseCentre: Vec;
  let longAxis: Vec;
  const { centre, axes } = pca(lv.positions, lv.vertexCount);
  if (rim.length >= 6) {
    baseCentre = [0, 0, 0];
    for (const v of rim) baseCentre = add(baseCentre, scale(vertex(lv, v), 1 / rim.length));
    if (surfaces.lvEndo) {
      // The long axis is the principal axis of the LV cavity, pointed away from the valve rims.
      longAxis = axes[0]!;
      if (dot(sub(centre, baseCentre), longAxis) < 0) longAxis = scale(longAxis, -1);
    } else {
      // The biventricular shell's principal axis is not the LV's: aim at the farthest point
      // from the rims instead, the apex, so the axis runs through the heart to its tip.
      let far = baseCentre;
      for (let i = 0; i < lv.vertexCount; i++) if (norm(sub(vertex(lv, i), baseCentre)) > norm(sub(far, baseCentre))) far = vertex(lv, i);
      longAxis = unit(sub(far, baseCentre));
    }
    notes.push(`base from ${rim.length} rim vertices of the ${surfaces.lvEndo ? 'LV endocardium' : 'epicardium'}`);
  } else {
    longAxis = axes[0]!;
    // The apex is the narrower end.
    const rA = slabRadius(lv, centre, longAxis, 0.85, 1);
    const rB = slabRadius(lv, centre, longAxis, 0, 0.15);
    if (rA > rB) longAxis = scale(longAxis, -1);
    let top = -Infinity;
    for (let i = 0; i < lv.vertexCount; i++) top = Math.max(top, -dot(sub(vertex(lv, i), centre), longAxis));
    baseCentre = sub(centre, scale(longAxis, top * 0.92));
    notes.push('closed surface: apex at the narrower end of the principal axis');
  }

  if (hints.apex) {
    longAxis = unit(sub(hints.apex, baseCentre));
    notes.push('long axis toward the given apex');
  }
  // Apex: the epicardial point farthest along the long axis.
  const epi = surfaces.epi;
  let apex: Vec = baseCentre;
  let depth = -Infinity;
  for (let i = 0; i < epi.vertexCount; i++) {
    const d = dot(sub(vertex(epi, i), baseCentre), longAxis);
    if (d > depth) { depth = d; apex = vertex(epi, i); }
  }
  if (!(depth > 10)) throw new TwinguideError('TG_ERR_ANATOMY', `the long axis is only ${depth.toFixed(1)} mm from base to apex; these do not look like ventricles`);

  const across = (v: Vec): Vec => sub(v, scale(longAxis, dot(v, longAxis)));
  const septal = findSeptal(surfaces, hints, baseCentre, longAxis, depth, across, notes);
  const anterior = unit(cross(septal.direction, longAxis));
  return { baseCentre, apex, longAxis, septal: septal.direction, anterior, lengthMm: depth, method: notes.join('; '), orientation: septal.orientation };
}

/**
 * The septal direction, from the best evidence there is: the user's point; the RV endocardium;
 * the epicardial bulk the RV adds beside the LV; the valve rims (aortic anterior-septal of
 * mitral); the biventricular cross-section; the patient frame as the last resort.
 */
function findSeptal(
  surfaces: HeartSurfaces, hints: FrameHints, baseCentre: Vec, longAxis: Vec, lengthMm: number,
  across: (v: Vec) => Vec, notes: string[],
): { direction: Vec; orientation: AnatomicalFrame['orientation'] } {
  const epi = surfaces.epi;
  const usable = (v: Vec, min: number): boolean => norm(across(v)) >= min;
  if (hints.septum) {
    const toward = sub(hints.septum, baseCentre);
    if (!usable(toward, 1)) throw new TwinguideError('TG_ERR_ANATOMY', 'the given septum point lies on the LV long axis; it must lie to the septal (RV) side');
    notes.push('septum toward the given point');
    return { direction: unit(across(toward)), orientation: 'user' };
  }
  if (surfaces.rvEndo) {
    const toward = sub(centroid(surfaces.rvEndo), surfaces.lvEndo ? centroid(surfaces.lvEndo) : baseCentre);
    if (!usable(toward, 1)) throw new TwinguideError('TG_ERR_ANATOMY', 'cannot find the septum: the RV does not lie to one side of the LV long axis');
    notes.push('septum toward the RV endocardium');
    return { direction: unit(across(toward)), orientation: 'geometry' };
  }
  if (surfaces.lvEndo) {
    const toward = sub(centroid(epi), centroid(surfaces.lvEndo));
    if (usable(toward, RV_BULK_FRACTION * lengthMm)) {
      notes.push('septum toward the epicardial bulk beyond the LV');
      return { direction: unit(across(toward)), orientation: 'geometry' };
    }
  }
  const rims = valveRims(surfaces.lvEndo ? boundaryLoops(surfaces.lvEndo) : boundaryLoops(epi));
  if (rims) {
    const d = across(sub(rims.aortic, rims.mitral));
    if (norm(d) >= 5) {
      // Turn the mitral→aortic direction back by its angle from the septum.
      // w is u turned a quarter toward anterior (anterior = septal × long axis); turn u back by the angle.
      const u = unit(d), w = cross(u, longAxis);
      const c = Math.cos(AORTIC_FROM_MITRAL), s = Math.sin(AORTIC_FROM_MITRAL);
      notes.push('septum from the valve rims (the aortic rim lies anterior and septal of the mitral)');
      return { direction: unit(sub(scale(u, c), scale(w, s))), orientation: 'geometry' };
    }
  }
  if (!surfaces.lvEndo) {
    const toward = epiOnlySeptum(epi, baseCentre, longAxis);
    if (toward && usable(toward, 1)) {
      notes.push('septum from the elongated biventricular cross-section (no endocardia given)');
      return { direction: unit(across(toward)), orientation: 'geometry' };
    }
  }
  const fallback = across(PATIENT_FRAME_SEPTAL);
  if (!usable(fallback, 0.2)) throw new TwinguideError('TG_ERR_ANATOMY', 'cannot find the septum: the geometry does not show it and the long axis runs right-anterior; give --septum X,Y,Z or a landmarks file');
  notes.push('septum from the patient frame (LPS: the RV to the right and anterior of the LV), the geometry could not tell');
  return { direction: unit(fallback), orientation: 'patient-frame' };
}

/**
 * The mitral (largest) and aortic (second) rims of an LV surface open at both valves, or null.
 * Holes a segmentation left in the wall do not count (wallHoles); a third rim of valve size
 * means a biventricular shell.
 */
function valveRims(all: Loop[]): { mitral: Vec; aortic: Vec } | null {
  const holes = wallHoles(all);
  const loops = all.filter((l) => l.vertices.length >= 6 && !holes.has(l));
  if (loops.length < 2) return null;
  if (loops.length > 2 && loops[2]!.perimeterMm >= loops[1]!.perimeterMm / 3) return null;
  return { mitral: loops[0]!.centre, aortic: loops[1]!.centre };
}

/** Epicardium only: the mid-ventricular cross-section is elongated along the LV–RV direction (null when it is round: no RV). */
function epiOnlySeptum(epi: TriangleMesh, base: Vec, axis: Vec): Vec | null {
  let max = 0;
  for (let i = 0; i < epi.vertexCount; i++) max = Math.max(max, dot(sub(vertex(epi, i), base), axis));
  const pts: number[] = [];
  for (let i = 0; i < epi.vertexCount; i++) {
    const r = sub(vertex(epi, i), base);
    const h = dot(r, axis) / max;
    if (h > 0.35 && h < 0.65) pts.push(...sub(r, scale(axis, dot(r, axis))));
  }
  if (pts.length < 30) return null;
  const { axes, centre, values } = pca(Float64Array.from(pts), pts.length / 3);
  if (values[0]! < 1.3 * values[1]!) return null;
  let dir = axes[0]!;
  // The RV side is the side of the section's centre away from the LV (the apex lies on the LV).
  if (dot(centre, dir) < 0) dir = scale(dir, -1);
  // As long as the section's offset from the axis: too small an offset means no clear RV side.
  return scale(dir, Math.abs(dot(centre, dir)));
}

/** Apico-basal coordinate: 0 at the apex, 1 at the base plane (clamped to [0, 1]). */
export function heightOf(frame: AnatomicalFrame, p: Readonly<Vec>): number {
  const h = 1 - dot(sub(p, frame.baseCentre), frame.longAxis) / frame.lengthMm;
  return h < 0 ? 0 : h > 1 ? 1 : h;
}

/** Circumferential angle about the long axis, radians: septum 0, anterior +π/2, lateral ±π. */
export function angleOf(frame: AnatomicalFrame, p: Readonly<Vec>): number {
  const r = sub(p, frame.baseCentre);
  return Math.atan2(dot(r, frame.anterior), dot(r, frame.septal));
}

/** The point on the long axis at height h, and the outward direction at angle phi. */
export function axisPoint(frame: AnatomicalFrame, h: number): Vec {
  return add(frame.baseCentre, scale(frame.longAxis, (1 - h) * frame.lengthMm));
}

export function radialDirection(frame: AnatomicalFrame, phi: number): Vec {
  return add(scale(frame.septal, Math.cos(phi)), scale(frame.anterior, Math.sin(phi)));
}

/**
 * AHA 17-segment model from height and angle. Basal 1–6, mid 7–12, apical 13–16, apex 17.
 * Basal/mid ring from anterior, counter-clockwise seen from the apex: anterior, anteroseptal,
 * inferoseptal, inferior, inferolateral, anterolateral.
 */
export function ahaSegment(h: number, phi: number): number {
  const deg = (phi * 180) / Math.PI; // septum 0, anterior +90, lateral ±180, inferior −90
  if (h < 0.08) return 17;
  if (h < 1 / 3 + 0.08 * (1 / 3)) {
    if (deg >= 45 && deg < 135) return 13; // apical anterior
    if (deg >= -45 && deg < 45) return 14; // apical septal
    if (deg >= -135 && deg < -45) return 15; // apical inferior
    return 16; // apical lateral
  }
  const ring = h < 2 / 3 ? 6 : 0;
  let seg: number;
  if (deg >= 60 && deg < 120) seg = 1; // anterior
  else if (deg >= 0 && deg < 60) seg = 2; // anteroseptal
  else if (deg >= -60 && deg < 0) seg = 3; // inferoseptal
  else if (deg >= -120 && deg < -60) seg = 4; // inferior
  else if (deg >= -180 && deg < -120) seg = 5; // inferolateral
  else seg = 6; // anterolateral (120 … 180)
  return seg + ring;
}

/**
 * Vertices of holes a segmentation left in the wall: open loops away from the largest rim (centre
 * further than 2.5 of its radii; the aortic rim lies about 1.7 mitral radii from the mitral on the
 * biv-me heart) and smaller than a third of it (a valve is larger: the aortic rim is 0.58 of the
 * mitral, the smallest biventricular rim half the largest). Only on a surface with more than two
 * rims, so an LV surface open at its valves, or a biventricular one, is read as before.
 */
function wallHoles(loops: Loop[]): Set<Loop> {
  const out = new Set<Loop>();
  if (loops.length <= 2) return out;
  const main = loops[0]!;
  const radius = main.perimeterMm / (2 * Math.PI);
  for (const l of loops.slice(1)) {
    if (norm(sub(l.centre, main.centre)) > 2.5 * radius && l.perimeterMm < main.perimeterMm / 3) out.add(l);
  }
  return out;
}
