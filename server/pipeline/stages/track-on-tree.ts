// Observations → position on the vein tree (branch, arc length, distance from the centreline,
// confidence). Points that still carry the heart's motion go through the tree-constrained motion
// filter: the HMM picks the branch from the tip with the predicted motion removed, and the filter
// estimates the catheter's arc length on that branch's path. A new registration moves every
// observation, so both start afresh then.

import { CRANIAL, heartAxes } from '../../twin/heart-axes.ts';
import type { Twin } from '../../twin/twin.ts';
import { stage, type Flow } from '../flow.ts';
import { TreeMotionFilter, newPathPoint, pathPoint, type TreeMotionOptions } from '../tree-motion-filter.ts';
import { TreeTracker, newTrackEstimate, type TrackerOptions } from '../tree-tracker.ts';

/** A ray may pass this far outside a vein tube and still be taken as crossing it (mm). */
export const RAY_TOLERANCE_MM = 3;
/** When the HMM's position and the filter's disagree by more than this (3D, mm), the filter restarts at the HMM's. */
export const RESTART_MM = 5;

export function trackOnTree(twin: Twin, options: Partial<TrackerOptions> = {}, motion: Partial<TreeMotionOptions> = {}) {
  const axes = heartAxes(twin);
  const towardBase = axes.longAxis ? [-axes.longAxis[0], -axes.longAxis[1], -axes.longAxis[2]] : null;
  return stage<Flow, Flow>((emit) => {
    let tracker = new TreeTracker(twin, options);
    let filter: TreeMotionFilter | null = null;
    const estimate = newTrackEstimate();
    const motionNow = [0, 0, 0];
    const place = newPathPoint();
    return {
      next(item) {
        if (item.kind === 'registration') {
          tracker = new TreeTracker(twin, options);
          filter = null;
          return emit(item);
        }
        if (item.kind !== 'observation') return emit(item);
        if (item.obs.type === 'ray') {
          tracker.updateRay(item.t, item.obs.origin, item.obs.direction, RAY_TOLERANCE_MM, estimate);
        } else if (item.motionRemoved) {
          tracker.updatePoint(item.t, item.obs.p[0], item.obs.p[1], item.obs.p[2], estimate);
        } else {
          const y = item.obs.p;
          filter ??= new TreeMotionFilter(twin.veins, towardBase, CRANIAL, motion);
          if (filter.started) filter.predictedMotion(item.t, motionNow);
          else motionNow.fill(0);
          tracker.updatePoint(item.t, y[0] - motionNow[0]!, y[1] - motionNow[1]!, y[2] - motionNow[2]!, estimate);
          if (estimate.branch < 0) return;
          // Arc lengths count from the ostium on every path, so compare places, not arcs.
          const here = filter.started ? pathPoint(twin.veins, filter.branch, filter.arcLengthMm, place) : null;
          if (!here || Math.hypot(here.x - estimate.x, here.y - estimate.y, here.z - estimate.z) > RESTART_MM) filter.start(item.t, estimate.branch, estimate.arcLengthMm);
          else if (estimate.branch !== filter.branch) filter.switchBranch(estimate.branch);
          const tip = filter.update(item.t, y);
          estimate.branch = tip.branch;
          estimate.segment = tip.segment;
          estimate.x = tip.x; estimate.y = tip.y; estimate.z = tip.z;
          estimate.arcLengthMm = filter.arcLengthMm;
          estimate.radiusMm = tip.radius;
          filter.predictedMotion(item.t, motionNow);
          estimate.offCentrelineMm = Math.hypot(y[0] - motionNow[0]! - tip.x, y[1] - motionNow[1]! - tip.y, y[2] - motionNow[2]! - tip.z);
        }
        if (estimate.branch < 0) return;
        emit({ kind: 'track', seq: item.seq, t: item.t, track: { ...estimate }, quality: item.quality });
      },
    };
  });
}
