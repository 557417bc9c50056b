// The twin's long axis, for motion gating: the principal axis of the epicardium, pointed at the
// `lv-apex` landmark. The cardiac reference phase (end-diastole) is where the tip is furthest
// toward the base along it; the respiratory one (end-expiration) is the most cranial (LPS +z).

import { symmetricEigen } from '../geometry/symmetric-eigen.ts';
import type { Twin } from './twin.ts';

export interface HeartAxes {
  centre: [number, number, number];
  /** Unit vector base → apex; null when the twin has no `lv-apex` landmark to orient it. */
  longAxis: [number, number, number] | null;
  /** Extent of the epicardium along the long axis: lowest and highest projection from the centre. */
  extent: [number, number];
}

export const CRANIAL: [number, number, number] = [0, 0, 1];

export function heartAxes(twin: Twin): HeartAxes {
  const pos = twin.surfaces.epi.positionsMm;
  const n = twin.surfaces.epi.vertexCount;
  const c = [0, 0, 0];
  for (let i = 0; i < n; i++) for (let k = 0; k < 3; k++) c[k]! += pos[3 * i + k]! / n;
  const cov = new Float64Array(9);
  for (let i = 0; i < n; i++) for (let r = 0; r < 3; r++) for (let s = 0; s < 3; s++) cov[3 * r + s]! += ((pos[3 * i + r]! - c[r]!) * (pos[3 * i + s]! - c[s]!)) / n;
  const { vectors } = symmetricEigen(cov, 3);
  let axis: [number, number, number] = [vectors[2]!, vectors[5]!, vectors[8]!];
  const apex = twin.landmarks.find((l) => l.name === 'lv-apex')?.positionMm;
  if (apex && (apex[0] - c[0]!) * axis[0] + (apex[1] - c[1]!) * axis[1] + (apex[2] - c[2]!) * axis[2] < 0) axis = [-axis[0], -axis[1], -axis[2]];
  let lo = Infinity, hi = -Infinity;
  for (let i = 0; i < n; i++) {
    const h = (pos[3 * i]! - c[0]!) * axis[0] + (pos[3 * i + 1]! - c[1]!) * axis[1] + (pos[3 * i + 2]! - c[2]!) * axis[2];
    lo = Math.min(lo, h);
    hi = Math.max(hi, h);
  }
  return { centre: [c[0]!, c[1]!, c[2]!], longAxis: apex ? axis : null, extent: [lo, hi] };
}
