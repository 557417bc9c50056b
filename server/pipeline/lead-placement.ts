// Where each electrode of the lead is: the lead follows the path the tip took, so an electrode
// `offset` mm behind the tip lies `offset` mm back along the tree from the tip's place, toward the
// ostium (through junctions, on the tip's own root path). Behind the ostium it is in the right
// atrium: not in the veins, placed on the line the coronary sinus leaves the ostium by.
// One Float64Array per placement (FIELDS numbers per electrode): it travels with the sample.

import type { LeadInfo } from '../../protocol/index.ts';
import type { Twin } from '../twin/twin.ts';

/** Per electrode: in the tree (1/0), segment, branch, arc mm, x, y, z, vein radius, accessible (1/0), twin p. */
export const FIELDS = 10;
export const IN_TREE = 0, SEGMENT = 1, BRANCH = 2, ARC = 3, X = 4, Y = 5, Z = 6, RADIUS = 7, ACCESSIBLE = 8, RESPONSE = 9;

export interface LeadPlaces {
  readonly count: number;
  readonly data: Float64Array;
}

export class LeadPlacer {
  lead: LeadInfo | null = null;

  constructor(private readonly twin: Twin) {}

  /** Electrodes of the tip at (segment, arcMm); null without a lead. `response` (p per electrode) is filled in later. */
  place(segment: number, arcMm: number): LeadPlaces | null {
    const lead = this.lead;
    if (!lead) return null;
    const v = this.twin.veins;
    const count = lead.electrodeOffsetsMm.length;
    const data = new Float64Array(count * FIELDS);
    for (let k = 0; k < count; k++) {
      const o = k * FIELDS;
      const a = arcMm - lead.electrodeOffsetsMm[k]!;
      // Up the tip's root path to the segment holding arc length a.
      let c = segment;
      while (c !== v.root && v.arcLengthMm[v.parent[c]!]! > a) c = v.parent[c]!;
      const pos = v.positionsMm;
      if (c === v.root || a < 0) {
        // Proximal to the ostium: on the line out of the ostium, beyond it.
        const first = v.children[v.childStart[v.root]!] ?? v.root;
        const r = v.root;
        const len = Math.max(1e-9, v.arcLengthMm[first]!);
        for (let d = 0; d < 3; d++) data[o + X + d] = pos[3 * r + d]! + ((pos[3 * r + d]! - pos[3 * first + d]!) * -Math.min(0, a)) / len;
        data[o + IN_TREE] = 0;
        data[o + SEGMENT] = first;
        data[o + BRANCH] = v.segmentBranch[first]!;
        data[o + ARC] = 0;
        data[o + RADIUS] = v.radiiMm[r]!;
        data[o + ACCESSIBLE] = 0;
        continue;
      }
      const p = v.parent[c]!;
      const a0 = v.arcLengthMm[p]!, a1 = v.arcLengthMm[c]!;
      const f = a1 > a0 ? Math.min(1, Math.max(0, (a - a0) / (a1 - a0))) : 0;
      for (let d = 0; d < 3; d++) data[o + X + d] = pos[3 * p + d]! + f * (pos[3 * c + d]! - pos[3 * p + d]!);
      const radius = v.radiiMm[p]! + f * (v.radiiMm[c]! - v.radiiMm[p]!);
      const branch = v.segmentBranch[c]!;
      data[o + IN_TREE] = 1;
      data[o + SEGMENT] = c;
      data[o + BRANCH] = branch;
      data[o + ARC] = Math.min(a1, Math.max(a0, a));
      data[o + RADIUS] = radius;
      data[o + ACCESSIBLE] = accessibleAt(this.twin, branch, a) && 2 * radius >= lead.bodyDiameterMm ? 1 : 0;
    }
    return { count, data };
  }
}

/**
 * The twin's accessibility at a place of a branch: between two sites, both must be accessible (as
 * target zones take it); before the first or past the last site, the nearest site's.
 */
export function accessibleAt(twin: Twin, branch: number, arcMm: number): boolean {
  const s = twin.sites;
  const list = s.byBranch[branch];
  if (!list || list.length === 0) return false;
  let lo = -1;
  for (let k = 0; k < list.length && s.arcLengthMm[list[k]!]! <= arcMm; k++) lo = k;
  if (lo < 0) return s.accessible[list[0]!] === 1;
  if (lo === list.length - 1) return s.accessible[list[lo]!] === 1;
  return s.accessible[list[lo]!] === 1 && s.accessible[list[lo + 1]!] === 1;
}
