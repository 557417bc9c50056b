// Observations → position on the vein tree (branch, arc length, distance from the centreline,
// confidence) through the HMM tracker. A new registration moves every observation, so the tracker
// starts afresh then.

import type { Twin } from '../../twin/twin.ts';
import { kept, stage, type Flow, type PipelineState } from '../flow.ts';
import type { TrackFeedback } from '../track-feedback.ts';
import { TreeTracker, newTrackEstimate, type TrackerOptions } from '../tree-tracker.ts';

/** A ray may pass this far outside a vein tube and still be taken as crossing it (mm). */
export const RAY_TOLERANCE_MM = 3;

export function trackOnTree(twin: Twin, options: Partial<TrackerOptions> = {}, feedback?: TrackFeedback, state?: PipelineState) {
  return stage<Flow, Flow>((emit) => {
    const tracker = kept(state, 'track.tracker', new TreeTracker(twin, options));
    const estimate = kept(state, 'track.estimate', newTrackEstimate());
    return {
      next(item) {
        if (item.kind === 'registration') {
          tracker.reset();
          feedback?.clear();
          return emit(item);
        }
        if (item.kind !== 'observation') return emit(item);
        tracker.settled = item.settled;
        tracker.alongMotionMm = item.alongMotionMm ?? 0;
        tracker.alongSpreadMm = item.alongSpreadMm ?? 0;
        tracker.irregularBreathing = item.irregularBreathing ?? false;
        tracker.breathFloorMm = item.breathFloorMm ?? 0;
        tracker.nothingMoves = item.nothingMoves ?? false;
        if (item.obs.type === 'point') tracker.updatePoint(item.t, item.obs.p[0], item.obs.p[1], item.obs.p[2], estimate);
        else tracker.updateRay(item.t, item.obs.origin, item.obs.direction, RAY_TOLERANCE_MM, estimate);
        if (estimate.branch < 0) return;
        feedback?.set(item.t, estimate.segment, estimate.x, estimate.y, estimate.z, estimate.posterior);
        // (Shown smoothed; fed back as the tracker has it.)
        if (item.obs.type === 'point') tracker.smoothShown(item.t, estimate);
        emit({ kind: 'track', seq: item.seq, t: item.t, track: { ...estimate }, quality: item.quality });
      },
    };
  });
}
