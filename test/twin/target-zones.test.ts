// Target zones on variations of the mini twin (loaded without the model, since p is edited here).
import { describe, expect, it } from 'vitest';
import type { TwinBundle } from '../../protocol/index.ts';
import { interpolateP } from '../../server/twin/target-zones.ts';
import { mini, withTwin } from '../helpers/twins.ts';

const noModel = { loadModel: false } as const;

function setSite(b: TwinBundle, id: string, change: Partial<TwinBundle['sites'][number]>): void {
  const site = b.sites.find((s) => s.id === id)!;
  Object.assign(site, change);
  if (change.accessible === true) delete site.reasons;
}

const zonesOf = (bundle: TwinBundle) =>
  withTwin(bundle, (t) => t.zones.map((z) => ({ id: z.id, branch: z.branchId, start: Number(z.startArcMm.toFixed(3)), end: Number(z.endArcMm.toFixed(3)) })), noModel);

describe('target zones', () => {
  it('extend to the branch tip when the apical site becomes accessible', async () => {
    expect(await zonesOf(mini((b) => setSite(b, 'lat-06', { accessible: true })))).toEqual([{ id: 'lat#1', branch: 'lat', start: 83.333, end: 120 }]);
  });

  it('follow the threshold: at 0.65 the lateral zone starts where p crosses 0.65', async () => {
    const zones = await zonesOf(mini((b) => { b.guidance.responseThreshold = 0.65; }));
    expect(zones).toHaveLength(1);
    expect(zones[0]!.start).toBeCloseTo(95, 2);
    expect(zones[0]!.end).toBe(110);
  });

  it('are split by an inaccessible site and never reach into it', async () => {
    const zones = await zonesOf(mini((b) => setSite(b, 'lat-04', { accessible: false, reasons: ['phrenic-nerve'] })));
    expect(zones).toEqual([
      { id: 'lat#1', branch: 'lat', start: 83.333, end: 90 },
      { id: 'lat#2', branch: 'lat', start: 110, end: 110 },
    ]);
  });

  it('start at an accessible site next to an inaccessible high-p site (no interpolation across it)', async () => {
    // pl-04 (p 0.62) is at phrenic risk; pl-05 at 80 mm made p 0.7 gives a zone from pl-05 to where
    // p falls through 0.5 toward pl-06 (p 0.3 at 90 mm): 80 + 10 · 0.2/0.4 = 85 mm.
    const zones = await zonesOf(mini((b) => setSite(b, 'pl-05', { p: 0.7 })));
    expect(zones.find((z) => z.branch === 'pl')).toEqual({ id: 'pl#1', branch: 'pl', start: 80, end: 85 });
  });

  it('are none when no accessible site reaches the threshold: a valid twin, flagged as such', async () => {
    const bundle = mini((b) => { for (const s of b.sites) if (s.accessible) s.p = Math.min(s.p, 0.4); });
    expect(await zonesOf(bundle)).toEqual([]);
    // Narrow, inaccessible veins with high p do not make a zone either.
    expect(await zonesOf(mini((b) => setSite(b, 'mcv-02', { p: 0.99 })))).toEqual([{ id: 'lat#1', branch: 'lat', start: 83.333, end: 110 }]);
  });

  it('interpolate p linearly along arc length between sites, and not beyond them', async () => {
    await withTwin(mini(), (twin) => {
      const lat = twin.veins.branchById.get('lat')!;
      const s = twin.sites;
      const p90 = s.p[s.byId.get('lat-03')!]!;
      const p100 = s.p[s.byId.get('lat-04')!]!;
      expect(interpolateP(s, lat, 90)).toBe(p90);
      expect(interpolateP(s, lat, 97.5)).toBeCloseTo(p90 + 0.75 * (p100 - p90), 12);
      expect(interpolateP(s, lat, 65)).toBeNaN();
      expect(interpolateP(s, lat, 121)).toBeNaN();
    }, noModel);
  });
});
