// Registration landmarks of a twin: named points a physician can touch with a catheter. At least
// four, uniquely named, apart from each other and not all in one plane (else a rigid fit from them
// is ill-conditioned about the plane's normal).

import { TwinguideError, type LandmarkJson } from '../../protocol/index.ts';
import { symmetricEigen } from '../geometry/symmetric-eigen.ts';

export interface Landmark {
  readonly name: string;
  readonly positionMm: readonly [number, number, number];
  readonly description?: string;
}

/** Landmarks closer than this are duplicates; all within this of one plane are coplanar. */
export const LANDMARK_MIN_SEPARATION_MM = 1;

export function checkLandmarks(json: readonly LandmarkJson[]): Landmark[] {
  if (json.length < 4) throw new TwinguideError('TG_ERR_TWIN_LANDMARKS', `${json.length} landmarks; registration needs at least 4`, { path: '/landmarks' });
  const names = new Set<string>();
  json.forEach((l, i) => {
    if (names.has(l.name)) throw new TwinguideError('TG_ERR_TWIN_LANDMARKS', `landmark name '${l.name}' is used twice`, { path: `/landmarks/${i}/name` });
    names.add(l.name);
    for (let j = 0; j < i; j++) {
      const o = json[j]!;
      const d = Math.hypot(l.position[0] - o.position[0], l.position[1] - o.position[1], l.position[2] - o.position[2]);
      if (d < LANDMARK_MIN_SEPARATION_MM) {
        throw new TwinguideError('TG_ERR_TWIN_LANDMARKS', `landmarks '${o.name}' and '${l.name}' are ${d.toFixed(2)} mm apart (same point)`, { path: `/landmarks/${i}/position` });
      }
    }
  });
  const planeDistance = maxDistanceFromBestPlane(json.map((l) => l.position));
  if (planeDistance < LANDMARK_MIN_SEPARATION_MM) {
    throw new TwinguideError(
      'TG_ERR_TWIN_LANDMARKS',
      `the landmarks are coplanar (all within ${planeDistance.toFixed(2)} mm of one plane); a rigid fit needs them spread in 3D`,
      { path: '/landmarks' },
    );
  }
  return json.map((l) => (l.description === undefined ? { name: l.name, positionMm: l.position } : { name: l.name, positionMm: l.position, description: l.description }));
}

/** Largest distance of any point from the least-squares plane through the points. */
export function maxDistanceFromBestPlane(points: readonly (readonly [number, number, number])[]): number {
  const n = points.length;
  const c = [0, 0, 0];
  for (const p of points) for (let k = 0; k < 3; k++) c[k]! += p[k]! / n;
  const cov = new Float64Array(9);
  for (const p of points) {
    for (let r = 0; r < 3; r++) for (let s = 0; s < 3; s++) cov[r * 3 + s]! += (p[r]! - c[r]!) * (p[s]! - c[s]!);
  }
  const { vectors } = symmetricEigen(cov, 3);
  const normal = [vectors[0]!, vectors[3]!, vectors[6]!];
  let max = 0;
  for (const p of points) {
    max = Math.max(max, Math.abs((p[0]! - c[0]!) * normal[0]! + (p[1]! - c[1]!) * normal[1]! + (p[2]! - c[2]!) * normal[2]!));
  }
  return max;
}
