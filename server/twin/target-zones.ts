// Target zones: maximal stretches of vein (branch, arc-length interval) where the responder
// probability, interpolated linearly between neighbouring sites of a branch, is at or above the
// threshold and every site in the stretch is accessible. No extrapolation beyond a branch's first
// and last sites, and a stretch ends at the last accessible site before an inaccessible one (the
// lead cannot be assumed to pass it). A twin with no zone is a valid and important answer.

import type { SiteTable } from './site-table.ts';
import type { VeinTree } from './vein-tree.ts';

export interface TargetZone {
  readonly id: string;
  readonly branch: number;
  readonly branchId: string;
  readonly startArcMm: number;
  readonly endArcMm: number;
  /** Highest interpolated p in the zone (attained at a site, since p is piecewise linear). */
  readonly peakP: number;
  /** Sites inside the zone, by arc length. */
  readonly sites: Int32Array;
}

export function deriveTargetZones(tree: VeinTree, sites: SiteTable, threshold: number): TargetZone[] {
  const zones: TargetZone[] = [];
  for (const branch of tree.branches) {
    const list = sites.byBranch[branch.index]!;
    let start = NaN;
    let members: number[] = [];
    const close = (endArcMm: number): void => {
      if (Number.isNaN(start)) return;
      let peakP = 0;
      for (const s of members) peakP = Math.max(peakP, sites.p[s]!);
      zones.push({
        id: `${branch.id}#${zones.filter((z) => z.branch === branch.index).length + 1}`,
        branch: branch.index,
        branchId: branch.id,
        startArcMm: start,
        endArcMm: Math.max(start, endArcMm),
        peakP,
        sites: Int32Array.from(members),
      });
      start = NaN;
      members = [];
    };

    for (let k = 0; k < list.length; k++) {
      const i = list[k]!;
      const pi = sites.p[i]!;
      const ai = sites.arcLengthMm[i]!;
      const ok = sites.accessible[i] === 1 && pi >= threshold;
      if (ok) {
        if (Number.isNaN(start)) start = ai;
        members.push(i);
      }
      const j = list[k + 1];
      if (j === undefined) { close(ai); break; }
      const pj = sites.p[j]!;
      const aj = sites.arcLengthMm[j]!;
      const bothAccessible = sites.accessible[i] === 1 && sites.accessible[j] === 1;
      if (!bothAccessible) { close(ai); continue; }
      // Within [ai, aj] p is linear: the zone enters or leaves where it crosses the threshold.
      if (ok && pj < threshold) close(crossing(ai, pi, aj, pj, threshold));
      else if (!ok && pj >= threshold) start = crossing(ai, pi, aj, pj, threshold);
    }
  }
  return zones;
}

function crossing(a0: number, p0: number, a1: number, p1: number, threshold: number): number {
  if (p1 === p0) return a0;
  return a0 + ((threshold - p0) / (p1 - p0)) * (a1 - a0);
}

/** p interpolated along a branch at arc length `arcMm`; NaN outside the branch's sites. */
export function interpolateP(sites: SiteTable, branch: number, arcMm: number): number {
  const list = sites.byBranch[branch];
  if (!list || list.length === 0) return NaN;
  const first = list[0]!;
  const last = list[list.length - 1]!;
  if (arcMm < sites.arcLengthMm[first]! || arcMm > sites.arcLengthMm[last]!) return NaN;
  let lo = 0;
  let hi = list.length - 1;
  while (hi - lo > 1) {
    const mid = (lo + hi) >> 1;
    if (sites.arcLengthMm[list[mid]!]! <= arcMm) lo = mid;
    else hi = mid;
  }
  const a = list[lo]!;
  const b = list[hi]!;
  const span = sites.arcLengthMm[b]! - sites.arcLengthMm[a]!;
  const t = span > 0 ? (arcMm - sites.arcLengthMm[a]!) / span : 0;
  return sites.p[a]! + Math.min(1, Math.max(0, t)) * (sites.p[b]! - sites.p[a]!);
}
