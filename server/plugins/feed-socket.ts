// WebSocket feed endpoint /ws/feed?procedure=ID: binary msgpack frames, one sample each. A bad
// frame gets an error frame with its stable code and is counted; the connection and every other
// procedure carry on. Frames above the size limit close the connection (ws's maxPayload).

import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/websocket'; // its route-option and handler types
import type { WebSocket } from 'ws';
import { decodeFeedFrame, encodeMessage, isTwinguideError, type ErrorCode, type Limits } from '../../protocol/index.ts';
import type { ProcedureRegistry } from '../procedures/procedure-registry.ts';
import { guarded } from '../faults.ts';
import type { ServerMetrics } from './metrics.ts';

export function feedSocket(app: FastifyInstance, procedures: ProcedureRegistry, limits: Limits, metrics: ServerMetrics): void {
  app.get<{ Querystring: { procedure?: string } }>('/ws/feed', { websocket: true }, async (socket: WebSocket, request) => {
    const sendError = (code: ErrorCode, message: string, seq?: number): void => {
      metrics.rejected(code);
      if (socket.readyState === socket.OPEN) socket.send(encodeMessage({ type: 'error', code, message: message.slice(0, 2000), ...(seq !== undefined ? { seq } : {}) }));
    };
    // Frames that arrive while the procedure is looked up (another instance's, over Redis) wait.
    const early: [Buffer | ArrayBuffer | Buffer[], boolean][] = [];
    const hold = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void => { early.push([data, isBinary]); };
    socket.on('message', hold);
    let procedure;
    try {
      procedure = await procedures.endpoint(request.query.procedure ?? '');
    } catch (e) {
      sendError('TG_ERR_NOT_FOUND', (e as Error).message);
      socket.close(1008, 'unknown procedure');
      return;
    }
    let p = procedure;
    const id = request.query.procedure ?? '';
    let windowStart = Date.now();
    let windowCount = 0;
    let moving: Promise<void> | null = null;
    const waiting: [Buffer | ArrayBuffer | Buffer[], boolean][] = [];
    const onMessage = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean): void => {
      if (moving) { waiting.push([data, isBinary]); return; }
      if (!isBinary) return sendError('TG_ERR_BAD_FRAME', 'frames are binary msgpack, one message each');
      const frame = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      const now = Date.now();
      if (now - windowStart >= 1000) { windowStart = now; windowCount = 0; }
      if (++windowCount > limits.maxFeedRateHz) return sendError('TG_ERR_LIMIT', `more than ${limits.maxFeedRateHz} samples per second; sample dropped`);
      let message;
      try {
        message = decodeFeedFrame(frame, { maxFrameBytes: limits.maxFrameBytes });
      } catch (e) {
        return isTwinguideError(e) ? sendError(e.code, e.message) : sendError('TG_ERR_BAD_FRAME', String(e));
      }
      try {
        // The procedure moved to another instance (its lease did): this feed's messages follow it.
        if ('isEnded' in p && p.isEnded && procedures.cluster) {
          if (!moving) moving = procedures.endpoint(id).then((next) => { p = next; }, () => undefined).finally(() => { moving = null; for (const m of waiting.splice(0)) onMessage(m[0], m[1]); });
          waiting.push([data, isBinary]);
          return;
        }
        p.ingest(message);
        if (message.type === 'tip' || message.type === 'fluoro') metrics.sampleIn('ws');
      } catch (e) {
        const seq = 'seq' in message ? message.seq : undefined;
        if (isTwinguideError(e)) return sendError(e.code, e.message, seq);
        // The procedure's own code failed on a valid sample: its fault, said to it and to this feed.
        p.fault('ingest', e);
        sendError('TG_ERR_PROCEDURE_FAULT', 'the procedure failed on this sample (logged); it carries on', seq);
      }
    };
    // Nothing a feed sends may throw out of a socket handler (that would end the process).
    const report = (where: string, e: unknown): void => { metrics.fault(where); p.fault(where, e); };
    socket.off('message', hold);
    const handle = guarded('feed.message', report, onMessage);
    for (const [data, isBinary] of early) handle(data, isBinary);
    socket.on('message', handle);
    socket.on('close', guarded('feed.close', report, () => p.feedClosed()));
  });
}
