// WebSocket display endpoint /ws/display?procedure=ID: a snapshot first (late joiners see the
// current state at once), then guidance throttled latest-wins to the display rate, status and
// events as they happen. A display that cannot keep up (growing bufferedAmount) is skipped, never
// slowing the others or growing memory. Pings find dead peers.

import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/websocket'; // its route-option and handler types
import type { WebSocket } from 'ws';
import { encodeMessage, type DisplayMessage, type Guidance, type Limits } from '../../protocol/index.ts';
import type { Broadcaster } from '../broadcast.ts';
import type { ProcedureRegistry } from '../procedures/procedure-registry.ts';
import type { ServerMetrics } from './metrics.ts';

/** A display with more than this queued is not sent guidance until it drains. */
export const SLOW_DISPLAY_BYTES = 256 * 1024;
export const PING_MS = 10_000;

export function displaySocket(app: FastifyInstance, procedures: ProcedureRegistry, broadcaster: Broadcaster, limits: Limits, metrics: ServerMetrics): void {
  app.get<{ Querystring: { procedure?: string } }>('/ws/display', { websocket: true }, (socket: WebSocket, request) => {
    let procedure;
    try {
      procedure = procedures.get(request.query.procedure ?? '');
    } catch (e) {
      socket.send(encodeMessage({ type: 'error', code: 'TG_ERR_NOT_FOUND', message: (e as Error).message }));
      socket.close(1008, 'unknown procedure');
      return;
    }
    metrics.displays(+1);
    socket.send(encodeMessage(procedure.snapshot()));
    let pending: Guidance | null = null;
    const send = (message: DisplayMessage): void => {
      if (socket.readyState !== socket.OPEN) return;
      if (socket.bufferedAmount > SLOW_DISPLAY_BYTES) {
        metrics.displayFrameDropped();
        return;
      }
      socket.send(encodeMessage(message));
    };
    const unsubscribe = broadcaster.subscribe(procedure.id, (message) => {
      if (message.type === 'guidance') pending = message; // latest wins
      else send(message);
    });
    const throttle = setInterval(() => {
      if (pending) {
        send(pending);
        pending = null;
      }
    }, Math.max(1, Math.floor(1000 / limits.displayMaxHz)));
    let alive = true;
    socket.on('pong', () => { alive = true; });
    const pinger = setInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, PING_MS);
    socket.on('close', () => {
      unsubscribe();
      clearInterval(throttle);
      clearInterval(pinger);
      metrics.displays(-1);
    });
  });
}
