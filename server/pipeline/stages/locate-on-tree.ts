// Where the tip is on the vein tree, as one stage: motion compensation, localisation (registration,
// back-projection, triangulation) and the tree tracker estimate together. The tracker's place tells
// compensation which vessel the lead is in (across it the lead sits within a vein's radius of the
// centreline, so an offset across it is the heart's motion), and compensation hands the tracker the
// tip with that motion taken out: a loop, kept inside this one stage so that it shows. What stops it
// confirming its own belief is in motion-filter.ts (the hold gate, the breath that cannot be one)
// and track-feedback.ts (no hold near a junction, none from an unsure or stale place).

import type { OperatorFunction } from 'rxjs';
import type { Twin } from '../../twin/twin.ts';
import { kept, type Flow, type PipelineCounters, type PipelineState } from '../flow.ts';
import type { Registration } from '../registration.ts';
import type { TipTrail } from '../tip-trail.ts';
import { RegistrationOffset, DEFAULT_REGISTRATION_OFFSET } from '../registration-offset.ts';
import { TrackFeedback } from '../track-feedback.ts';
import type { TrackerOptions } from '../tree-tracker.ts';
import { compensateMotion, type CompensationOptions } from './compensate-motion.ts';
import { localise } from './localise.ts';
import { trackOnTree } from './track-on-tree.ts';

/**
 * Call once per subscription of the pipeline (inside its `defer`): the tracker's place handed back
 * is this call's own, kept in `state` for checkpoints.
 */
export function locateOnTree(twin: Twin, compensation: CompensationOptions, tracker: Partial<TrackerOptions> | undefined, registration: Registration, counters: PipelineCounters, trail?: TipTrail, state?: PipelineState): OperatorFunction<Flow, Flow> {
  const feedback = kept(state, 'feedback', new TrackFeedback(twin));
  const offset = kept(state, 'registrationOffset', new RegistrationOffset({ ...DEFAULT_REGISTRATION_OFFSET, ...compensation.registrationOffset }));
  return (source) => source.pipe(
    compensateMotion(twin, compensation, registration, trail, feedback, state, offset),
    localise(counters, registration, state, offset),
    trackOnTree(twin, tracker, feedback, state, offset),
  );
}
