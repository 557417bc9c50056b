// A procedure another instance owns, as this instance's displays and feeds see it: the snapshot
// the owner last stored, kept current from the messages relayed to this instance, and feed
// messages passed on to the owner through the procedure's input stream.

import type { DisplayMessage, FeedMessage, Snapshot } from '../../protocol/index.ts';

export class RemoteProcedure {
  /** Feed messages refused or lost on the way to the owner, by code (this instance's view). */
  readonly refused: Record<string, number> = {};

  constructor(
    readonly id: string,
    private current: Snapshot,
    private readonly forward: (message: FeedMessage | null) => void,
  ) {}

  snapshot(): Snapshot {
    return { ...this.current };
  }

  /** A message the owner sent, relayed here: what a display joining now must see. */
  apply(m: DisplayMessage): void {
    const s = this.current;
    if (m.type === 'snapshot') this.current = m;
    else if (m.type === 'guidance') this.current = { ...s, guidance: m, feed: m.feed };
    else if (m.type === 'status') this.current = { ...s, feed: m.feed, ...(s.guidance ? { guidance: { ...s.guidance, feed: m.feed } } : {}) };
    else if (m.type === 'measurement') this.current = { ...s, measurements: [...(s.measurements ?? []), m.record] };
    else if (m.type === 'zones') this.current = { ...s, zones: m.zones, exclusions: m.exclusions };
    else if (m.type === 'lead') this.current = { ...s, lead: m.lead };
    else if (m.type === 'event' && m.kind === 'pipeline.failed') this.current = { ...s, failed: m.message };
  }

  /** A feed message for the owner (validated here; its clock is checked there). */
  ingest(message: FeedMessage): void {
    this.forward(message);
  }

  feedClosed(): void {
    this.forward(null);
  }

  fault(where: string): void {
    this.refused[where] = (this.refused[where] ?? 0) + 1;
  }
}
