// The tree-constrained motion filter (experimental pipeline mode 'tree'): a catheter held still on
// a vein while the heart moves it is placed back at its arc length, at the twin's reference phase.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CRANIAL, heartAxes } from '../../server/twin/heart-axes.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { TreeMotionFilter, newPathPoint, pathPoint } from '../../server/pipeline/tree-motion-filter.ts';
import { HeartMotion } from '../../simulators/device/heart-motion.ts';

let twin: Twin;
beforeAll(async () => { twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname, { loadModel: false }); });
afterAll(async () => { await twin.close(); });

describe('TreeMotionFilter', () => {
  it('pathPoint walks up to the parent branch before a side branch starts, and clamps at the tip', () => {
    const v = twin.veins;
    const lat = v.branchById.get('lmv1')!;
    const start = v.branches[lat]!.startArcMm;
    expect(pathPoint(v, lat, start - 10, newPathPoint()).branch).toBe(v.branches[lat]!.parentBranch);
    expect(pathPoint(v, lat, start + 5, newPathPoint()).branch).toBe(lat);
    const end = pathPoint(v, lat, 1e6, newPathPoint());
    const tip = v.branches[lat]!.nodes[v.branches[lat]!.nodes.length - 1]!;
    expect(end.x).toBeCloseTo(v.positionsMm[3 * tip]!, 9);
  });

  it('recovers the arc length of a still catheter under cardiac and respiratory motion', () => {
    const v = twin.veins;
    const lat = v.branchById.get('lmv1')!;
    const arc = v.branches[lat]!.startArcMm + 25;
    const truth = pathPoint(v, lat, arc, newPathPoint());
    const axes = heartAxes(twin);
    const filter = new TreeMotionFilter(v, [-axes.longAxis![0], -axes.longAxis![1], -axes.longAxis![2]], CRANIAL, { estimateFrequencies: false, cardiacHz: 1.1, respiratoryHz: 0.25 });
    const motion = new HeartMotion(twin, { cardiacHz: 1.1, cardiacMm: 8, respiratoryHz: 0.25, respiratoryMm: 5 });
    const d = [0, 0, 0];
    filter.start(0, lat, arc + 6); // start 6 mm off, as a tracker hand-over might
    const errors: number[] = [];
    for (let k = 0; k < 3000; k++) {
      const t = k / 100;
      motion.displacement([truth.x, truth.y, truth.z], t, d);
      filter.update(t, [truth.x + d[0]!, truth.y + d[1]!, truth.z + d[2]!]);
      if (t > 20) errors.push(Math.abs(filter.arcLengthMm - arc));
    }
    errors.sort((a, b) => a - b);
    expect(errors[errors.length >> 1]!).toBeLessThan(1);
  });
});
