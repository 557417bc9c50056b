// One display's session, whatever carries it (WebSocket or socket.io): the snapshot first, then
// guidance throttled latest-wins to the display rate (a token bucket: sent at once when a token is
// there, up to a tenth of a second's frames back to back; otherwise only the newest is held, and
// sent when the next token comes), status and events as they happen; a
// display whose transport is backed up is skipped (never slowing the others or growing memory),
// but not left behind: the newest guidance and status are held and sent once it drains, so a
// display that was slow for a moment never keeps showing "live" after the feed was lost.

import type { DisplayMessage, Guidance, Limits, Snapshot } from '../../protocol/index.ts';
import type { Broadcaster } from '../broadcast.ts';
import { guarded } from '../faults.ts';
import type { ServerMetrics } from './metrics.ts';

export interface DisplayTransport {
  send(message: DisplayMessage): void;
  /** True while the transport has too much queued to take more. */
  backedUp(): boolean;
}

/** Messages held for a backed-up display (the newest guidance, the newest status, events). */
const HELD_MAX = 8;
/**
 * Frames a display may get back to back (then the display rate holds), as the display rate's share
 * of this many seconds (at least 2): guidance that a hiccup upstream held up (a busy server, a
 * feed that sent a few samples at once) goes out as soon as it is computed instead of one frame
 * per display interval after it, and the rate over any longer stretch is still the display's.
 * With 2 frames, at 16 procedures × 100 Hz into 120 Hz displays, the frames held after a hiccup
 * put the server's own p99 (sample received → frame written) in its ≤ 10 ms or ≤ 20 ms bucket;
 * with 0.1 s, ≤ 1 ms or ≤ 2 ms (bench:server --scale-only, alternating, four runs each).
 */
const CATCH_UP_S = 0.1;
/** How often a backed-up display is retried. */
const DRAIN_RETRY_MS = 50;

export class DisplaySession {
  private pending: Guidance | null = null;
  private readonly unsubscribe: () => void;
  private timer: ReturnType<typeof setTimeout> | null = null;
  /** Token bucket: the display rate on average, with room for `burst` frames so that a feed's timing jitter is not held back. */
  private readonly burst: number;
  private tokens: number;
  private refilledMs = 0;
  private readonly intervalMs: number;
  /** Held while the transport is backed up: the newest guidance and status, and a few events, in arrival order. */
  private held: DisplayMessage[] = [];
  private drainTimer: ReturnType<typeof setTimeout> | null = null;

  constructor(private readonly procedure: { readonly id: string; snapshot(): Snapshot; receivedAt?(seq: number): number | undefined }, broadcaster: Broadcaster, limits: Limits, private readonly transport: DisplayTransport, private readonly metrics: ServerMetrics) {
    this.intervalMs = 1000 / limits.displayMaxHz;
    this.burst = Math.max(2, Math.round(limits.displayMaxHz * CATCH_UP_S));
    this.tokens = this.burst;
    metrics.displays(+1);
    transport.send(procedure.snapshot());
    this.unsubscribe = broadcaster.subscribe(procedure.id, (message) => {
      if (message.type !== 'guidance') {
        // A throttled guidance is older than this status or event: send it first, or it would
        // arrive after a "feed lost" and say "live" again.
        if (this.timer) {
          clearTimeout(this.timer);
          this.flush();
        }
        return this.deliver(message);
      }
      this.refill();
      if (this.tokens >= 1 && !this.timer) {
        this.tokens -= 1;
        this.deliver(message);
        return;
      }
      this.pending = message; // latest wins
      this.timer ??= setTimeout(this.guard(() => this.flush()), Math.max(0, (1 - this.tokens) * this.intervalMs));
    });
  }

  private refill(): void {
    const now = performance.now();
    this.tokens = Math.min(this.burst, this.tokens + (now - this.refilledMs) / this.intervalMs);
    this.refilledMs = now;
  }

  private flush(): void {
    this.timer = null;
    if (!this.pending) return;
    const next = this.pending;
    this.pending = null;
    this.refill();
    this.tokens -= 1; // may go below zero when a status forces it out early: the next frame waits longer
    this.deliver(next);
  }

  private deliver(message: DisplayMessage): void {
    if (this.transport.backedUp() || this.held.length > 0) return this.hold(message);
    this.send(message);
  }

  private hold(message: DisplayMessage): void {
    // Latest wins per kind for guidance and status; events queue, a few at most.
    const replaced = message.type === 'guidance' || message.type === 'status' ? this.held.findIndex((m) => m.type === message.type) : -1;
    if (replaced >= 0) this.held.splice(replaced, 1);
    if (replaced >= 0 || this.held.length >= HELD_MAX) this.metrics.displayFrameDropped();
    if (this.held.length >= HELD_MAX) this.held.splice(this.held.findIndex((m) => m.type === 'event'), 1);
    this.held.push(message);
    this.drainTimer ??= setTimeout(this.guard(() => this.drain()), DRAIN_RETRY_MS);
  }

  private drain(): void {
    this.drainTimer = null;
    while (this.held.length > 0 && !this.transport.backedUp()) this.send(this.held.shift()!);
    if (this.held.length > 0) this.drainTimer = setTimeout(this.guard(() => this.drain()), DRAIN_RETRY_MS);
  }

  private send(message: DisplayMessage): void {
    this.transport.send(message);
    if (message.type === 'guidance') {
      const received = this.procedure.receivedAt?.(message.seq);
      if (received !== undefined) this.metrics.displayLatency((performance.now() - received) / 1000);
    }
  }

  /** A throw in this display's timers ends this display's session only (counted), never the process. */
  private guard(fn: () => void): () => void {
    return guarded('display', (where) => {
      this.metrics.fault(where);
      this.close();
    }, fn);
  }

  private closed = false;
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    if (this.drainTimer) clearTimeout(this.drainTimer);
    this.held = [];
    this.metrics.displays(-1);
  }
}
