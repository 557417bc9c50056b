// Placing a real centreline tree (the shared centreline JSON form, e.g. the BodyParts3D coronary
// veins) on a patient's epicardium. The tree comes from another body in another frame, so it is
// fitted: start from its `frameToLPS` rotation with its root on the expected CS ostium, then ICP
// with a similarity transform (rotation, translation, one scale) of every node to the epicardium,
// then each node is set just outside the surface. Branch kinds follow from where branches lie.

import type { BranchKind } from '../../protocol/index.ts';
import { TwinguideError } from '../../protocol/index.ts';
import { applyFit, fitRigid, type Point3 } from '../../server/geometry/rigid-fit.ts';
import { angleOf, type AnatomicalFrame } from './anatomical-frame.ts';
import { add, closestPointOnTriangle, cross, dot, norm, scale, sub, unit, vertex, type TriangleMesh, type Vec } from './triangle-mesh.ts';
import { EpicardialProjector, findGrooves, type SynthesisedVeins } from './vein-synthesis.ts';

export interface CentrelineFile {
  nodes: [number, number, number, number][];
  edges: [number, number][];
  root: number;
  branches: { name: string; nodes: number[]; parentBranch?: number | null }[];
  frameToLPS?: { matrix: number[][] };
}

export interface VeinFitReport {
  /** 'fit': a tree from another body, moved onto this heart; 'as-given': already in this heart's frame, only set onto the surface. */
  placement: 'fit' | 'as-given';
  iterations: number;
  scale: number;
  /** RMS distance of the fitted nodes to the epicardium before they are set onto it, mm. */
  rmsToSurfaceMm: number;
}

export function parseCentrelineFile(text: string, source: string): CentrelineFile {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new TwinguideError('TG_ERR_SURFACE', `${source}: not JSON`, { cause });
  }
  const f = json as Partial<CentrelineFile>;
  const ok =
    Array.isArray(f.nodes) && f.nodes.every((n) => Array.isArray(n) && n.length === 4 && n.every(Number.isFinite)) &&
    Array.isArray(f.edges) && f.edges.every((e) => Array.isArray(e) && e.length === 2 && e.every((i) => Number.isInteger(i) && i >= 0 && i < f.nodes!.length)) &&
    Number.isInteger(f.root) && Array.isArray(f.branches) && f.branches.every((b) => typeof b.name === 'string' && Array.isArray(b.nodes) && b.nodes.length >= 2);
  if (!ok) throw new TwinguideError('TG_ERR_SURFACE', `${source}: expected {"nodes": [[x,y,z,r],…], "edges": [[parent,child],…], "root", "branches": [{name, nodes}]}`);
  return f as CentrelineFile;
}

/** Nearest point on the mesh, searched over the triangles around the nearest vertices. */
class SurfaceNearest {
  private readonly vertexTriangles: number[][];
  /** +1 when triangles are wound counter-clockwise seen from outside, −1 when the other way. */
  private readonly winding: number;
  constructor(private readonly mesh: TriangleMesh) {
    this.vertexTriangles = Array.from({ length: mesh.vertexCount }, () => []);
    for (let f = 0; f < mesh.triangleCount; f++) for (let k = 0; k < 3; k++) this.vertexTriangles[mesh.triangles[3 * f + k]!]!.push(f);
    this.winding = signedVolume(mesh) >= 0 ? 1 : -1;
  }
  nearest(p: Readonly<Vec>): { point: Vec; normal: Vec; distance: number } {
    const m = this.mesh;
    // The few nearest vertices, then their triangles: exact for a mesh of reasonable quality.
    const best: [number, number][] = [];
    for (let i = 0; i < m.vertexCount; i++) {
      const d = (m.positions[3 * i]! - p[0]) ** 2 + (m.positions[3 * i + 1]! - p[1]) ** 2 + (m.positions[3 * i + 2]! - p[2]) ** 2;
      if (best.length < 4 || d < best[3]![1]) {
        best.push([i, d]);
        best.sort((a, b) => a[1] - b[1] || a[0] - b[0]);
        if (best.length > 4) best.pop();
      }
    }
    let result = { point: [0, 0, 0] as Vec, normal: [0, 0, 1] as Vec, distance: Infinity };
    for (const [v] of best) {
      for (const f of this.vertexTriangles[v]!) {
        const a = vertex(m, m.triangles[3 * f]!), b = vertex(m, m.triangles[3 * f + 1]!), c = vertex(m, m.triangles[3 * f + 2]!);
        const q = closestPointOnTriangle(p, a, b, c);
        const d = norm(sub(p, q));
        if (d < result.distance) result = { point: q, normal: scale(unit(cross(sub(b, a), sub(c, a))), this.winding), distance: d };
      }
    }
    return result;
  }
}

