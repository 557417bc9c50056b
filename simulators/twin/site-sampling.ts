// Candidate pacing sites every ~5 mm along every vein branch, with their features and whether a
// lead can be placed there (and why not): vein narrower than the lead plus margin, vein too wide
// to wedge the lead stably (the CS body and proximal great cardiac vein), apical third,
// phrenic-nerve risk region, or a bend tighter than the tortuosity limit.

import type { InaccessibleReason, SiteJson } from '../../protocol/index.ts';
import { angleOf, heightOf, type AnatomicalFrame } from './anatomical-frame.ts';
import { SCAR_DISTANCE_CAP_MM, branchLateralFeature } from './response-features.ts';
import { add, dot, norm, scale, sub, unit, vertex, type TriangleMesh, type Vec } from './triangle-mesh.ts';
import type { SynthesisedVeins } from './vein-synthesis.ts';

export interface SiteOptions {
  spacingMm: number;
  leadDiameterMm: number;
  /** Clearance a vein needs beyond the lead's diameter. */
  diameterMarginMm: number;
  /** A lead cannot be wedged stably in a vein wider than this (dislodgement risk). */
  maxStableDiameterMm: number;
  /** Sites below this height (apex 0, base 1) are apical. */
  apicalHeight: number;
  /** Phrenic-nerve risk region: angles (radians) on the anterolateral wall and a height band. */
  phrenicAngles: [number, number];
  phrenicHeights: [number, number];
  /** Direction change over ±5 mm beyond which a site is too tortuous to reach, degrees. */
  tortuosityDeg: number;
}

export const DEFAULT_SITE_OPTIONS: SiteOptions = {
  spacingMm: 5,
  leadDiameterMm: 1.7,
  diameterMarginMm: 0.3,
  maxStableDiameterMm: 4.5,
  apicalHeight: 1 / 3,
  phrenicAngles: [(112 * Math.PI) / 180, (150 * Math.PI) / 180],
  phrenicHeights: [0.3, 0.85],
  tortuosityDeg: 65,
};

export interface SampledSite {
  site: Omit<SiteJson, 'p'>;
  /** Feature vector in FEATURE_NAMES order (unrounded). */
  features: number[];
}

interface BranchGeometry {
  points: Vec[];
  radii: number[];
  /** Absolute arc length from the ostium per point. */
  arc: number[];
}

function branchGeometry(veins: SynthesisedVeins, nodes: readonly number[], arcOf: Float64Array): BranchGeometry {
  return {
    points: nodes.map((i) => [veins.nodes[i]![0], veins.nodes[i]![1], veins.nodes[i]![2]] as Vec),
    radii: nodes.map((i) => veins.nodes[i]![3]),
    arc: nodes.map((i) => arcOf[i]!),
  };
}

function at(g: BranchGeometry, arcMm: number): { point: Vec; radius: number } {
  let k = 0;
  while (k < g.arc.length - 2 && g.arc[k + 1]! < arcMm) k++;
  const span = g.arc[k + 1]! - g.arc[k]!;
  const t = span > 0 ? Math.min(1, Math.max(0, (arcMm - g.arc[k]!) / span)) : 0;
  return { point: add(g.points[k]!, scale(sub(g.points[k + 1]!, g.points[k]!), t)), radius: g.radii[k]! + t * (g.radii[k + 1]! - g.radii[k]!) };
}

/** Arc length from the ostium of every node (breadth-first from the root; edges in any order). */
export function nodeArcLengths(veins: SynthesisedVeins): Float64Array {
  const arc = new Float64Array(veins.nodes.length);
  const children: number[][] = veins.nodes.map(() => []);
  for (const [a, b] of veins.edges) children[a]!.push(b);
  const queue = [veins.root];
  for (let head = 0; head < queue.length; head++) {
    const a = queue[head]!;
    for (const b of children[a]!) {
      const pa = veins.nodes[a]!, pb = veins.nodes[b]!;
      arc[b] = arc[a]! + Math.hypot(pb[0] - pa[0], pb[1] - pa[1], pb[2] - pa[2]);
      queue.push(b);
    }
  }
  return arc;
}

export function sampleSites(
  veins: SynthesisedVeins,
  epi: TriangleMesh,
  frame: AnatomicalFrame,
  activationMs: Float64Array,
  qrsMs: number,
  scarVertices: readonly number[],
  options: SiteOptions,
): SampledSite[] {
  const arcOf = nodeArcLengths(veins);
  const sites: SampledSite[] = [];
  const minDiameter = options.leadDiameterMm + options.diameterMarginMm;
  for (const branch of veins.branches) {
    const g = branchGeometry(veins, branch.nodes, arcOf);
    const start = g.arc[0]!;
    const length = g.arc[g.arc.length - 1]! - start;
    let k = 0;
    for (let s = options.spacingMm / 2; s < length; s += options.spacingMm) {
      const arcMm = start + s;
      const { point, radius } = at(g, arcMm);
      const h = heightOf(frame, point);
      const phi = angleOf(frame, point);
      const nearest = nearestVertex(epi, point);
      const qlvMs = activationMs[nearest]!;
      let scarDistance = SCAR_DISTANCE_CAP_MM;
      for (const v of scarVertices) scarDistance = Math.min(scarDistance, norm(sub(vertex(epi, v), point)));

      const reasons: InaccessibleReason[] = [];
      if (2 * radius < minDiameter) reasons.push('vein-too-narrow');
      if (2 * radius > options.maxStableDiameterMm) reasons.push('vein-too-wide');
      if (h < options.apicalHeight) reasons.push('apical');
      if (phi >= options.phrenicAngles[0] && phi <= options.phrenicAngles[1] && h >= options.phrenicHeights[0] && h <= options.phrenicHeights[1]) reasons.push('phrenic-nerve');
      const before = at(g, Math.max(start, arcMm - 5)).point;
      const after = at(g, Math.min(start + length, arcMm + 5)).point;
      const bend = Math.acos(Math.max(-1, Math.min(1, dot(unit(sub(point, before)), unit(sub(after, point))))));
      if ((bend * 180) / Math.PI > options.tortuosityDeg) reasons.push('tortuosity');

      k++;
      sites.push({
        site: {
          id: `${branch.id}-${String(k).padStart(2, '0')}`,
          branch: branch.id,
          arcLengthMm: arcMm,
          position: point,
          features: [],
          accessible: reasons.length === 0,
          ...(reasons.length > 0 ? { reasons } : {}),
          qlvMs,
        },
        features: [Math.min(1, qlvMs / qrsMs), h, -Math.cos(phi), scarDistance, 2 * radius, branchLateralFeature(branch.kind)],
      });
    }
  }
  return sites;
}

export function nearestVertex(mesh: TriangleMesh, p: Readonly<Vec>): number {
  let best = 0;
  let bestD = Infinity;
  for (let i = 0; i < mesh.vertexCount; i++) {
    const dx = mesh.positions[3 * i]! - p[0], dy = mesh.positions[3 * i + 1]! - p[1], dz = mesh.positions[3 * i + 2]! - p[2];
    const d = dx * dx + dy * dy + dz * dz;
    if (d < bestD) { bestD = d; best = i; }
  }
  return best;
}
