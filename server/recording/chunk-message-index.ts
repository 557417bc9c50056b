// The message indexes of the chunk being filled (MCAP's Message Index records: per channel, each
// message's log time and offset in the chunk), kept in typed arrays until the chunk is written.
// @mcap/core's chunk builder keeps them as a two-element array and a BigInt per message; in the live
// server V8 promoted nearly all of those to the old generation although a chunk lives 50 ms
// (--trace-gc-nvp, 16 procedures × 100 Hz: 225 KB promoted per scavenge with them, 12 KB without),
// and that set the server's scavenge pauses.

import type { McapTypes } from '@mcap/core';

export class ChunkMessageIndex {
  private logTimes = new BigUint64Array(256);
  private offsets = new Float64Array(256);
  private channelIds = new Uint16Array(256);
  private count = 0;
  /** Channels in the order the chunk first saw them (the order MCAP writers emit their indexes). */
  private readonly order: number[] = [];

  add(channelId: number, logTimeNs: bigint, offsetInChunk: number): void {
    if (this.count === this.offsets.length) this.grow();
    this.logTimes[this.count] = logTimeNs;
    this.offsets[this.count] = offsetInChunk;
    this.channelIds[this.count] = channelId;
    this.count++;
    if (!this.order.includes(channelId)) this.order.push(channelId);
  }

  /** Each channel's message index, in first-seen order (built when the chunk is written). */
  *indexes(): IterableIterator<McapTypes.MessageIndex> {
    for (const channelId of this.order) {
      const records: [bigint, bigint][] = [];
      for (let i = 0; i < this.count; i++) if (this.channelIds[i] === channelId) records.push([this.logTimes[i]!, BigInt(this.offsets[i]!)]);
      yield { channelId, records };
    }
  }

  reset(): void {
    this.count = 0;
    this.order.length = 0;
  }

  private grow(): void {
    const n = this.offsets.length * 2;
    const logTimes = new BigUint64Array(n), offsets = new Float64Array(n), channelIds = new Uint16Array(n);
    logTimes.set(this.logTimes);
    offsets.set(this.offsets);
    channelIds.set(this.channelIds);
    this.logTimes = logTimes;
    this.offsets = offsets;
    this.channelIds = channelIds;
  }
}
