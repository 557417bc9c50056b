// Framing OpenIGTLink messages out of a TCP byte stream that arrives in arbitrary pieces. Never
// decodes a partial body; rejects an oversized BODY_SIZE on the header alone (allocating nothing,
// and the connection must then close); drops a message whose CRC does not match; skips unknown
// types and header versions other than 1 and 2 (their 58-byte header layout is common).

import { TwinguideError, isTwinguideError, type ErrorCode } from '../errors.ts';
import { crc64 } from './crc64.ts';
import { HEADER_BYTES, IGTL_TYPES, decodeBody, parseHeader, type IgtlHeader, type IgtlMessage } from './igtl-codec.ts';

export type IgtlEvent =
  | { kind: 'message'; header: IgtlHeader; message: IgtlMessage }
  | { kind: 'rejected'; code: ErrorCode; reason: string; header: IgtlHeader }
  | { kind: 'fatal'; code: ErrorCode; reason: string; header: IgtlHeader };

export class IgtlStreamDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private failed = false;

  constructor(private readonly maxBodyBytes: number) {}

  /** Bytes held waiting for the rest of a message. */
  get pending(): number {
    return this.buffer.length;
  }

  push(chunk: Uint8Array): IgtlEvent[] {
    if (this.failed) return [];
    this.buffer = this.buffer.length === 0 ? Buffer.from(chunk) : Buffer.concat([this.buffer, chunk]);
    const events: IgtlEvent[] = [];
    while (this.buffer.length >= HEADER_BYTES) {
      const header = parseHeader(this.buffer);
      if (header.bodySize > BigInt(this.maxBodyBytes)) {
        this.failed = true;
        this.buffer = Buffer.alloc(0);
        events.push({ kind: 'fatal', code: 'TG_ERR_IGTL_TOO_LARGE', reason: `BODY_SIZE ${header.bodySize} exceeds the ${this.maxBodyBytes}-byte limit`, header });
        break;
      }
      const total = HEADER_BYTES + Number(header.bodySize);
      if (this.buffer.length < total) break; // wait for the rest of the body
      const body = this.buffer.subarray(HEADER_BYTES, total);
      events.push(this.decode(header, body));
      this.buffer = this.buffer.subarray(total);
    }
    return events;
  }

  private decode(header: IgtlHeader, body: Uint8Array): IgtlEvent {
    if (header.version !== 1 && header.version !== 2) {
      return { kind: 'rejected', code: 'TG_ERR_IGTL_VERSION', reason: `header version ${header.version}; this reads 1 and 2`, header };
    }
    const crc = crc64(body);
    if (crc !== header.crc) {
      return { kind: 'rejected', code: 'TG_ERR_IGTL_CRC', reason: `body CRC-64 0x${crc.toString(16).padStart(16, '0')} ≠ header 0x${header.crc.toString(16).padStart(16, '0')}`, header };
    }
    if (!(IGTL_TYPES as readonly string[]).includes(header.type)) {
      return { kind: 'rejected', code: 'TG_ERR_IGTL_UNKNOWN_TYPE', reason: `type '${header.type}' is not handled; skipped`, header };
    }
    try {
      // Copy: the decoded message must not alias the stream buffer.
      return { kind: 'message', header, message: decodeBody(header, Uint8Array.from(body)) };
    } catch (e) {
      const error = isTwinguideError(e) ? e : new TwinguideError('TG_ERR_IGTL_BAD_CONTENT', String(e));
      return { kind: 'rejected', code: error.code, reason: error.message, header };
    }
  }
}
