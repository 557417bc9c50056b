// Feed sources (the PLUS toolkit's habit): anything that produces a procedure's inputs has the same
// shape as a live device. The WebSocket and OpenIGTLink transports push what they receive; the
// simulator and a recording's replay are sources too, paced by their own timelines.

import type { FeedMessage } from '../../protocol/index.ts';
import { guarded } from '../faults.ts';
import type { PipelineInput } from '../pipeline/flow.ts';
import type { Recording } from '../recording/procedure-recording.ts';

/** A sample with the time (s from the source's start) at which it is due: what a simulator yields. */
export interface TimedFeedMessage {
  arrivalS: number;
  sample: FeedMessage;
}

/** Where a source delivers: a procedure. */
export interface FeedSink {
  ingest(message: FeedMessage): void;
  feedClosed(): void;
  /** Inputs other than samples (a recording's registrations). */
  input?(input: PipelineInput): void;
  /** The source runs this many times faster than real time. */
  feedSpeed?(speed: number): void;
  /** A delivery failed: said by the sink, never thrown out of the source's timer. */
  fault?(where: string, error: unknown): void;
}

export interface FeedSource {
  readonly kind: 'simulator' | 'replay';
  start(sink: FeedSink): void;
  stop(): void;
  /** Resolves when the source has nothing more to send (never, for an endless simulation). */
  readonly done: Promise<void>;
}

/** Deliver timed items at their pace (× speed), checking every few ms; stoppable. */
function paced<T>(items: Iterator<T>, due: (item: T) => number, speed: number, deliverOne: (item: T) => void, finish: () => void, sink: FeedSink): { stop: () => void; done: Promise<void> } {
  // One refused or failing item is the sink's to report; the source goes on with the next.
  const deliver = guarded('feed-source', (where, e) => sink.fault?.(where, e), deliverOne);
  let timer: ReturnType<typeof setInterval> | null = null;
  let resolveDone = (): void => undefined;
  const done = new Promise<void>((resolve) => { resolveDone = resolve; });
  const started = performance.now();
  let next = items.next();
  const stop = (): void => {
    if (timer) clearInterval(timer);
    timer = null;
    finish();
    resolveDone();
  };
  const step = (): void => {
    const elapsed = ((performance.now() - started) / 1000) * speed;
    while (!next.done && due(next.value) <= elapsed) {
      deliver(next.value);
      next = items.next();
    }
    if (next.done) stop();
  };
  // A source that itself fails (its generator throws) stops; it never takes the process with it.
  timer = setInterval(guarded('feed-source', (where, e) => { sink.fault?.(where, e); stop(); }, step), 5);
  return { stop, done };
}

export class SimulatorSource implements FeedSource {
  readonly kind = 'simulator';
  private control: { stop: () => void; done: Promise<void> } | null = null;
  private settle = (): void => undefined;
  readonly done = new Promise<void>((resolve) => { this.settle = resolve; });
  constructor(private readonly samples: Iterator<TimedFeedMessage>, private readonly speed = 1) {}
  start(sink: FeedSink): void {
    sink.feedSpeed?.(this.speed);
    this.control = paced(this.samples, (s) => s.arrivalS, this.speed, (s) => sink.ingest(s.sample), () => sink.feedClosed(), sink);
    void this.control.done.then(() => this.settle());
  }
  stop(): void {
    this.control?.stop();
  }
}

/** A recording's inputs into a live procedure: samples and registrations at the recorded pace. */
export class ReplaySource implements FeedSource {
  readonly kind = 'replay';
  private control: { stop: () => void; done: Promise<void> } | null = null;
  private settle = (): void => undefined;
  readonly done = new Promise<void>((resolve) => { this.settle = resolve; });
  constructor(private readonly recording: Recording, private readonly speed: number) {}
  start(sink: FeedSink): void {
    sink.feedSpeed?.(this.speed);
    const t0 = this.recording.inputTimesNs[0] ?? 0n;
    const timed = this.recording.inputs.map((input, k) => ({ input, at: Number(this.recording.inputTimesNs[k]! - t0) / 1e9 }));
    this.control = paced(
      timed[Symbol.iterator](),
      (x) => x.at,
      this.speed,
      ({ input }) => {
        // Ticks and the close come from the live procedure's own clock and transport.
        if (input.kind === 'sample') sink.ingest(input.sample);
        else if (input.kind === 'signal') sink.ingest(input.signal);
        else if (input.kind === 'registration' || input.kind === 'lead' || input.kind === 'measurement') sink.input?.(input);
      },
      () => sink.feedClosed(),
      sink,
    );
    void this.control.done.then(() => this.settle());
  }
  stop(): void {
    this.control?.stop();
  }
}
