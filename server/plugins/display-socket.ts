// WebSocket display endpoint /ws/display?procedure=ID (binary msgpack frames), with pings to find
// dead peers. The session logic is shared with socket.io (display-session.ts).

import type { FastifyInstance } from 'fastify';
import type {} from '@fastify/websocket'; // its route-option and handler types
import type { WebSocket } from 'ws';
import { encodeMessage, type Limits } from '../../protocol/index.ts';
import { displaySender } from '../framed-once.ts';
import { spreadInterval } from '../spread-interval.ts';
import type { Broadcaster } from '../broadcast.ts';
import type { ProcedureRegistry } from '../procedures/procedure-registry.ts';
import { DisplaySession } from './display-session.ts';
import type { ServerMetrics } from './metrics.ts';

/** A display with more than this queued is not sent guidance until it drains. */
export const SLOW_DISPLAY_BYTES = 256 * 1024;
export const PING_MS = 10_000;

export function displaySocket(app: FastifyInstance, procedures: ProcedureRegistry, broadcaster: Broadcaster, limits: Limits, metrics: ServerMetrics): void {
  app.get<{ Querystring: { procedure?: string } }>('/ws/display', { websocket: true }, async (socket: WebSocket, request) => {
    let procedure;
    try {
      // This instance's procedure, or (one of several instances) another's, relayed here.
      procedure = await procedures.endpoint(request.query.procedure ?? '');
    } catch (e) {
      socket.send(encodeMessage({ type: 'error', code: 'TG_ERR_NOT_FOUND', message: (e as Error).message }));
      socket.close(1008, 'unknown procedure');
      return;
    }
    const sendMessage = displaySender(socket);
    const session = new DisplaySession(procedure, broadcaster, limits, {
      send: (message) => {
        if (socket.readyState === socket.OPEN) sendMessage(message);
      },
      backedUp: () => socket.bufferedAmount > SLOW_DISPLAY_BYTES,
    }, metrics);
    let alive = true;
    socket.on('pong', () => { alive = true; });
    // (Spread like the procedures' ticks: displays that joined together do not all ping at once.)
    const pinger = spreadInterval(() => {
      if (!alive) return socket.terminate();
      alive = false;
      socket.ping();
    }, PING_MS);
    socket.on('close', () => {
      session.close();
      pinger.clear();
    });
  });
}
