import type { McapTypes } from '@mcap/core';
import { describe, expect, it } from 'vitest';
import { ChunkIndexTable } from '../../server/recording/chunk-index-table.ts';

describe('ChunkIndexTable', () => {
  it('gives back every chunk index as pushed, its message index offsets in their order, past several growths', () => {
    const table = new ChunkIndexTable(5);
    const pushed: McapTypes.ChunkIndex[] = [];
    for (let c = 0; c < 300; c++) {
      const offsets = new Map<number, bigint>();
      // A varying set of channels, in a varying order (the order a chunk first saw them).
      for (let k = 0; k < c % 6; k++) offsets.set((c * 3 + k * 2) % 5 === 0 && offsets.has(0) ? 4 - (k % 5) : (c * 3 + k * 2) % 5, BigInt(c * 1000 + k));
      const index: McapTypes.ChunkIndex = {
        messageStartTime: 1_700_000_000_000_000_000n + BigInt(c) * 50_000_000n,
        messageEndTime: 1_700_000_000_000_000_000n + BigInt(c) * 50_000_000n + 49_999_999n,
        chunkStartOffset: BigInt(c) * 4096n,
        chunkLength: 4000n + BigInt(c),
        messageIndexOffsets: offsets,
        messageIndexLength: BigInt(offsets.size * 30),
        compression: '',
        compressedSize: 3900n + BigInt(c),
        uncompressedSize: 3900n + BigInt(c),
      };
      table.push(index);
      pushed.push(index);
    }
    expect(table.length).toBe(300);
    const back = [...table.entries()];
    expect(back).toEqual(pushed);
    back.forEach((b, i) => expect([...b.messageIndexOffsets.keys()]).toEqual([...pushed[i]!.messageIndexOffsets.keys()]));
  });

  it('refuses a chunk with more channels than declared (it would overwrite the next entry)', () => {
    const table = new ChunkIndexTable(1);
    const offsets = new Map([[0, 1n], [1, 2n]]);
    expect(() => table.push({ messageStartTime: 0n, messageEndTime: 0n, chunkStartOffset: 0n, chunkLength: 0n, messageIndexOffsets: offsets, messageIndexLength: 0n, uncompressedSize: 0n })).toThrow(/more than the 1 declared/);
  });
});
