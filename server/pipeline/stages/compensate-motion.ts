// Motion compensation in the space the tracker measures in: 3D source-frame points for EAM (a rigid
// registration commutes with the filter, whose model is the same on every axis), 2D pixels for
// each fluoro view (one filter per view, restarted when that view's C-arm geometry changes).

import type { CArmGeometry } from '../../../protocol/index.ts';
import { stage, type Flow } from '../flow.ts';
import { MotionFilter, type MotionFilterOptions } from '../motion-filter.ts';

export interface CompensationOptions {
  eam: Partial<MotionFilterOptions>;
  fluoro: Partial<MotionFilterOptions>;
  /** Off: pass positions through unfiltered (for comparisons). */
  enabled: boolean;
}

export const DEFAULT_COMPENSATION: CompensationOptions = {
  eam: { noise: 1 },
  // ~1 mm at the isocentre is ~4–5 px on a typical detector.
  fluoro: { noise: 4, accelerationDensity: 8000, amplitudeDrift: 40 },
  enabled: true,
};

const sameGeometry = (a: CArmGeometry, b: CArmGeometry): boolean =>
  a.alpha === b.alpha && a.beta === b.beta && a.sid === b.sid && a.sod === b.sod && a.pixelSpacing[0] === b.pixelSpacing[0] && a.pixelSpacing[1] === b.pixelSpacing[1] && a.size[0] === b.size[0] && a.size[1] === b.size[1];

export function compensateMotion(options: CompensationOptions = DEFAULT_COMPENSATION) {
  return stage<Flow, Flow>((emit) => {
    let eam: MotionFilter | null = null;
    const views: { filter: MotionFilter; geometry: CArmGeometry }[] = [];
    const out3 = new Float64Array(3);
    const out2 = new Float64Array(2);
    return {
      next(item) {
        if (item.kind !== 'sample') return emit(item);
        const s = item.sample;
        if (s.type === 'tip') {
          if (!options.enabled) return emit({ kind: 'compensated', sample: s, source: [s.p[0], s.p[1], s.p[2]], views: [] });
          eam ??= new MotionFilter(3, options.eam);
          eam.update(s.t, s.p, out3);
          emit({ kind: 'compensated', sample: s, source: [out3[0]!, out3[1]!, out3[2]!], views: [] });
          return;
        }
        const compensated = s.views.map((view, k) => {
          if (!options.enabled) return { u: view.u, v: view.v };
          let slot = views[k];
          if (!slot || !sameGeometry(slot.geometry, view.geometry)) {
            slot = { filter: new MotionFilter(2, options.fluoro), geometry: view.geometry };
            views[k] = slot;
          }
          slot.filter.update(s.t, [view.u, view.v], out2);
          return { u: out2[0]!, v: out2[1]! };
        });
        emit({ kind: 'compensated', sample: s, source: null, views: compensated });
      },
    };
  });
}
