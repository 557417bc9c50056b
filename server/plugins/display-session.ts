// One display's session, whatever carries it (WebSocket or socket.io): the snapshot first, then
// guidance throttled latest-wins to the display rate, status and events as they happen; a display
// whose transport is backed up is skipped (never slowing the others or growing memory).

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
  private readonly throttle: ReturnType<typeof setInterval>;

  constructor(procedure: Procedure, broadcaster: Broadcaster, limits: Limits, private readonly transport: DisplayTransport, private readonly metrics: ServerMetrics) {
    metrics.displays(+1);
    transport.send(procedure.snapshot());
    this.unsubscribe = broadcaster.subscribe(procedure.id, (message) => {
      if (message.type === 'guidance') this.pending = message; // latest wins
      else this.deliver(message);
    });
    this.throttle = setInterval(() => {
      if (!this.pending) return;
      const next = this.pending;
      this.pending = null;
      this.deliver(next);
    }, Math.max(1, Math.floor(1000 / limits.displayMaxHz)));
  }

  private deliver(message: DisplayMessage): void {
    if (this.transport.backedUp()) {
      this.metrics.displayFrameDropped();
      return;
    }
    this.transport.send(message);
  }

  close(): void {
    this.unsubscribe();
    clearInterval(this.throttle);
    this.metrics.displays(-1);
  }
}
