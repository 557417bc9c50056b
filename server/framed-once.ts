// A display message goes to every WebSocket display of its procedure as the same bytes, framed
// once: one unmasked binary WebSocket frame (RFC 6455 §5.2, header and payload in one buffer),
// written to each display's socket with a single write. Framing per display (ws's send) makes a
// header and a two-buffer write for every display: at 8 displays a few KB of garbage per sample
// and a writev each. This is the broadcast path ws's author describes
// (websockets/ws#617) and socket.io's engine.io takes for its pre-encoded frames.

import type { WebSocket } from 'ws';
import type { DisplayMessage } from '../protocol/index.ts';
import { encodedOnce } from './encoded-once.ts';

const framed = new WeakMap<object, Buffer>();

/** The whole WebSocket frame of a message: FIN + binary opcode, its length, then the msgpack bytes. */
export function frameOf(payload: Uint8Array): Buffer {
  const n = payload.length;
  const head = n < 126 ? 2 : n < 65536 ? 4 : 10;
  const frame = Buffer.allocUnsafe(head + n);
  frame[0] = 0x82; // FIN, opcode 2 (binary); no RSV bits: never compressed
  if (n < 126) frame[1] = n;
  else if (n < 65536) {
    frame[1] = 126;
    frame.writeUInt16BE(n, 2);
  } else {
    frame[1] = 127;
    frame.writeBigUInt64BE(BigInt(n), 2);
  }
  frame.set(payload, head);
  return frame;
}

function framedOnce(message: DisplayMessage): Buffer {
  let frame = framed.get(message);
  if (!frame) framed.set(message, (frame = frameOf(encodedOnce(message))));
  return frame;
}

/** ws's internal sender, as engine.io uses it (present in ws 8; absent, ws's own send is used). */
interface FrameSender { sendFrame(list: Buffer[], cb?: (error?: Error) => void): void }

/**
 * How to send display messages on this server-side socket: framed once and written whole, or,
 * with permessage-deflate negotiated (the display endpoint does not offer it) or a ws without the
 * internal sender, by ws's own send. Decided once: a socket's extensions are fixed at the handshake.
 */
export function displaySender(socket: WebSocket): (message: DisplayMessage) => void {
  const sender = (socket as unknown as { _sender?: Partial<FrameSender> })._sender;
  if (typeof sender?.sendFrame !== 'function' || socket.extensions !== '') return (message) => socket.send(encodedOnce(message));
  const frameSender = sender as FrameSender;
  return (message) => frameSender.sendFrame([framedOnce(message)]);
}
