// socket.io namespace /display (msgpack parser), for displays behind proxies that break raw
// WebSockets: the same messages as /ws/display, each emitted as an event named by its type
// ('snapshot', 'guidance', 'status', 'event', 'error'). Connect with { query: { procedure: ID } }.

import type { Server as HttpServer } from 'node:http';
import { Server } from 'socket.io';
import msgpackParser from 'socket.io-msgpack-parser';
import type { Limits } from '../../protocol/index.ts';
import type { Authoriser } from '../auth.ts';
import type { Broadcaster } from '../broadcast.ts';
import type { ProcedureRegistry } from '../procedures/procedure-registry.ts';
import { DisplaySession } from './display-session.ts';
import type { ServerMetrics } from './metrics.ts';

/** socket.io packets queued on a display's connection before it counts as backed up. */
export const SLOW_DISPLAY_PACKETS = 64;

export function displaySocketIo(httpServer: HttpServer, procedures: ProcedureRegistry, broadcaster: Broadcaster, limits: Limits, metrics: ServerMetrics, auth: Authoriser): Server {
  // Both fastify's WebSocket plugin and socket.io listen for HTTP upgrades on the same server, and
  // each closes what it does not route: dispatch by path so each sees only its own.
  const before = httpServer.listeners('upgrade') as ((...args: unknown[]) => void)[];
  const io = new Server(httpServer, { parser: msgpackParser, serveClient: false, maxHttpBufferSize: limits.maxFrameBytes, pingInterval: 10_000, pingTimeout: 5_000 });
  const mine = (httpServer.listeners('upgrade') as ((...args: unknown[]) => void)[]).filter((l) => !before.includes(l));
  httpServer.removeAllListeners('upgrade');
  httpServer.on('upgrade', (request: { url?: string }, socket: unknown, head: unknown) => {
    for (const listener of request.url?.startsWith('/socket.io/') ? mine : before) listener.call(httpServer, request, socket, head);
  });
  // Token in the handshake's auth ({ token }) or query (?token=).
  io.of('/display').use((socket, next) => {
    const token = typeof socket.handshake.auth['token'] === 'string' ? (socket.handshake.auth['token'] as string) : typeof socket.handshake.query['token'] === 'string' ? socket.handshake.query['token'] : undefined;
    try {
      auth.check(token, ['display', 'operator']);
      next();
    } catch (e) {
      metrics.rejected((e as { code?: string }).code ?? 'TG_ERR_AUTH');
      next(e as Error);
    }
  });
  io.of('/display').on('connection', async (socket) => {
    const id = typeof socket.handshake.query['procedure'] === 'string' ? socket.handshake.query['procedure'] : '';
    let procedure;
    try {
      procedure = await procedures.endpoint(id);
    } catch (e) {
      socket.emit('error', { type: 'error', code: 'TG_ERR_NOT_FOUND', message: (e as Error).message });
      socket.disconnect(true);
      return;
    }
    const session = new DisplaySession(procedure, broadcaster, limits, {
      send: (message) => socket.emit(message.type, message),
      backedUp: () => (socket.conn as unknown as { writeBuffer?: unknown[] }).writeBuffer !== undefined && (socket.conn as unknown as { writeBuffer: unknown[] }).writeBuffer.length > SLOW_DISPLAY_PACKETS,
    }, metrics);
    socket.on('disconnect', () => session.close());
  });
  return io;
}
