// The display frames written whole: what a WebSocket client's own parser (ws's Receiver) reads
// back, at each of the three length encodings.
import type { EventEmitter } from 'node:events';
import * as ws from 'ws';
import { describe, expect, it } from 'vitest';
import { frameOf } from '../../server/framed-once.ts';

// ws's frame parser (exported at run time; @types/ws does not declare it).
const { Receiver } = ws as unknown as { Receiver: new (options: object) => EventEmitter & { write(chunk: Buffer): void } };

function parse(frame: Buffer): Buffer[] {
  const out: Buffer[] = [];
  const receiver = new Receiver({ isServer: false, binaryType: 'nodebuffer', maxPayload: 0 });
  receiver.on('message', (data: Buffer, isBinary: boolean) => {
    expect(isBinary).toBe(true);
    out.push(data);
  });
  receiver.on('error', (e: Error) => { throw e; });
  // In two pieces, as a socket may deliver it.
  receiver.write(frame.subarray(0, 3));
  receiver.write(frame.subarray(3));
  return out;
}

describe('frameOf', () => {
  for (const n of [0, 1, 125, 126, 1500, 65535, 65536, 200_000]) {
    it(`frames a ${n}-byte payload as one binary frame a client reads back`, () => {
      const payload = Uint8Array.from({ length: n }, (_, i) => (i * 31 + 7) & 0xff);
      const frame = frameOf(payload);
      expect(frame.length).toBe(n + (n < 126 ? 2 : n < 65536 ? 4 : 10));
      const got = parse(frame);
      expect(got).toHaveLength(1);
      expect(Buffer.compare(got[0]!, Buffer.from(payload))).toBe(0);
    });
  }
});
