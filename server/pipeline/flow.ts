// What flows through a procedure's pipeline. Inputs are samples, ticks (the transport's estimate
// of "now" in source time, so a silent feed can be declared stale without a wall clock), the
// transport closing, and registration changes; each stage turns what it owns into the next kind
// and passes everything else through, in order.

import { Observable, type OperatorFunction } from 'rxjs';
import type { DisplayMessage, FeedSample, FeedState, LeadInfo, Measurement, PhysioSignal } from '../../protocol/index.ts';
import type { LeadPlaces } from './lead-placement.ts';
import type { Registration } from './registration.ts';
import type { ResponseValue } from './response-evaluator.ts';
import type { TrackEstimate } from './tree-tracker.ts';

export type PipelineInput =
  | { kind: 'sample'; sample: FeedSample }
  | { kind: 'tick'; t: number }
  | { kind: 'closed'; t: number }
  /** ECG R waves and the respiratory signal, when the lab's systems send them (feed clock). */
  | { kind: 'signal'; signal: PhysioSignal }
  | { kind: 'registration'; registration: Registration }
  /** The procedure's lead (at its start, and when it is changed). */
  | { kind: 'lead'; lead: LeadInfo }
  /** A measurement at an electrode; t is in the procedure's time. */
  | { kind: 'measurement'; measurement: Measurement };

export type Observation =
  | { type: 'point'; p: [number, number, number] }
  | { type: 'ray'; origin: [number, number, number]; direction: [number, number, number] };

export type Flow =
  | PipelineInput
  /**
   * settled: motion compensation has learnt the heart's motion (before, positions still swing with it).
   * alongMotionMm: how much motion it takes out along the lead's vessel (mm; EAM): errors there are
   * invisible to the tracker (across the vessel they show as distance from it).
   * alongSpreadMm: motion compensation's spread (standard deviation) of that motion along the vessel (mm).
   * irregularBreathing: motion compensation is taking out a breath that differs from its harmonic (the free-form breath).
   * breathFloorMm: what of that breath cannot be a breath (mm; EAM): not back at the reference for a
   * breath, or beyond it (MotionFilter.breathFloor, breathBeyond): an offset the data do not explain.
   * nothingMoves: nothing moves the tip but the catheter (MotionFilter.nothingMoves; every view's for
   * fluoro): gated or clean input. Absent: false.
   */
  | { kind: 'compensated'; sample: FeedSample; source: null; twin: [number, number, number] | null; views: { u: number; v: number }[]; settled: boolean; alongMotionMm?: number; alongSpreadMm?: number; irregularBreathing?: boolean; breathFloorMm?: number; nothingMoves?: boolean }
  /** offsetLearning: a point with the registration's learnt error taken out, which may teach it more, and when (registration-offset.ts). */
  | { kind: 'observation'; seq: number; t: number; obs: Observation; quality: number; settled: boolean; alongMotionMm?: number; alongSpreadMm?: number; irregularBreathing?: boolean; breathFloorMm?: number; nothingMoves?: boolean; offsetLearning?: 'while-still' | 'always' | undefined }
  /** The active C-arm view changed (fluoro): displays follow it. */
  | { kind: 'carm'; alpha: number; beta: number }
  | { kind: 'feed'; t: number; state: FeedState; rateHz: number }
  | { kind: 'track'; seq: number; t: number; track: TrackEstimate; quality: number; lead?: LeadPlaces | null }
  | { kind: 'assessed'; seq: number; t: number; track: TrackEstimate; quality: number; response: ResponseValue; lead?: LeadPlaces | null }
  /** A measurement placed on the twin: where its electrode was (null: no track yet), and the twin's prediction there. */
  | { kind: 'measured'; measurement: Measurement; place: LeadPlaces | null; electrode: number; twinQlvMs?: number; pWithMeasuredQlv?: number }
  | { kind: 'message'; message: DisplayMessage };

/** Why samples were dropped; counted, never thrown. */
export type DropReason = 'duplicate' | 'late' | 'time-reversed' | 'quality-missing' | 'quality-out-of-view' | 'no-registration-frame' | 'triangulation' | 'behind-source';

export class PipelineCounters {
  samplesIn = 0;
  samplesUsed = 0;
  guidanceOut = 0;
  readonly dropped: Record<DropReason, number> = {
    duplicate: 0,
    late: 0,
    'time-reversed': 0,
    'quality-missing': 0,
    'quality-out-of-view': 0,
    'no-registration-frame': 0,
    triangulation: 0,
    'behind-source': 0,
  };
  drop(reason: DropReason): void {
    this.dropped[reason]++;
  }
  get droppedTotal(): number {
    return Object.values(this.dropped).reduce((a, b) => a + b, 0);
  }
}

/**
 * A stage with private state per subscription: `create` builds the state and returns the handler
 * for each item (emit zero or more items with `emit`) and, optionally, a flush at completion that
 * may ask to finish later (return true and call `finish` once its pending work is emitted).
 * Errors and completion pass through; unsubscribing tears everything down (no timers are used).
 */
export function stage<I, O>(create: (emit: (item: O) => void) => { next: (item: I) => void; complete?: (finish: () => void) => boolean | void }): OperatorFunction<I, O> {
  return (source) =>
    new Observable<O>((subscriber) => {
      const handler = create((item) => subscriber.next(item));
      const subscription = source.subscribe({
        next: (item) => {
          try {
            handler.next(item);
          } catch (e) {
            subscriber.error(e);
          }
        },
        error: (e: unknown) => subscriber.error(e),
        complete: () => {
          let later: boolean | void = false;
          try {
            later = handler.complete?.(() => subscriber.complete());
          } catch (e) {
            subscriber.error(e);
            return;
          }
          if (later !== true) subscriber.complete();
        },
      });
      return () => subscription.unsubscribe();
    });
}

/**
 * Where a pipeline's stages put the objects that hold their state (state-capture.ts checkpoints
 * them by these names), and what must be true for a checkpoint (no work in flight).
 */
export class PipelineState {
  readonly roots = new Map<string, object>();
  private readonly idle: (() => boolean)[] = [];
  keep<T extends object>(name: string, value: T): T {
    if (this.roots.has(name)) throw new Error(`pipeline state '${name}' kept twice`);
    this.roots.set(name, value);
    return value;
  }
  /** A stage with asynchronous work says when it has none in flight. */
  whenIdle(check: () => boolean): void {
    this.idle.push(check);
  }
  get quiescent(): boolean {
    return this.idle.every((check) => check());
  }
}

/** Keep a stage's state in `state` when given (a checkpointed pipeline), else just use it. */
export function kept<T extends object>(state: PipelineState | undefined, name: string, value: T): T {
  return state ? state.keep(name, value) : value;
}
