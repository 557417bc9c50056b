// WebSocket feed endpoint /ws/feed?procedure=ID: binary msgpack frames, one sample each. A bad
// frame gets an error frame with its stable code and is counted; the connection and every other
// procedure carry on. Frames above the size limit close the connection (ws's maxPayload).

import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/websocket'; // its route-option and handler types
import type { WebSocket } from 'ws';
import { decodeFeedFrame, encodeMessage, isTwinguideError, type ErrorCode, type Limits } from '../../protocol/index.ts';
import type { ProcedureRegistry } from '../procedures/procedure-registry.ts';
import type { ServerMetrics } from './metrics.ts';

export function feedSocket(app: FastifyInstance, procedures: ProcedureRegistry, limits: Limits, metrics: ServerMetrics): void {
  app.get<{ Querystring: { procedure?: string } }>('/ws/feed', { websocket: true }, (socket: WebSocket, request) => {
    const sendError = (code: ErrorCode, message: string, seq?: number): void => {
      metrics.rejected(code);
      socket.send(encodeMessage({ type: 'error', code, message: message.slice(0, 2000), ...(seq !== undefined ? { seq } : {}) }));
    };
    let procedure;
    try {
      procedure = procedures.get(request.query.procedure ?? '');
    } catch (e) {
      sendError('TG_ERR_NOT_FOUND', (e as Error).message);
      socket.close(1008, 'unknown procedure');
      return;
    }
    const p = procedure;
    let windowStart = Date.now();
    let windowCount = 0;
    socket.on('message', (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
      if (!isBinary) return sendError('TG_ERR_BAD_FRAME', 'frames are binary msgpack, one message each');
      const frame = Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data as ArrayBuffer);
      const now = Date.now();
      if (now - windowStart >= 1000) { windowStart = now; windowCount = 0; }
      if (++windowCount > limits.maxFeedRateHz) return sendError('TG_ERR_LIMIT', `more than ${limits.maxFeedRateHz} samples per second; sample dropped`);
      try {
        const sample = decodeFeedFrame(frame, { maxFrameBytes: limits.maxFrameBytes });
        metrics.sampleIn('ws');
        p.ingest(sample);
      } catch (e) {
        if (isTwinguideError(e)) sendError(e.code, e.message);
        else sendError('TG_ERR_BAD_FRAME', String(e));
      }
    });
    socket.on('close', () => p.feedClosed());
  });
}
