// Moving a lead along the vein tree: the route between two places on the tree (withdraw to where
// their root paths meet, then advance), sampled as points with their branch and arc length.

import type { Twin } from '../../server/twin/twin.ts';

export interface TreePlace {
  /** Child node of the segment the place is on. */
  segment: number;
  /** 0 at the parent node, 1 at the child. */
  t: number;
}

export interface RoutePoint {
  x: number;
  y: number;
  z: number;
  branch: number;
  arcLengthMm: number;
  segment: number;
  t: number;
}

/** The place at arc length `arcMm` on a branch (clamped to the branch). */
export function placeOnBranch(twin: Twin, branchId: string, arcMm: number): TreePlace {
  const v = twin.veins;
  const b = v.branches[v.branchById.get(branchId)!]!;
  const nodes = b.nodes;
  const arc = Math.min(b.endArcMm, Math.max(b.startArcMm, arcMm));
  for (let k = 1; k < nodes.length; k++) {
    const c = nodes[k]!;
    const a0 = v.arcLengthMm[nodes[k - 1]!]!, a1 = v.arcLengthMm[c]!;
    if (arc <= a1 || k === nodes.length - 1) return { segment: c, t: a1 > a0 ? Math.min(1, Math.max(0, (arc - a0) / (a1 - a0))) : 0 };
  }
  return { segment: nodes[1]!, t: 0 };
}

export function pointAt(twin: Twin, place: TreePlace): RoutePoint {
  const v = twin.veins;
  const c = place.segment, p = v.parent[c]!;
  const pos = v.positionsMm;
  const t = place.t;
  return {
    x: pos[3 * p]! + t * (pos[3 * c]! - pos[3 * p]!),
    y: pos[3 * p + 1]! + t * (pos[3 * c + 1]! - pos[3 * p + 1]!),
    z: pos[3 * p + 2]! + t * (pos[3 * c + 2]! - pos[3 * p + 2]!),
    branch: v.segmentBranch[c]!,
    arcLengthMm: v.arcLengthMm[p]! + t * (v.arcLengthMm[c]! - v.arcLengthMm[p]!),
    segment: c,
    t,
  };
}

/**
 * Route from a to b as points every ≤ stepMm along the tree: legs along single segments, up from
 * a to where the two root paths meet, then down to b.
 */
export function route(twin: Twin, a: TreePlace, b: TreePlace, stepMm = 0.25): RoutePoint[] {
  const v = twin.veins;
  const legs: { segment: number; t0: number; t1: number }[] = [];
  if (a.segment === b.segment) {
    legs.push({ segment: a.segment, t0: a.t, t1: b.t });
  } else {
    const up = (n: number): number[] => {
      const path: number[] = [];
      for (let k = n; k >= 0; k = v.parent[k]!) path.push(k);
      return path;
    };
    const pa = up(a.segment), pb = up(b.segment);
    const inB = new Set(pb);
    const lca = pa.find((n) => inB.has(n))!;
    if (lca === a.segment) {
      legs.push({ segment: a.segment, t0: a.t, t1: 1 });
    } else {
      legs.push({ segment: a.segment, t0: a.t, t1: 0 });
      for (let i = 1; i < pa.length && pa[i] !== lca; i++) legs.push({ segment: pa[i]!, t0: 1, t1: 0 });
    }
    if (lca === b.segment) {
      legs.push({ segment: b.segment, t0: 1, t1: b.t });
    } else {
      const below = pb.slice(1, pb.indexOf(lca)).reverse();
      for (const n of below) legs.push({ segment: n, t0: 0, t1: 1 });
      legs.push({ segment: b.segment, t0: 0, t1: b.t });
    }
  }
  const points: RoutePoint[] = [pointAt(twin, { segment: legs[0]!.segment, t: legs[0]!.t0 })];
  for (const leg of legs) {
    const p = v.parent[leg.segment]!;
    const length = Math.abs(leg.t1 - leg.t0) * (v.arcLengthMm[leg.segment]! - v.arcLengthMm[p]!);
    const steps = Math.max(1, Math.ceil(length / stepMm));
    for (let s = 1; s <= steps; s++) points.push(pointAt(twin, { segment: leg.segment, t: leg.t0 + ((leg.t1 - leg.t0) * s) / steps }));
  }
  return points;
}
