// Feed sources (the PLUS toolkit's habit): anything that produces a procedure's inputs has the same
// shape as a live device. The WebSocket and OpenIGTLink transports push what they receive; the
// simulator and a recording's replay are sources too, paced by their own timelines.

import type { FeedSample } from '../../protocol/index.ts';
import type { PipelineInput } from '../pipeline/flow.ts';
import type { Recording } from '../recording/procedure-recording.ts';
import type { SimulatedSample } from '../../simulators/device/device-simulator.ts';

/** Where a source delivers: a procedure. */
export interface FeedSink {
  ingest(sample: FeedSample): void;
  feedClosed(): void;
  /** Inputs other than samples (a recording's registrations). */
  input?(input: PipelineInput): void;
}

export interface FeedSource {
  readonly kind: 'simulator' | 'replay';
  start(sink: FeedSink): void;
  stop(): void;
  /** Resolves when the source has nothing more to send (never, for an endless simulation). */
  readonly done: Promise<void>;
}

/** Deliver timed items at their pace (× speed), checking every few ms; stoppable. */
function paced<T>(items: Iterator<T>, due: (item: T) => number, speed: number, deliver: (item: T) => void, finish: () => void): { stop: () => void; done: Promise<void> } {
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
  timer = setInterval(() => {
    const elapsed = ((performance.now() - started) / 1000) * speed;
    while (!next.done && due(next.value) <= elapsed) {
      deliver(next.value);
      next = items.next();
    }
    if (next.done) stop();
  }, 5);
  return { stop, done };
}

export class SimulatorSource implements FeedSource {
  readonly kind = 'simulator';
  private control: { stop: () => void; done: Promise<void> } | null = null;
  private settle = (): void => undefined;
  readonly done = new Promise<void>((resolve) => { this.settle = resolve; });
  constructor(private readonly samples: Iterator<SimulatedSample>, private readonly speed = 1) {}
  start(sink: FeedSink): void {
    this.control = paced(this.samples, (s) => s.arrivalS, this.speed, (s) => sink.ingest(s.sample), () => sink.feedClosed());
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
    const t0 = this.recording.inputTimesNs[0] ?? 0n;
    const timed = this.recording.inputs.map((input, k) => ({ input, at: Number(this.recording.inputTimesNs[k]! - t0) / 1e9 }));
    this.control = paced(
      timed[Symbol.iterator](),
      (x) => x.at,
      this.speed,
      ({ input }) => {
        // Ticks and the close come from the live procedure's own clock and transport.
        if (input.kind === 'sample') sink.ingest(input.sample);
        else if (input.kind === 'registration') sink.input?.(input);
      },
      () => sink.feedClosed(),
    );
    void this.control.done.then(() => this.settle());
  }
  stop(): void {
    this.control?.stop();
  }
}
