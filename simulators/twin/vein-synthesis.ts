// A plausible coronary-sinus vein tree on the epicardium. Paths are laid out in the heart's own
// (height, angle) coordinates and projected onto the surface by casting rays from the long axis:
// the CS ostium at the posterior crux, the CS and great cardiac vein along the atrioventricular
// groove, the anterior interventricular vein down the anterior groove, the middle cardiac vein
// down the posterior groove, and posterior, posterolateral and lateral marginal branches toward
// the apex. Per-patient variation (how many lateral branches, where they leave, how far they
// reach, their calibre) comes from the seed.

import type { BranchKind } from '../../protocol/index.ts';
import { TwinguideError } from '../../protocol/index.ts';
import { axisPoint, radialDirection, type AnatomicalFrame } from './anatomical-frame.ts';
import type { Random } from './random.ts';
import { add, distanceToMesh, dot, lastRayHit, norm, scale, sub, triangleNormal, unit, type TriangleMesh, type Vec } from './triangle-mesh.ts';

export interface VeinOptions {
  /** Calibre factor for the posterior, posterolateral and lateral branches (narrow-vein twins). */
  lateralVeinScale: number;
  /** Node spacing along the centrelines, mm. */
  nodeSpacingMm: number;
  /** The CS ostium as height and angle in the heart's frame, when a landmark gives it. */
  ostium?: { h: number; phi: number };
}

export interface SynthesisedVeins {
  nodes: [number, number, number, number][];
  edges: [number, number][];
  root: number;
  branches: { id: string; name: string; kind: BranchKind; nodes: number[] }[];
  /** Interventricular groove angles found at mid height (radians), for the model card. */
  grooves: { anterior: number; posterior: number };
}

const DEG = Math.PI / 180;
/** Height of the atrioventricular groove (apex 0, base 1). */
const GROOVE_HEIGHT = 0.9;

interface SurfacePoint {
  point: Vec;
  normal: Vec;
}

export class EpicardialProjector {
  constructor(private readonly epi: TriangleMesh, private readonly frame: AnatomicalFrame) {}

  /** The surface point closest to q, with the outward normal there (for paths across a concavity). */
  nearest(q: Readonly<Vec>): SurfacePoint {
    const { closest, triangle } = distanceToMesh(this.epi, q);
    return { point: closest, normal: triangleNormal(this.epi, triangle) };
  }

  /** Where the ray from the long axis at height h, angle phi leaves the epicardium. */
  project(h: number, phi: number): SurfacePoint {
    const dir = radialDirection(this.frame, phi);
    // Near the base the ray may leave through a valve orifice: step down until it meets the wall.
    // Near the apex a rough axis may lie outside the surface: cast from well behind it instead
    // (the farthest hit along the ray is still where it leaves the heart on this side).
    for (let k = 0; k < 12; k++) {
      const hit = lastRayHit(this.epi, axisPoint(this.frame, h - 0.01 * k), dir);
      if (hit) return { point: hit.point, normal: hit.normal };
    }
    const origin = axisPoint(this.frame, h);
    const behind = lastRayHit(this.epi, sub(origin, scale(dir, 250)), dir);
    if (behind && dot(sub(behind.point, origin), dir) > 0) return { point: behind.point, normal: behind.normal };
    throw new TwinguideError('TG_ERR_ANATOMY', `no epicardium around the long axis at height ${h.toFixed(2)}, angle ${(phi / DEG).toFixed(0)}°`);
  }

  radius(h: number, phi: number): number {
    const p = this.project(h, phi).point;
    const a = axisPoint(this.frame, h);
    return norm(sub(p, a));
  }
}

/**
 * The interventricular grooves: seen from the LV long axis, the RV bulges around the septal
 * direction (angle 0). Each groove is the crease where the outline's radius falls fastest going
 * from the RV onto the LV free wall, anteriorly (0 … 120°) and posteriorly (0 … −120°). Null when
 * there is no clear drop (no RV at this height).
 */
