// OpenIGTLink ingest over TCP (default port 18944): trackers and navigation software (3D Slicer,
// PLUS) send TRANSFORM, POSITION or TDATA for a device; the device name maps to a procedure (its
// igtlDevice, or its id). GET_STATUS is answered with STATUS, STT_/STP_TDATA with RTS_TDATA, in the
// header version they came in. A bad message is rejected and counted (with a STATUS error back for
// samples), the connection kept; an oversized body closes it.

import { createServer, type Server, type Socket } from 'node:net';
import { feedValidators, isTwinguideError, validateMessage, type FeedSample, type TipSample } from '../../protocol/index.ts';
import { encodeIgtl, type IgtlContent, type IgtlMessage } from '../../protocol/openigtlink/igtl-codec.ts';
import { IgtlStreamDecoder } from '../../protocol/openigtlink/igtl-stream.ts';
import type { Procedure } from '../procedures/procedure.ts';
import type { ProcedureRegistry } from '../procedures/procedure-registry.ts';
import type { ServerMetrics } from './metrics.ts';

/** OpenIGTLink bodies twinguide accepts (TDATA of a few tools is far below this). */
export const IGTL_MAX_BODY_BYTES = 64 * 1024;

function quaternionFromRotation(r: number[][]): [number, number, number, number] {
  const m00 = r[0]![0]!, m11 = r[1]![1]!, m22 = r[2]![2]!;
  const trace = m00 + m11 + m22;
  if (trace > 0) {
    const s = Math.sqrt(trace + 1) * 2;
    return [(r[2]![1]! - r[1]![2]!) / s, (r[0]![2]! - r[2]![0]!) / s, (r[1]![0]! - r[0]![1]!) / s, s / 4];
  }
  if (m00 > m11 && m00 > m22) {
    const s = Math.sqrt(1 + m00 - m11 - m22) * 2;
    return [s / 4, (r[0]![1]! + r[1]![0]!) / s, (r[0]![2]! + r[2]![0]!) / s, (r[2]![1]! - r[1]![2]!) / s];
  }
  if (m11 > m22) {
    const s = Math.sqrt(1 + m11 - m00 - m22) * 2;
    return [(r[0]![1]! + r[1]![0]!) / s, s / 4, (r[1]![2]! + r[2]![1]!) / s, (r[0]![2]! - r[2]![0]!) / s];
  }
  const s = Math.sqrt(1 + m22 - m00 - m11) * 2;
  return [(r[0]![2]! + r[2]![0]!) / s, (r[1]![2]! + r[2]![1]!) / s, s / 4, (r[1]![0]! - r[0]![1]!) / s];
}

export class IgtlIngest {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly started = Date.now();

  constructor(private readonly procedures: ProcedureRegistry, private readonly metrics: ServerMetrics) {
    this.server = createServer((socket) => this.connection(socket));
  }

  listen(host: string, port: number): Promise<number> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => resolve((this.server.address() as { port: number }).port));
    });
  }

  close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private procedureFor(device: string): Procedure | null {
    return this.procedures.list().find((p) => p.igtlDevice === device) ?? this.procedures.list().find((p) => p.id === device) ?? null;
  }

  private connection(socket: Socket): void {
    this.sockets.add(socket);
    const decoder = new IgtlStreamDecoder(IGTL_MAX_BODY_BYTES);
    let seq = 0;
    const reply = (to: IgtlMessage, content: IgtlContent): void => {
      const message: IgtlMessage = { headerVersion: to.headerVersion, deviceName: to.deviceName, timestamp: { seconds: 0, fraction: 0 }, content, ...(to.headerVersion === 2 ? { messageId: 0, metadata: {} } : {}) };
      socket.write(encodeIgtl(message));
    };
    const statusError = (to: IgtlMessage, code: number, name: string, text: string): void => reply(to, { type: 'STATUS', code, subcode: 0, errorName: name.slice(0, 20), statusString: text.slice(0, 200) });
    const ingest = (to: IgtlMessage, device: string, p: [number, number, number], q: [number, number, number, number] | null): void => {
      const procedure = this.procedureFor(device);
      if (!procedure) {
        this.metrics.rejected('TG_ERR_NOT_FOUND');
        return statusError(to, 4, 'NotFound', `no procedure for device '${device}'`);
      }
      // Source time: the message's timestamp, else the receive time (0 means "no timestamp").
      const ts = to.timestamp.seconds + to.timestamp.fraction / 2 ** 32;
      const candidate: TipSample = { type: 'tip', seq: ++seq, t: ts > 0 ? ts : (Date.now() - this.started) / 1000, p, ...(q ? { q } : {}) };
      let sample: FeedSample;
      try {
        sample = validateMessage<FeedSample>(candidate, feedValidators);
      } catch (e) {
        const code = isTwinguideError(e) ? e.code : 'TG_ERR_BAD_MESSAGE';
        this.metrics.rejected(code);
        return statusError(to, 2, code.slice(0, 20), isTwinguideError(e) ? e.message : String(e));
      }
      this.metrics.sampleIn('igtl');
      procedure.ingest(sample);
    };
    socket.on('data', (chunk: Buffer) => {
      for (const event of decoder.push(chunk)) {
        if (event.kind === 'fatal') {
          this.metrics.rejected(event.code);
          socket.destroy();
          return;
        }
        if (event.kind === 'rejected') {
          this.metrics.rejected(event.code);
          continue;
        }
        const m = event.message;
        const c = m.content;
        if (c.type === 'TRANSFORM') ingest(m, m.deviceName, c.translationMm, quaternionFromRotation(c.rotation));
        else if (c.type === 'POSITION') ingest(m, m.deviceName, c.positionMm, c.quaternion);
        else if (c.type === 'TDATA') for (const e of c.elements) ingest(m, e.name || m.deviceName, e.translationMm, e.type === 3 ? null : quaternionFromRotation(e.rotation));
        else if (c.type === 'GET_STATUS') reply(m, { type: 'STATUS', code: 1, subcode: 0, errorName: '', statusString: 'OK' });
        else if (c.type === 'STT_TDATA' || c.type === 'STP_TDATA') reply(m, { type: 'RTS_TDATA', status: 0 });
        // STATUS keep-alives, STRING and RTS_TDATA need no answer.
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
    });
  }
}
