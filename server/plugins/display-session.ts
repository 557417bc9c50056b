// One display's session, whatever carries it (WebSocket or socket.io): the snapshot first, then
// guidance throttled latest-wins to the display rate (sent at once when the rate allows; otherwise
// only the newest is held, and sent when the interval ends), status and events as they happen; a
// display whose transport is backed up is skipped (never slowing the others or growing memory).

import type { DisplayMessage, Guidance, Limits } from '../../protocol/index.ts';
import type { Broadcaster } from '../broadcast.ts';
import type { Procedure } from '../procedures/procedure.ts';
import type { ServerMetrics } from './metrics.ts';

export interface DisplayTransport {
  send(message: DisplayMessage): void;
  /** True while the transport has too much queued to take more. */
  backedUp(): boolean;
}

export class DisplaySession {
  private pending: Guidance | null = null;
  private readonly unsubscribe: () => void;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private lastSentMs = -Infinity;
  private readonly intervalMs: number;

  constructor(private readonly procedure: Procedure, broadcaster: Broadcaster, limits: Limits, private readonly transport: DisplayTransport, private readonly metrics: ServerMetrics) {
    this.intervalMs = 1000 / limits.displayMaxHz;
    metrics.displays(+1);
    transport.send(procedure.snapshot());
    this.unsubscribe = broadcaster.subscribe(procedure.id, (message) => {
      if (message.type !== 'guidance') return this.deliver(message);
      const now = performance.now();
      if (now - this.lastSentMs >= this.intervalMs && !this.timer) {
        this.lastSentMs = now;
        this.deliver(message);
        return;
      }
      this.pending = message; // latest wins
      this.timer ??= setTimeout(() => this.flush(), Math.max(0, this.lastSentMs + this.intervalMs - now));
    });
  }

  private flush(): void {
    this.timer = null;
    if (!this.pending) return;
    const next = this.pending;
    this.pending = null;
    this.lastSentMs = performance.now();
    this.deliver(next);
  }

  private deliver(message: DisplayMessage): void {
    if (this.transport.backedUp()) {
      this.metrics.displayFrameDropped();
      return;
    }
    this.transport.send(message);
    if (message.type === 'guidance') {
      const received = this.procedure.receivedAt(message.seq);
      if (received !== undefined) this.metrics.displayLatency((performance.now() - received) / 1000);
    }
  }

  close(): void {
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.metrics.displays(-1);
  }
}
