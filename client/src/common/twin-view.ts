// The twin as the display draws it: typed arrays built once from the bundle (GET
// /api/twins/:id/bundle), branches with the arc length from the ostium at each node, and the sites
// of each branch in arc order, so the scene and the hover read values without searching.

import type { InaccessibleReason, TwinBundle } from '../../../protocol/twin-schema.ts';

export interface SiteView {
  id: string;
  arcLengthMm: number;
  position: [number, number, number];
  p: number;
  accessible: boolean;
  reasons: readonly InaccessibleReason[];
}

export interface BranchView {
  id: string;
  name: string;
  kind: string;
  /** Node indices, parent → child. */
  nodes: Uint32Array;
  /** Arc length from the ostium at each of `nodes`, mm. */
  arcMm: Float64Array;
  /** This branch's sites, by arc length. */
  sites: SiteView[];
}

export interface TwinView {
  id: string;
  label: string;
  threshold: number;
  epi: { positions: Float32Array; indices: Uint32Array };
  /** Centreline nodes x, y, z; radii in mm. */
  nodes: Float32Array;
  radii: Float32Array;
  branches: BranchView[];
  sites: SiteView[];
  /** Centre and radius of the epicardium's bounding sphere, for the camera. */
  centre: [number, number, number];
  radiusMm: number;
}

export function twinView(bundle: TwinBundle): TwinView {
  const { nodes: rawNodes, edges, root } = bundle.veins;
  const n = rawNodes.length;
  const nodes = new Float32Array(n * 3);
  const radii = new Float32Array(n);
  rawNodes.forEach((node, i) => {
    nodes.set([node[0], node[1], node[2]], i * 3);
    radii[i] = node[3];
  });
  // Arc length from the ostium: walk the tree from the root.
  const children: number[][] = Array.from({ length: n }, () => []);
  for (const [parent, child] of edges) children[parent]!.push(child);
  const nodeArc = new Float64Array(n);
  const stack = [root];
  while (stack.length > 0) {
    const a = stack.pop()!;
    for (const b of children[a]!) {
      nodeArc[b] = nodeArc[a]! + Math.hypot(nodes[b * 3]! - nodes[a * 3]!, nodes[b * 3 + 1]! - nodes[a * 3 + 1]!, nodes[b * 3 + 2]! - nodes[a * 3 + 2]!);
      stack.push(b);
    }
  }
  const sites: SiteView[] = bundle.sites.map((s) => ({ id: s.id, arcLengthMm: s.arcLengthMm, position: [s.position[0], s.position[1], s.position[2]], p: s.p, accessible: s.accessible, reasons: s.reasons ?? [] }));
  const branches: BranchView[] = bundle.veins.branches.map((b) => {
    const ids = Uint32Array.from(b.nodes);
    return {
      id: b.id,
      name: b.name,
      kind: b.kind,
      nodes: ids,
      arcMm: Float64Array.from(ids, (i) => nodeArc[i]!),
      sites: sites.filter((_, k) => bundle.sites[k]!.branch === b.id).sort((x, y) => x.arcLengthMm - y.arcLengthMm),
    };
  });
  const positions = Float32Array.from(bundle.surfaces.epi.vertices);
  const lo = [Infinity, Infinity, Infinity];
  const hi = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < positions.length; i++) {
    lo[i % 3] = Math.min(lo[i % 3]!, positions[i]!);
    hi[i % 3] = Math.max(hi[i % 3]!, positions[i]!);
  }
  const centre: [number, number, number] = [(lo[0]! + hi[0]!) / 2, (lo[1]! + hi[1]!) / 2, (lo[2]! + hi[2]!) / 2];
  return {
    id: bundle.meta.id,
    label: bundle.meta.label,
    threshold: bundle.guidance.responseThreshold,
    epi: { positions, indices: Uint32Array.from(bundle.surfaces.epi.triangles) },
    nodes,
    radii,
    branches,
    sites,
    centre,
    radiusMm: Math.hypot(hi[0]! - lo[0]!, hi[1]! - lo[1]!, hi[2]! - lo[2]!) / 2,
  };
}

export interface BranchValue {
  /** p linearly interpolated between the neighbouring sites (the nearest one beyond the ends); null without sites. */
  p: number | null;
  /** The nearest site along the branch: its accessibility holds for this stretch. */
  nearest: SiteView | null;
}

/** The response and accessibility along a branch at an arc length (mm from the ostium). */
export function branchValueAt(branch: BranchView, arcMm: number): BranchValue {
  const s = branch.sites;
  if (s.length === 0) return { p: null, nearest: null };
  let hi = 0;
  while (hi < s.length && s[hi]!.arcLengthMm < arcMm) hi++;
  if (hi === 0) return { p: s[0]!.p, nearest: s[0]! };
  if (hi === s.length) return { p: s[s.length - 1]!.p, nearest: s[s.length - 1]! };
  const a = s[hi - 1]!;
  const b = s[hi]!;
  const f = (arcMm - a.arcLengthMm) / Math.max(1e-9, b.arcLengthMm - a.arcLengthMm);
  return { p: a.p + f * (b.p - a.p), nearest: f < 0.5 ? a : b };
}
