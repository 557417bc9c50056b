// The broadcast seam (DESIGN.md, "growing past one machine"): everything sent to a procedure's
// displays goes through publish/subscribe, so a Redis- or NATS-backed implementation can replace
// this in-process one without touching the procedures or the sockets.

import type { DisplayMessage } from '../protocol/index.ts';

export interface Broadcaster {
  publish(procedureId: string, message: DisplayMessage): void;
  /** Returns the unsubscribe function. */
  subscribe(procedureId: string, listener: (message: DisplayMessage) => void): () => void;
}

export class InProcessBroadcaster implements Broadcaster {
  private readonly listeners = new Map<string, Set<(message: DisplayMessage) => void>>();

  /** `onListenerFault`: a listener threw; it is removed, the others still get the message. */
  constructor(private readonly onListenerFault: (procedureId: string, error: unknown) => void = () => undefined) {}

  publish(procedureId: string, message: DisplayMessage): void {
    const set = this.listeners.get(procedureId);
    if (!set) return;
    for (const listener of set) {
      try {
        listener(message);
      } catch (error) {
        // One display's failure is its own: it stops getting messages, the others and the procedure go on.
        set.delete(listener);
        try { this.onListenerFault(procedureId, error); } catch { /* nothing more to do */ }
      }
    }
  }

  subscribe(procedureId: string, listener: (message: DisplayMessage) => void): () => void {
    let set = this.listeners.get(procedureId);
    if (!set) {
      set = new Set();
      this.listeners.set(procedureId, set);
    }
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(procedureId);
    };
  }

  subscribers(procedureId: string): number {
    return this.listeners.get(procedureId)?.size ?? 0;
  }
}