export function findGrooves(projector: EpicardialProjector, h: number): { anterior: number; posterior: number } | null {
  const step = 2;
  const radius = new Map<number, number>();
  for (let d = -180; d < 180; d += step) radius.set(d, projector.radius(h, d * DEG));
  const r = (d: number): number => radius.get(((((d + 180) % 360) + 360) % 360) - 180)!;
  const smooth = (d: number): number => (r(d - step) + r(d) + r(d + step)) / 3;
  const steepest = (sign: 1 | -1): { angle: number; drop: number } => {
    let best = { angle: 60 * sign, drop: -Infinity };
    for (let d = 4; d <= 120; d += step) {
      const a = sign * d;
      const drop = (smooth(a - 6 * sign) - smooth(a + 6 * sign)) / smooth(a);
      if (drop > best.drop) best = { angle: a, drop };
    }
    return best;
  };
  const anterior = steepest(1);
  const posterior = steepest(-1);
  if (anterior.drop < 0.12 || posterior.drop < 0.12) return null;
  return { anterior: anterior.angle * DEG, posterior: posterior.angle * DEG };
}

interface PathSpec {
  /** (height, angle) along the path for u in [0, 1]. */
  at: (u: number) => [number, number];
  /** Radius (mm) at arc fraction f in [0, 1]. */
  radius: (f: number) => number;
}

interface BuiltPath {
  points: Vec[];
  radii: number[];
  angles: number[];
}

/** Sample a path densely, then place nodes every `spacing` mm of 3D arc length on the surface. */
/** A step between dense samples (normally a fraction of a node spacing) longer than this many node spacings is a jump of the projection. */
const JUMP_SPANS = 1;

function buildPath(projector: EpicardialProjector, spec: PathSpec, spacing: number): BuiltPath {
  const dense = 240;
  const us: number[] = [];
  const lengths: number[] = [0];
  let prev: Vec | null = null;
  for (let i = 0; i <= dense; i++) {
    const u = i / dense;
    const [h, phi] = spec.at(u);
    const p = projector.project(h, phi).point;
    if (prev) lengths.push(lengths[lengths.length - 1]! + norm(sub(p, prev)));
    us.push(u);
    prev = p;
  }
  const total = lengths[lengths.length - 1]!;
  const count = Math.max(2, Math.round(total / spacing) + 1);
  const surface: SurfacePoint[] = [];
  const bridged: boolean[] = [];
  const radii: number[] = [];
  const angles: number[] = [];
  let j = 0;
  let jumpEnds = null as { j: number; a: Vec; b: Vec } | null;
  for (let k = 0; k < count; k++) {
    const s = (total * k) / (count - 1);
    while (j < lengths.length - 2 && lengths[j + 1]! < s) j++;
    const span = lengths[j + 1]! - lengths[j]!;
    const f = span > 0 ? (s - lengths[j]!) / span : 0;
    const u = us[j]! + f * (us[j + 1]! - us[j]!);
    const [h, phi] = spec.at(u);
    // Where the projection jumps across a concavity (the outermost surface switches sides, as at
    // the posterior crux), re-projecting would pile nodes up at both ends of the jump: cross it
    // instead along the surface (the nearest surface points to the straight line between the two
    // sides, smoothed below), as a vein follows the groove.
    const jump = span > JUMP_SPANS * spacing;
    if (jump) {
      // Both sides of this jump, projected once for all the nodes that fall in it.
      if (jumpEnds?.j !== j) jumpEnds = { j, a: projector.project(...spec.at(us[j]!)).point, b: projector.project(...spec.at(us[j + 1]!)).point };
      surface.push(projector.nearest(add(scale(jumpEnds.a, 1 - f), scale(jumpEnds.b, f))));
    } else surface.push(projector.project(h, phi));
    bridged.push(jump);
    radii.push(spec.radius(total > 0 ? s / total : 0));
    angles.push(phi);
  }
  // Nearest points zig-zag between the sides of a crease: relax each bridged node toward the
  // middle of its neighbours, back onto the surface, a few times.
  for (let iteration = 0; iteration < 20; iteration++) {
    for (let k = 1; k < count - 1; k++) {
      if (bridged[k]) surface[k] = projector.nearest(scale(add(surface[k - 1]!.point, surface[k + 1]!.point), 0.5));
    }
  }
  // Lie on the epicardium, partly embedded in the epicardial fat: centre 0.4 + 0.45·r outside.
  // In a crease the nearest triangles' normals alternate between its two sides: offset bridged
  // nodes along the mean normal of their neighbourhood instead.
  const points = surface.map(({ point, normal }, k) => {
    const offset = 0.4 + 0.45 * radii[k]!;
    if (bridged[k]) {
      const n = unit(surface.slice(Math.max(0, k - 3), k + 4).reduce((sum, x) => add(sum, x.normal), [0, 0, 0] as Vec));
      const smooth = add(point, scale(n, offset));
      // Unless that lands inside the wall across the crease: then the triangle's own normal.
      const near = projector.nearest(smooth);
      if (dot(sub(smooth, near.point), near.normal) > 0.1) return smooth;
    }
    return add(point, scale(normal, offset));
  });
  // Where the projection stalls, nodes can still land almost on top of each other: keep a node
  // only once it is a third of a spacing from the last one kept (always keeping both ends).
  const keep = points.map((p, k) => k === 0 || k === points.length - 1);
  let last = points[0]!;
  for (let k = 1; k < points.length - 1; k++) {
    if (norm(sub(points[k]!, last)) >= spacing / 3 && norm(sub(points[points.length - 1]!, points[k]!)) >= spacing / 3) {
      keep[k] = true;
      last = points[k]!;
    }
  }
  return { points: points.filter((_, k) => keep[k]), radii: radii.filter((_, k) => keep[k]), angles: angles.filter((_, k) => keep[k]) };
}