/** Anchor weight against one surface pair: the anatomy decides where the tree goes, ICP refines. */
const ANCHOR_WEIGHT = 40;
const DEG = Math.PI / 180;

/** Signed volume enclosed by the mesh (positive for outward winding; the open base rims barely matter). */
function signedVolume(mesh: TriangleMesh): number {
  const c = vertex(mesh, 0);
  let v = 0;
  for (let f = 0; f < mesh.triangleCount; f++) {
    const a = sub(vertex(mesh, mesh.triangles[3 * f]!), c), b = sub(vertex(mesh, mesh.triangles[3 * f + 1]!), c), d = sub(vertex(mesh, mesh.triangles[3 * f + 2]!), c);
    v += dot(a, cross(b, d)) / 6;
  }
  return v;
}

/** A tree whose nodes lie this close to the epicardium (RMS, mm) is taken to be in the heart's own frame. */
const SAME_FRAME_RMS_MM = 8;

export interface VeinFitOptions {
  /** The centrelines came from this patient's images (VMTK, Slicer): keep them where they are when they lie on the heart. */
  sameFrame?: boolean;
  /** The CS ostium when a landmark gives it (anchors a fitted tree's root). */
  ostium?: Vec;
}

export function fitRealVeinTree(file: CentrelineFile, epi: TriangleMesh, frame: AnatomicalFrame, options: VeinFitOptions = {}): { veins: SynthesisedVeins; report: VeinFitReport } {
  const m = file.frameToLPS?.matrix ?? [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
  const start: Point3[] = file.nodes.map(([x, y, z]) => [0, 1, 2].map((k) => m[k]![0]! * x + m[k]![1]! * y + m[k]![2]! * z) as unknown as Point3);
  const projector = new EpicardialProjector(epi, frame);
  const grooves = findGrooves(projector, 0.5) ?? { anterior: 60 * DEG, posterior: -60 * DEG };
  const surface = new SurfaceNearest(epi);
  if (options.sameFrame) {
    const rms = Math.sqrt(start.reduce((a, p) => a + surface.nearest(p as unknown as Vec).distance ** 2, 0) / start.length);
    if (rms <= SAME_FRAME_RMS_MM) return placeTree(file, start, 1, surface, frame, grooves, { placement: 'as-given', iterations: 0, scale: 1, rmsToSurfaceMm: rms });
  }

  // Anatomical anchors, where the synthesised tree would put them: the ostium at the posterior
  // crux, the CS's end on the posterolateral AV groove, the main trunk over the lateral AV groove
  // and down the anterior interventricular groove to near the apex.
  const cs = file.branches[0]!.nodes;
  const trunk = file.branches[1]?.nodes ?? cs;
  const anchors: [number, Point3][] = [
    [file.root, (options.ostium ?? projector.project(0.9, grooves.posterior + 12 * DEG).point) as Point3],
    [cs[cs.length - 1]!, projector.project(0.9, -125 * DEG).point],
    [trunk[Math.floor(trunk.length * 0.25)]!, projector.project(0.9, -200 * DEG).point],
    [trunk[trunk.length - 1]!, projector.project(0.15, grooves.anterior).point],
  ];
  // Start from the anchors alone (similarity), then ICP with anchors and surface together.
  let points: Point3[] = start;
  const initial = fitRigid(anchors.map(([i]) => start[i]!), anchors.map(([, t]) => t), { scaling: true, weights: [4, 1, 1, 1] });
  points = points.map((p) => applyFit(initial, p));
  let totalScale = initial.scale;

  let previous = Infinity;
  let rms = Infinity;
  let iterations = 0;
  for (; iterations < 40; iterations++) {
    const targets = points.map((p, i) => {
      const near = surface.nearest(p as Vec);
      return add(near.point, scale(near.normal, 0.4 + 0.45 * file.nodes[i]![3] * totalScale)) as unknown as Point3;
    });
    const source = [...points, ...anchors.map(([i]) => points[i]!)];
    const target = [...targets, ...anchors.map(([, t]) => t)];
    // The ostium is the anchor a physician relies on most (it is where the lead enters).
    const weights = [...points.map(() => 1), ...anchors.map((_, k) => (k === 0 ? 4 : 1) * ANCHOR_WEIGHT)];
    const fit = fitRigid(source, target, { scaling: true, weights });
    points = points.map((p) => applyFit(fit, p));
    totalScale *= fit.scale;
    rms = Math.sqrt(points.reduce((a, p) => a + surface.nearest(p as Vec).distance ** 2, 0) / points.length);
    if (previous - rms < 0.01) break;
    previous = rms;
  }
  if (!(totalScale > 0.4 && totalScale < 2.5)) {
    throw new TwinguideError('TG_ERR_ANATOMY', `the vein tree would need scaling by ${totalScale.toFixed(2)} to fit this heart; is it in mm?`);
  }

  return placeTree(file, points, totalScale, surface, frame, grooves, { placement: 'fit', iterations, scale: totalScale, rmsToSurfaceMm: rms });
}

const KIND_NAMES: Record<BranchKind, string> = {
  'coronary-sinus': 'coronary sinus',
  'great-cardiac-vein': 'great cardiac vein',
  lateral: 'lateral vein',
  posterolateral: 'posterolateral vein',
  posterior: 'posterior vein of the left ventricle',
  'middle-cardiac': 'middle cardiac vein',
  other: 'tributary',
} as Record<BranchKind, string>;

/** Every node set just outside the surface (a small non-rigid step), branches named and kinded by where they run. */
function placeTree(
  file: CentrelineFile, points: Point3[], totalScale: number, surface: SurfaceNearest, frame: AnatomicalFrame,
  grooves: { anterior: number; posterior: number }, report: VeinFitReport,
): { veins: SynthesisedVeins; report: VeinFitReport } {
  const nodes: [number, number, number, number][] = points.map((p, i) => {
    const near = surface.nearest(p as Vec);
    const r = file.nodes[i]![3] * totalScale;
    const q = add(near.point, scale(near.normal, 0.4 + 0.45 * r));
    return [q[0], q[1], q[2], r];
  });

  const used = new Set<string>();
  const names = new Map<string, number>();
  const branches = file.branches.map((b, k) => {
    const angles = b.nodes.map((i) => (angleOf(frame, [nodes[i]![0], nodes[i]![1], nodes[i]![2]]) * 180) / Math.PI);
    const mean = Math.atan2(angles.reduce((s, a) => s + Math.sin((a * Math.PI) / 180), 0), angles.reduce((s, a) => s + Math.cos((a * Math.PI) / 180), 0)) * (180 / Math.PI);
    const kind: BranchKind =
      k === 0 ? 'coronary-sinus' : k === 1 ? 'great-cardiac-vein' : Math.abs(mean) > 150 ? 'lateral' : mean < -110 ? 'posterolateral' : mean < -60 ? 'posterior' : mean < 0 ? 'middle-cardiac' : 'other';
    let id = k === 0 ? 'cs' : k === 1 ? 'gcv' : `t${k - 1}`;
    while (used.has(id)) id = `${id}x`;
    used.add(id);
    // A name from the file, else from where the branch runs (numbered when two run alike).
    let name = b.name;
    if (!name) {
      const base = KIND_NAMES[kind] ?? 'tributary';
      const n = (names.get(base) ?? 0) + 1;
      names.set(base, n);
      name = n === 1 ? base : `${base} ${n}`;
    }
    return { id, name, kind, nodes: b.nodes };
  });
  return { veins: { nodes, edges: file.edges, root: file.root, branches, grooves }, report };
}
