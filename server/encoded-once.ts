// A display message reaches every display (and, with Redis, the other instances) as the same
// object: it is encoded once for all of them, and a message relayed from another instance keeps
// the bytes it came in (they are exactly what encoding it again would give).

import { encodeMessage, type DisplayMessage } from '../protocol/index.ts';

const encoded = new WeakMap<object, Uint8Array>();

export function encodedOnce(message: DisplayMessage): Uint8Array {
  let bytes = encoded.get(message);
  if (!bytes) encoded.set(message, (bytes = encodeMessage(message)));
  return bytes;
}

/** A message decoded from these bytes: they serve as its encoding. */
export function rememberEncoding(message: DisplayMessage, bytes: Uint8Array): void {
  encoded.set(message, bytes);
}
