// One procedure's live pipeline, assembled from the stages:
//   order → feed state → locate on the tree (motion compensation → localise (register /
//   back-project) → track on the tree, one stage: the tracker's place goes back to compensation)
//   → the lead's electrodes → responder probability → guidance.
// Pure: no sockets, no clocks; the same inputs give the same messages, byte for byte, whether they
// come from a live feed, a recording or a test.

import { defer, filter, map, type Observable } from 'rxjs';
import { DEFAULT_LIMITS, type DisplayMessage, type Limits } from '../../protocol/index.ts';
import type { Twin } from '../twin/twin.ts';
import { PipelineCounters, PipelineState, type Flow, type PipelineInput } from './flow.ts';
import { NO_REGISTRATION, type Registration } from './registration.ts';
import { assessResponse } from './stages/assess-response.ts';
import { DEFAULT_COMPENSATION, type CompensationOptions } from './stages/compensate-motion.ts';
import { trackFeedState } from './stages/feed-state.ts';
import { guide } from './stages/guide.ts';
import { locateOnTree } from './stages/locate-on-tree.ts';
import { orderSamples } from './stages/order-samples.ts';
import { placeLead } from './stages/place-lead.ts';
import type { TrackerOptions } from './tree-tracker.ts';
import { TipTrail } from './tip-trail.ts';
import type { GuidanceOptions } from './zone-guidance.ts';

export interface PipelineOptions {
  procedureId: string;
  limits?: Partial<Limits>;
  registration?: Registration;
  compensation?: CompensationOptions;
  tracker?: Partial<TrackerOptions>;
  guidance?: Partial<GuidanceOptions>;
  counters?: PipelineCounters;
  /** Receives the motion-compensated tip positions (source frame) for registration refinement. */
  trail?: TipTrail;
  /** Collects every stage's state for checkpoints (one pipeline subscription per state). */
  state?: PipelineState;
}

/**
 * The state a checkpoint captures, with the counters and tip trail kept in it under the names a
 * checkpoint knows them by: a procedure and a replay from a checkpoint start alike.
 */
export function checkpointedPipelineState(): { state: PipelineState; counters: PipelineCounters; trail: TipTrail } {
  const state = new PipelineState();
  return { state, counters: state.keep('counters', new PipelineCounters()), trail: state.keep('trail', new TipTrail()) };
}

export function guidancePipeline(twin: Twin, options: PipelineOptions): (input: Observable<PipelineInput>) => Observable<DisplayMessage> {
  const limits = { ...DEFAULT_LIMITS, ...options.limits };
  const counters = options.counters ?? new PipelineCounters();
  const registration = options.registration ?? NO_REGISTRATION;
  return (input) =>
    defer(() => {
      const state = options.state;
      // (Made here, once per subscription: each run starts afresh.)
      const locate = locateOnTree(twin, options.compensation ?? DEFAULT_COMPENSATION, options.tracker, registration, counters, options.trail, state);
      return (input as Observable<Flow>).pipe(
        orderSamples(limits, counters, state),
        trackFeedState(limits, state),
        locate,
      ).pipe(
        placeLead(twin, state),
        assessResponse(twin, state),
        guide(twin, options.procedureId, counters, options.guidance, registration, state),
        filter((item): item is Extract<Flow, { kind: 'message' }> => item.kind === 'message'),
        map((item) => item.message),
      );
    });
}
