import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import { pointOnBranch } from '../../server/twin/vein-tree.ts';
import { summariseTwin } from '../../server/twin/twin-summary.ts';
import { MINI_TWIN_PATH, miniTwinText } from '../fixtures/make-mini-twin.ts';

describe('loading the mini fixture twin', () => {
  it('the committed fixture is what make-mini-twin.ts generates (run npm run gen:fixtures)', () => {
    expect(readFileSync(MINI_TWIN_PATH, 'utf8')).toBe(miniTwinText());
  });

  it('converts geometry to typed arrays', async () => {
    const twin = await loadTwinFile(MINI_TWIN_PATH);
    try {
      expect(twin.surfaces.epi.positionsMm).toBeInstanceOf(Float32Array);
      expect(twin.surfaces.epi.triangles).toBeInstanceOf(Uint32Array);
      expect(twin.surfaces.epi.fields.activationMs).toHaveLength(twin.surfaces.epi.vertexCount);
      expect(twin.veins.positionsMm).toBeInstanceOf(Float64Array);
      expect(twin.sites.features).toBeInstanceOf(Float32Array);
      expect(twin.sites.features).toHaveLength(24 * 3);
    } finally {
      await twin.close();
    }
  });

  it('builds the vein tree: parents, children, arc length from the ostium, branches', async () => {
    const twin = await loadTwinFile(MINI_TWIN_PATH);
    try {
      const v = twin.veins;
      expect(v.nodeCount).toBe(24);
      expect(v.root).toBe(0);
      expect(v.parent[0]).toBe(-1);
      // Node 1 (x = 10 on the trunk) has two children: trunk node 2 and the first mcv node.
      const kids = Array.from(v.children.subarray(v.childStart[1]!, v.childStart[2]!)).sort((a, b) => a - b);
      expect(kids).toEqual([2, 9]);
      expect(v.arcLengthMm[8]).toBeCloseTo(80, 12); // end of the trunk
      expect(v.arcLengthMm[23]).toBeCloseTo(120, 12); // tip of the lateral branch: 60 along the trunk + 60 down
      expect(v.totalLengthMm).toBeCloseTo(230, 9);
      const byId = Object.fromEntries(v.branches.map((b) => [b.id, b]));
      expect(byId['lat']!.parentBranch).toBe(v.branchById.get('cs'));
      expect(byId['cs']!.parentBranch).toBe(-1);
      expect(byId['lat']!.startArcMm).toBe(60);
      expect(byId['lat']!.lengthMm).toBeCloseTo(60, 12);
      expect(byId['mcv']!.minRadiusMm).toBe(0.8);
      expect(v.segmentBranch[9]).toBe(v.branchById.get('mcv'));
      expect(v.segmentBranch[2]).toBe(v.branchById.get('cs'));
      const out = [0, 0, 0];
      pointOnBranch(v, byId['lat']!, 95, out);
      expect(out).toEqual([60, 30, -35]);
    } finally {
      await twin.close();
    }
  });

  it('derives exactly one target zone, on the lateral branch between the p = 0.5 crossing and the last accessible site', async () => {
    const twin = await loadTwinFile(MINI_TWIN_PATH);
    try {
      expect(twin.zones).toHaveLength(1);
      const zone = twin.zones[0]!;
      expect(zone.branchId).toBe('lat');
      // p rises 0.45 → 0.60 between arc 80 and 90: it crosses 0.5 a third of the way.
      const s = twin.sites;
      const p80 = s.p[s.byId.get('lat-02')!]!;
      const p90 = s.p[s.byId.get('lat-03')!]!;
      expect(zone.startArcMm).toBeCloseTo(80 + (10 * (0.5 - p80)) / (p90 - p80), 9);
      expect(zone.startArcMm).toBeCloseTo(83.33, 2);
      expect(zone.endArcMm).toBe(110); // lat-06 at 120 mm is apical: the zone stops at lat-05
      expect(Array.from(zone.sites, (i) => s.ids[i])).toEqual(['lat-03', 'lat-04', 'lat-05']);
      expect(zone.peakP).toBeCloseTo(0.8, 6);
    } finally {
      await twin.close();
    }
  });

  it('checks the ONNX model against every site', async () => {
    const twin = await loadTwinFile(MINI_TWIN_PATH);
    try {
      expect(twin.model).not.toBeNull();
      expect(twin.modelCheck?.sites).toBe(24);
      expect(twin.modelCheck!.maxAbsError).toBeLessThan(1e-6);
      const out = await twin.model!.evaluate(twin.sites.features, twin.sites.count);
      for (let i = 0; i < twin.sites.count; i++) expect(out[i]).toBeCloseTo(twin.sites.p[i]!, 5);
    } finally {
      await twin.close();
    }
  });

  it('summarises counts, branches, sites and zones', async () => {
    const twin = await loadTwinFile(MINI_TWIN_PATH);
    try {
      const s = summariseTwin(twin);
      expect(s.counts).toMatchObject({ veinNodes: 24, branches: 4, sites: 24, accessibleSites: 19, targetZones: 1, landmarks: 5 });
      expect(s.sites.inaccessibleByReason).toEqual({ 'vein-too-narrow': 3, 'phrenic-nerve': 1, apical: 1 });
      expect(s.branches.map((b) => [b.id, b.lengthMm])).toEqual([['cs', 80], ['mcv', 30], ['pl', 60], ['lat', 60]]);
      expect(s.noAccessibleResponderSite).toBe(false);
      expect(s.model?.illustrative).toBe(true);
    } finally {
      await twin.close();
    }
  });
});
