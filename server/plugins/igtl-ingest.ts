// OpenIGTLink ingest over TCP (default port 18944): trackers and navigation software (3D Slicer,
// PLUS) send TRANSFORM, POSITION or TDATA for a device; the device name maps to a procedure (its
// igtlDevice, or its id). GET_STATUS is answered with STATUS, STT_/STP_TDATA with RTS_TDATA, in the
// header version they came in. A bad message is rejected and counted (with a STATUS error back for
// samples), the connection kept; an oversized body closes it. With several instances on Redis, a
// device whose procedure another instance owns is looked up there once per connection, and its
// samples go to the owner through the procedure's input stream, as a WebSocket feed's do.

import { createServer, type Server, type Socket } from 'node:net';
import { feedValidators, isTwinguideError, validateMessage, type FeedMessage, type FeedSample, type TipSample } from '../../protocol/index.ts';
import { encodeIgtl, type IgtlContent, type IgtlMessage } from '../../protocol/openigtlink/igtl-codec.ts';
import { IgtlStreamDecoder } from '../../protocol/openigtlink/igtl-stream.ts';
import { guarded, type FaultReporter } from '../faults.ts';
import { RemoteProcedure } from '../cluster/remote-procedure.ts';
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

/** Messages held for a device while its procedure is looked up on the other instances. */
const MAX_HELD_PER_DEVICE = 256;

/** How far a TRANSFORM's 3×3 may be from a rotation (float32 trackers: ~1e-6; a corrupt matrix: far more). */
const ROTATION_TOLERANCE = 0.01;

/** Why a matrix is not a proper rotation, or null when it is one (orthonormal, determinant +1). */
export function notARotation(r: number[][]): string | null {
  for (const row of r) for (const x of row) if (!Number.isFinite(x)) return 'a rotation element is not a finite number';
  for (let i = 0; i < 3; i++) {
    for (let j = 0; j < 3; j++) {
      let dot = 0;
      for (let k = 0; k < 3; k++) dot += r[k]![i]! * r[k]![j]!;
      if (Math.abs(dot - (i === j ? 1 : 0)) > ROTATION_TOLERANCE) return `the rotation's columns are not orthonormal (column ${i}·column ${j} = ${dot.toPrecision(4)})`;
    }
  }
  const [a, b, c] = r as [number[], number[], number[]];
  const det = a[0]! * (b[1]! * c[2]! - b[2]! * c[1]!) - a[1]! * (b[0]! * c[2]! - b[2]! * c[0]!) + a[2]! * (b[0]! * c[1]! - b[1]! * c[0]!);
  if (det < 0) return 'the matrix is a reflection, not a rotation (determinant −1)';
  return null;
}

export class IgtlIngest {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly started = Date.now();

