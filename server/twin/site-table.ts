// Pacing sites as typed arrays, checked against the vein tree: each site must lie on its branch's
// centreline (within the configured distance) at the arc length it states.

import { TwinguideError, type InaccessibleReason, type Limits, type SiteJson } from '../../protocol/index.ts';
import { newCentrelinePoint, type CentrelineIndex } from './centreline-index.ts';
import type { VeinTree } from './vein-tree.ts';

export interface SiteTable {
  readonly count: number;
  readonly ids: readonly string[];
  readonly byId: ReadonlyMap<string, number>;
  readonly branch: Int32Array;
  readonly arcLengthMm: Float64Array;
  readonly positionsMm: Float64Array;
  readonly p: Float64Array;
  readonly accessible: Uint8Array;
  readonly reasons: readonly (readonly InaccessibleReason[])[];
  /** NaN where a site has no QLV. */
  readonly qlvMs: Float64Array;
  readonly featureCount: number;
  /** Row-major [count × featureCount], float32 as the model consumes it. */
  readonly features: Float32Array;
  /** Per branch: site indices sorted by arc length. */
  readonly byBranch: readonly Int32Array[];
  /** How far each site lies from its branch's centreline (mm). */
  readonly offCentrelineMm: Float64Array;
}

export function buildSiteTable(sites: readonly SiteJson[], featureCount: number, tree: VeinTree, index: CentrelineIndex, limits: Limits): SiteTable {
  const n = sites.length;
  if (n > limits.maxSites) throw new TwinguideError('TG_ERR_TWIN_LIMIT', `${n} sites exceed the limit of ${limits.maxSites}`, { path: '/sites' });
  const byId = new Map<string, number>();
  const branch = new Int32Array(n);
  const arcLengthMm = new Float64Array(n);
  const positionsMm = new Float64Array(3 * n);
  const p = new Float64Array(n);
  const accessible = new Uint8Array(n);
  const qlvMs = new Float64Array(n).fill(NaN);
  const features = new Float32Array(n * featureCount);
  const offCentrelineMm = new Float64Array(n);
  const reasons: InaccessibleReason[][] = [];
  const lists: number[][] = tree.branches.map(() => []);
  const nearest = newCentrelinePoint();

  sites.forEach((site, i) => {
    const at = `/sites/${i}`;
    if (byId.has(site.id)) throw new TwinguideError('TG_ERR_TWIN_SITE', `site id '${site.id}' is used twice`, { path: `${at}/id` });
    byId.set(site.id, i);
    const b = tree.branchById.get(site.branch);
    if (b === undefined) throw new TwinguideError('TG_ERR_TWIN_SITE', `site '${site.id}' is on branch '${site.branch}', which the vein tree does not have`, { path: `${at}/branch` });
    if (site.features.length !== featureCount) {
      throw new TwinguideError('TG_ERR_TWIN_FEATURES', `site '${site.id}' has ${site.features.length} features; featureNames lists ${featureCount}`, { path: `${at}/features` });
    }
    const siteReasons = site.reasons ?? [];
    if (!site.accessible && siteReasons.length === 0) {
      throw new TwinguideError('TG_ERR_TWIN_SITE', `site '${site.id}' is inaccessible but gives no reason`, { path: `${at}/reasons` });
    }
    if (site.accessible && siteReasons.length > 0) {
      throw new TwinguideError('TG_ERR_TWIN_SITE', `site '${site.id}' is accessible but lists reasons against access`, { path: `${at}/reasons` });
    }

    const [x, y, z] = site.position;
    index.nearest(x, y, z, nearest, b);
    if (!(nearest.distanceMm <= limits.siteMaxOffCentrelineMm)) {
      throw new TwinguideError(
        'TG_ERR_TWIN_SITE',
        `site '${site.id}' is ${nearest.distanceMm.toFixed(2)} mm from the centreline of branch '${site.branch}' (limit ${limits.siteMaxOffCentrelineMm} mm)`,
        { path: `${at}/position` },
      );
    }
    if (Math.abs(nearest.arcLengthMm - site.arcLengthMm) > limits.siteArcLengthToleranceMm) {
      throw new TwinguideError(
        'TG_ERR_TWIN_SITE',
        `site '${site.id}' states arc length ${site.arcLengthMm.toFixed(2)} mm but lies at ${nearest.arcLengthMm.toFixed(2)} mm along branch '${site.branch}'`,
        { path: `${at}/arcLengthMm` },
      );
    }
    branch[i] = b;
    arcLengthMm[i] = site.arcLengthMm;
    positionsMm.set(site.position, 3 * i);
    p[i] = site.p;
    accessible[i] = site.accessible ? 1 : 0;
    if (site.qlvMs !== undefined) qlvMs[i] = site.qlvMs;
    features.set(site.features, i * featureCount);
    offCentrelineMm[i] = nearest.distanceMm;
    reasons.push(siteReasons);
    lists[b]!.push(i);
  });

  const byBranch = lists.map((list) => Int32Array.from(list.sort((a, c) => arcLengthMm[a]! - arcLengthMm[c]! || a - c)));
  return {
    count: n,
    ids: sites.map((s) => s.id),
    byId,
    branch,
    arcLengthMm,
    positionsMm,
    p,
    accessible,
    reasons,
    qlvMs,
    featureCount,
    features,
    byBranch,
    offCentrelineMm,
  };
}