export function synthesiseVeins(epi: TriangleMesh, frame: AnatomicalFrame, random: Random, options: VeinOptions): SynthesisedVeins {
  const projector = new EpicardialProjector(epi, frame);
  // Grooves are smooth creases: fit each one's angle as a line in height over the mid-ventricle
  // (least squares), which ignores the outflow tract at the base and the RV's end near the apex.
  const heights = [0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8];
  const found = heights.map((h) => ({ h, g: findGrooves(projector, h) })).filter((x) => x.g !== null);
  const fit = (side: 'anterior' | 'posterior', fallback: number): ((h: number) => number) => {
    if (found.length < 2) return () => fallback;
    const mh = found.reduce((a, x) => a + x.h, 0) / found.length;
    const ma = found.reduce((a, x) => a + x.g![side], 0) / found.length;
    const sxy = found.reduce((a, x) => a + (x.h - mh) * (x.g![side] - ma), 0);
    const sxx = found.reduce((a, x) => a + (x.h - mh) ** 2, 0);
    const slope = sxx > 0 ? sxy / sxx : 0;
    return (h) => ma + slope * (h - mh);
  };
  const anteriorGroove = fit('anterior', 60 * DEG);
  const posteriorGroove = fit('posterior', -60 * DEG);
  const groove = (h: number, side: 'anterior' | 'posterior'): number => (side === 'anterior' ? anteriorGroove(h) : posteriorGroove(h));

  const spacing = options.nodeSpacingMm;
  const nodes: [number, number, number, number][] = [];
  const edges: [number, number][] = [];
  const branches: SynthesisedVeins['branches'] = [];
  const nodeAngle: number[] = [];

  const addBranch = (id: string, name: string, kind: BranchKind, junction: number | null, path: BuiltPath): number[] => {
    const ids: number[] = junction === null ? [] : [junction];
    path.points.forEach((p, k) => {
      if (junction !== null && k === 0) return; // the junction node stands for the path's start
      const index = nodes.length;
      nodes.push([p[0], p[1], p[2], path.radii[k]!]);
      nodeAngle.push(path.angles[k]!);
      const parent = ids[ids.length - 1];
      if (parent !== undefined) edges.push([parent, index]);
      ids.push(index);
    });
    branches.push({ id, name, kind, nodes: ids });
    return ids;
  };

  // Trunk along the AV groove, in unwrapped angle: from just septal of the posterior crux, down
  // through inferior (−90°), lateral (−180°), round to the anterior groove (anterior − 360°).
  const drawnHeight = GROOVE_HEIGHT + random.range(-0.015, 0.015);
  const hg = options.ostium ? Math.min(0.995, Math.max(0.75, options.ostium.h)) : drawnHeight;
  // A given ostium keeps its angle on the posterior side (the CS runs from it toward lateral).
  const ostiumAngle = options.ostium ? ((options.ostium.phi > 0 ? options.ostium.phi - 2 * Math.PI : options.ostium.phi)) : groove(hg, 'posterior') + 12 * DEG;
  const csEnd = -125 * DEG + random.range(-8, 8) * DEG;
  const gcvEnd = groove(hg, 'anterior') - 2 * Math.PI;
  const cs = buildPath(projector, { at: (u) => [hg, ostiumAngle + u * (csEnd - ostiumAngle)], radius: (f) => 4.0 - 1.0 * f }, spacing);
  const csIds = addBranch('cs', 'coronary sinus', 'coronary-sinus', null, cs);
  const gcv = buildPath(projector, { at: (u) => [hg, csEnd + u * (gcvEnd - csEnd)], radius: (f) => 3.0 - 0.8 * f }, spacing);
  const gcvIds = addBranch('gcv', 'great cardiac vein', 'great-cardiac-vein', csIds[csIds.length - 1]!, gcv);
  const aivEnd = random.range(0.06, 0.14);
  const aiv = buildPath(projector, { at: (u) => { const h = hg + u * (aivEnd - hg); return [h, groove(h, 'anterior')]; }, radius: (f) => 2.2 - 1.2 * f }, spacing);
  addBranch('aiv', 'anterior interventricular vein', 'anterior-interventricular', gcvIds[gcvIds.length - 1]!, aiv);

  const trunk = [...csIds, ...gcvIds.slice(1)];
  const unwrapped = (node: number): number => {
    const a = nodeAngle[node]!;
    return a > 0 ? a - 2 * Math.PI : a; // the trunk runs over negative angles, past −180° to −360°
  };
  /** The trunk node whose angle is nearest `angle` (unwrapped), away from the trunk's ends. */
  const junctionAt = (angle: number): number => {
    let best = trunk[2]!;
    for (const node of trunk.slice(2, -2)) if (Math.abs(unwrapped(node) - angle) < Math.abs(unwrapped(best) - angle)) best = node;
    return best;
  };

  // Middle cardiac vein: joins the CS right at the ostium, runs down the posterior groove.
  const mcvEnd = random.range(0.08, 0.2);
  const mcvJunction = csIds[1]!;
  const mcvStart = nodeAngle[mcvJunction]!;
  addBranch('mcv', 'middle cardiac vein', 'middle-cardiac', mcvJunction, buildPath(projector, {
    at: (u) => { const h = hg + u * (mcvEnd - hg); return [h, u < 0.15 ? mcvStart + (u / 0.15) * (groove(h, 'posterior') - mcvStart) : groove(h, 'posterior')]; },
    radius: (f) => 2.4 - 1.4 * f,
  }, spacing));

  // Free-wall tributaries, each leaving the trunk and running toward the apex with a gentle meander.
  const tributary = (id: string, name: string, kind: BranchKind, angle: number, calibre: number): void => {
    const junction = junctionAt(angle);
    const start = unwrapped(junction);
    const end = random.range(0.2, 0.42);
    const drift = random.range(-12, 12) * DEG;
    const wiggle = random.range(2, 6) * DEG;
    const phase = random.range(0, 2 * Math.PI);
    const r0 = random.range(1.35, 1.9) * calibre;
    const rEnd = Math.min(r0, 0.5 + 0.35 * r0);
    addBranch(id, name, kind, junction, buildPath(projector, {
      at: (u) => [hg + u * (end - hg), start + drift * u + wiggle * Math.sin(phase + 3 * Math.PI * u) * u],
      radius: (f) => r0 + (rEnd - r0) * f,
    }, spacing));
  };
  const narrow = options.lateralVeinScale;
  tributary('pv', 'posterior vein of the left ventricle', 'posterior', -95 * DEG + random.range(-8, 8) * DEG, narrow);
  tributary('plv', 'posterolateral vein', 'posterolateral', -140 * DEG + random.range(-8, 8) * DEG, narrow);
  const draw = random.next();
  const lateralCount = draw < 0.3 ? 1 : draw < 0.8 ? 2 : 3;
  for (let k = 0; k < lateralCount; k++) {
    const centre = -185 - (lateralCount - 1) * 12 + 24 * k;
    tributary(`lmv${k + 1}`, `lateral marginal vein ${k + 1}`, 'lateral', (centre + random.range(-5, 5)) * DEG, narrow);
  }
  if (random.next() < 0.5) tributary('alv', 'anterolateral vein', 'other', -232 * DEG + random.range(-6, 6) * DEG, 0.85);

  return { nodes, edges, root: 0, branches, grooves: { anterior: groove(0.5, 'anterior'), posterior: groove(0.5, 'posterior') } };
}