  constructor(private readonly procedures: ProcedureRegistry, private readonly metrics: ServerMetrics, private readonly onFault: FaultReporter = () => undefined) {
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

  /** Another instance's procedure for a device (null: none anywhere); only with a cluster. */
  private async remoteFor(device: string): Promise<RemoteProcedure | null> {
    const cluster = this.procedures.cluster;
    if (!cluster) return null;
    const id = await cluster.procedureIdForDevice(device);
    if (!id) return null;
    const endpoint = await this.procedures.endpoint(id).catch(() => null);
    return endpoint instanceof RemoteProcedure ? endpoint : null;
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
    const notFound = (to: IgtlMessage, device: string): void => {
      this.metrics.rejected('TG_ERR_NOT_FOUND');
      statusError(to, 4, 'NotFound', `no procedure for device '${device}'`);
    };
    /** Hand a validated message to a procedure here or on another instance; false: refused (said to the peer). */
    const handTo = (target: Procedure | RemoteProcedure, to: IgtlMessage, message: FeedMessage): boolean => {
      try {
        target.ingest(message);
        return true;
      } catch (e) {
        if (!isTwinguideError(e)) throw e; // the procedure's own fault: handled by the connection's guard
        this.metrics.rejected(e.code);
        statusError(to, 2, e.code.slice(0, 20), e.message);
        return false;
      }
    };
    // Other instances' procedures this connection feeds, and messages held while one is looked up.
    const remote = new Map<string, RemoteProcedure>();
    const held = new Map<string, [IgtlMessage, FeedMessage][]>();
    const deliver = (to: IgtlMessage, device: string, message: FeedMessage): boolean => {
      const local = this.procedureFor(device);
      if (local) return handTo(local, to, message);
      const known = remote.get(device);
      if (known) return handTo(known, to, message);
      if (!this.procedures.cluster) { notFound(to, device); return false; }
      const waiting = held.get(device);
      if (waiting) {
        if (waiting.length >= MAX_HELD_PER_DEVICE) { this.metrics.rejected('TG_ERR_LIMIT'); return false; }
        waiting.push([to, message]);
        return false; // counted when it is handed over
      }
      held.set(device, [[to, message]]);
      this.remoteFor(device).then((found) => {
        const queue = held.get(device) ?? [];
        held.delete(device);
        if (socket.destroyed) return;
        if (found) remote.set(device, found);
        for (const [m, msg] of queue) {
          const target = this.procedureFor(device) ?? found;
          if (!target) notFound(m, device);
          else if (handTo(target, m, msg) && (msg.type === 'tip' || msg.type === 'fluoro')) this.metrics.sampleIn('igtl');
        }
      }, (e: unknown) => this.onFault('igtl.lookup', e));
      return false; // counted when it is handed over
    };
    const ingest = (to: IgtlMessage, device: string, p: [number, number, number], rotation: number[][] | null, quaternion: [number, number, number, number] | null = null): void => {
      const wrong = rotation ? notARotation(rotation) : null;
      if (wrong) {
        this.metrics.rejected('TG_ERR_IGTL_BAD_CONTENT');
        return statusError(to, 2, 'TG_ERR_IGTL_BAD_CONT', `device '${device}': ${wrong}`);
      }
      // Source time: the message's timestamp, else the receive time (0 means "no timestamp").
      const ts = to.timestamp.seconds + to.timestamp.fraction / 2 ** 32;
      const q = rotation ? quaternionFromRotation(rotation) : quaternion;
      const candidate: TipSample = { type: 'tip', seq: ++seq, t: ts > 0 ? ts : (Date.now() - this.started) / 1000, p, ...(q ? { q } : {}) };
      let sample: FeedSample;
      try {
        sample = validateMessage<FeedSample>(candidate, feedValidators);
      } catch (e) {
        if (!isTwinguideError(e)) throw e;
        this.metrics.rejected(e.code);
        return statusError(to, 2, e.code.slice(0, 20), e.message);
      }
      if (deliver(to, device, sample)) this.metrics.sampleIn('igtl');
    };
    /**
     * The lab's physiological signals as SENSOR messages from a device named after the tip's with
     * a suffix: `<device>-ECG` (a reading > 0 marks an R wave at the message's timestamp) and
     * `<device>-RESP` (the first reading is the respiratory amplitude at the message's timestamp).
     */
    const signal = (to: IgtlMessage, values: number[]): void => {
      const m = /^(.*)-(ECG|RESP)$/i.exec(to.deviceName);
      if (!m) {
        this.metrics.rejected('TG_ERR_IGTL_UNKNOWN_TYPE');
        return statusError(to, 2, 'TG_ERR_IGTL_UNKNOWN', `SENSOR from '${to.deviceName}': twinguide reads SENSOR only from <device>-ECG and <device>-RESP`);
      }
      const ts = to.timestamp.seconds + to.timestamp.fraction / 2 ** 32;
      const t = ts > 0 ? ts : (Date.now() - this.started) / 1000;
      const ecg = m[2]!.toUpperCase() === 'ECG';
      if (ecg && !(values[0]! > 0)) return; // no R wave in this reading
      const candidate = ecg ? { type: 'rwave', t } : { type: 'respiration', t, amplitude: values[0] };
      let message: FeedMessage;
      try {
        message = validateMessage<FeedMessage>(candidate, feedValidators);
      } catch (e) {
        if (!isTwinguideError(e)) throw e;
        this.metrics.rejected(e.code);
        return statusError(to, 2, e.code.slice(0, 20), e.message);
      }
      deliver(to, m[1]!, message);
    };
    const onData = (chunk: Buffer): void => {
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
        if (c.type === 'TRANSFORM') ingest(m, m.deviceName, c.translationMm, c.rotation);
        else if (c.type === 'POSITION') ingest(m, m.deviceName, c.positionMm, null, c.quaternion);
        else if (c.type === 'TDATA') for (const e of c.elements) ingest(m, e.name || m.deviceName, e.translationMm, e.type === 3 ? null : e.rotation);
        else if (c.type === 'SENSOR') signal(m, c.values);
        else if (c.type === 'GET_STATUS') reply(m, { type: 'STATUS', code: 1, subcode: 0, errorName: '', statusString: 'OK' });
        else if (c.type === 'STT_TDATA' || c.type === 'STP_TDATA') reply(m, { type: 'RTS_TDATA', status: 0 });
        // STATUS keep-alives, STRING and RTS_TDATA need no answer.
      }
    };
    // Whatever a peer sends, an exception here closes this connection only; the server goes on.
    socket.on('data', guarded('igtl.data', (where, error) => {
      this.onFault(where, error);
      socket.destroy();
    }, onData));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.sockets.delete(socket);
    });
  }
}
