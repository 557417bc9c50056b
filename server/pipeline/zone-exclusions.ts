// The target zones a procedure can still use: the twin's zones less the stretches that a
// measurement ruled out (a phrenic capture there). A zone cut in the middle becomes two (ids with
// a, b, …); one cut away entirely is gone. The twin's own zones are never changed.

import type { TargetZoneInfo } from '../../protocol/index.ts';
import type { TargetZone } from '../twin/target-zones.ts';
import { interpolateP } from '../twin/target-zones.ts';
import type { Twin } from '../twin/twin.ts';

export interface ExcludedSpan {
  readonly branch: number;
  readonly startArcMm: number;
  readonly endArcMm: number;
}

export function usableZones(twin: Twin, spans: readonly ExcludedSpan[]): TargetZone[] {
  if (spans.length === 0) return [...twin.zones];
  const out: TargetZone[] = [];
  for (const zone of twin.zones) {
    // Subtract every span on this branch from [start, end].
    let parts: [number, number][] = [[zone.startArcMm, zone.endArcMm]];
    for (const s of spans) {
      if (s.branch !== zone.branch) continue;
      const next: [number, number][] = [];
      for (const [a, b] of parts) {
        if (s.endArcMm < a || s.startArcMm > b) { next.push([a, b]); continue; }
        if (s.startArcMm > a) next.push([a, s.startArcMm]);
        if (s.endArcMm < b) next.push([s.endArcMm, b]);
      }
      parts = next;
    }
    // What a cut leaves shorter than a millimetre is not a place to put a lead.
    const point = zone.endArcMm - zone.startArcMm < 1e-9;
    parts = parts.filter(([a, b]) => point || b - a >= 1);
    if (parts.length === 1 && parts[0]![0] === zone.startArcMm && parts[0]![1] === zone.endArcMm) { out.push(zone); continue; }
    parts.forEach(([a, b], k) => {
      const sites = Int32Array.from([...zone.sites].filter((i) => twin.sites.arcLengthMm[i]! >= a && twin.sites.arcLengthMm[i]! <= b));
      let peakP = 0;
      for (const i of sites) peakP = Math.max(peakP, twin.sites.p[i]!);
      for (const end of [a, b]) {
        const p = interpolateP(twin.sites, zone.branch, end);
        if (!Number.isNaN(p)) peakP = Math.max(peakP, p);
      }
      out.push({
        id: parts.length === 1 ? zone.id : `${zone.id}${String.fromCharCode(97 + k)}`,
        branch: zone.branch,
        branchId: zone.branchId,
        startArcMm: a,
        endArcMm: b,
        peakP,
        sites,
      });
    });
  }
  return out;
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

/** A zone as displays get it (the same rounding as the twin's summary). */
export function zoneInfo(twin: Twin, z: TargetZone): TargetZoneInfo {
  return { id: z.id, branch: z.branchId, startArcMm: round(z.startArcMm), endArcMm: round(z.endArcMm), peakP: round(z.peakP, 4), siteIds: Array.from(z.sites, (s) => twin.sites.ids[s]!) };
}
