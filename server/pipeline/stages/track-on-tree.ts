// Observations → position on the vein tree (branch, arc length, distance from the centreline,
// confidence) through the HMM tracker. A new registration moves every observation, so the tracker
// starts afresh then.

import type { Twin } from '../../twin/twin.ts';
import { kept, stage, type Flow, type PipelineState } from '../flow.ts';
import type { RegistrationOffset } from '../registration-offset.ts';
import type { TrackFeedback } from '../track-feedback.ts';
import { TreeTracker, newTrackEstimate, type TrackerOptions } from '../tree-tracker.ts';

/** A ray may pass this far outside a vein tube and still be taken as crossing it (mm). */
export const RAY_TOLERANCE_MM = 3;

export function trackOnTree(twin: Twin, options: Partial<TrackerOptions> = {}, feedback?: TrackFeedback, state?: PipelineState, offset?: RegistrationOffset) {
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
        // A sure place away from junctions teaches the registration's error (the point as registered).
        if (offset && feedback && item.offsetLearning && item.obs.type === 'point' && (item.offsetLearning === 'always' || item.nothingMoves) && estimate.posterior >= offset.options.minPosterior && feedback.at(item.t)?.hold) {
          const f = offset.offset, p = item.obs.p, a = feedback.vessel.along;
          offset.learn(item.t, p[0] + f[0]!, p[1] + f[1]!, p[2] + f[2]!, estimate.x, estimate.y, estimate.z, a[0], a[1], a[2]);
        }
        // (Shown smoothed; fed back as the tracker has it.)
        if (item.obs.type === 'point') tracker.smoothShown(item.t, estimate);
        emit({ kind: 'track', seq: item.seq, t: item.t, track: { ...estimate }, quality: item.quality });
      },
    };
  });
}
