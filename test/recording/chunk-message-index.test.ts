// The chunk's message indexes kept in typed arrays give what @mcap/core's own chunk builder gives.
import { McapChunkBuilder } from '@mcap/core';
import { describe, expect, it } from 'vitest';
import { ChunkMessageIndex } from '../../server/recording/chunk-message-index.ts';

describe('ChunkMessageIndex', () => {
  it('matches @mcap/core\'s message indexes (channels in first-seen order, records in message order), across growth and resets', () => {
    const ours = new ChunkMessageIndex();
    const theirs = new McapChunkBuilder({ useMessageIndex: true });
    let seed = 7;
    const next = (): number => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    for (const size of [3, 700, 1, 260]) {
      for (let i = 0; i < size; i++) {
        const channelId = Math.floor(next() * 5);
        const logTime = 1_700_000_000_000_000_000n + BigInt(Math.floor(next() * 1e9));
        ours.add(channelId, logTime, theirs.byteLength);
        theirs.addMessage({ channelId, sequence: i, logTime, publishTime: logTime, data: new Uint8Array(Math.floor(next() * 50)) });
      }
      expect([...ours.indexes()]).toEqual([...theirs.indices]);
      ours.reset();
      theirs.reset();
    }
  });
});
