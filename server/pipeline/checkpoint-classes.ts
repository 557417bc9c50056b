// The classes a pipeline checkpoint may hold, by name (state-capture.ts refuses any other).
import type { ClassTable } from './state-capture.ts';
import { BreathingAxis } from './breathing-axis.ts';
import { PipelineCounters } from './flow.ts';
import { LeadPlacer } from './lead-placement.ts';
import { MotionFilter } from './motion-filter.ts';
import { MotionSpectrum } from './motion-spectrum.ts';
import { PhysioPhase } from './physio-phase.ts';
import { RegistrationOffset } from './registration-offset.ts';
import { ResponseEvaluator } from './response-evaluator.ts';
import { SlidingMinimum } from './sliding-minimum.ts';
import { StillnessGauge } from './stillness.ts';
import { TipTrail } from './tip-trail.ts';
import { TrackFeedback } from './track-feedback.ts';
import { TreeTracker } from './tree-tracker.ts';
import { ZoneGuide, ZoneRouter } from './zone-guidance.ts';

export const CHECKPOINT_CLASSES: ClassTable = { BreathingAxis, PipelineCounters, LeadPlacer, MotionFilter, MotionSpectrum, PhysioPhase, RegistrationOffset, ResponseEvaluator, SlidingMinimum, StillnessGauge, TipTrail, TrackFeedback, TreeTracker, ZoneGuide, ZoneRouter };
