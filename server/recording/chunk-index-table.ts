// The chunk index of a recording (one entry per flushed chunk: MCAP's Chunk Index records, written
// in the summary at close), kept as 64-bit integers in one growing typed array rather than as an
// object with a Map and seven BigInts per chunk. A recording flushes every 50 ms, so a 60-minute
// procedure has ~72,000 chunks: as objects that was tens of MB per procedure, every one of them
// promoted out of the young generation while the procedure ran.

import type { McapTypes } from '@mcap/core';

/** Fields per chunk before its (channel, message index offset) pairs. */
const FIXED = 6;
const NONE = (1n << 64n) - 1n;

export class ChunkIndexTable {
  private data: BigUint64Array;
  private readonly stride: number;
  private count = 0;

  /** `channels`: the most channels one chunk can hold message indexes for. */
  constructor(private readonly channels: number) {
    this.stride = FIXED + 2 * channels;
    this.data = new BigUint64Array(this.stride * 64);
  }

  get length(): number {
    return this.count;
  }

  /** `messageIndexOffsets` in the order the chunk wrote its message indexes (the summary keeps it). */
  push(index: Omit<McapTypes.ChunkIndex, 'compression' | 'compressedSize'>): void {
    if (index.messageIndexOffsets.size > this.channels) throw new Error(`a chunk indexes ${index.messageIndexOffsets.size} channels, more than the ${this.channels} declared`);
    if ((this.count + 1) * this.stride > this.data.length) {
      const grown = new BigUint64Array(this.data.length * 2);
      grown.set(this.data);
      this.data = grown;
    }
    const d = this.data, at = this.count * this.stride;
    d[at] = index.messageStartTime;
    d[at + 1] = index.messageEndTime;
    d[at + 2] = index.chunkStartOffset;
    d[at + 3] = index.chunkLength;
    d[at + 4] = index.messageIndexLength;
    d[at + 5] = index.uncompressedSize;
    let k = at + FIXED;
    for (const [channel, offset] of index.messageIndexOffsets) {
      d[k++] = BigInt(channel);
      d[k++] = offset;
    }
    for (; k < at + this.stride; k++) d[k] = NONE;
    this.count++;
  }

  /** Each chunk's index as MCAP writes it (uncompressed chunks). */
  *entries(): IterableIterator<McapTypes.ChunkIndex> {
    const d = this.data;
    for (let c = 0; c < this.count; c++) {
      const at = c * this.stride;
      const messageIndexOffsets = new Map<number, bigint>();
      for (let k = at + FIXED; k < at + this.stride && d[k] !== NONE; k += 2) messageIndexOffsets.set(Number(d[k]), d[k + 1]!);
      yield {
        messageStartTime: d[at]!,
        messageEndTime: d[at + 1]!,
        chunkStartOffset: d[at + 2]!,
        chunkLength: d[at + 3]!,
        messageIndexOffsets,
        messageIndexLength: d[at + 4]!,
        compression: '',
        compressedSize: d[at + 5]!,
        uncompressedSize: d[at + 5]!,
      };
    }
  }
}
