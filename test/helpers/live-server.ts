// A real twinguide server on 127.0.0.1 (ephemeral ports, recording into a temp dir) and the client
// pieces tests drive it with: WebSocket feeds and displays, procedures over REST, a control
// procedure fed valid samples throughout so a test can show its neighbours were not disturbed.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { decodeDisplayFrame, encodeMessage, type DisplayMessage, type Limits } from '../../protocol/index.ts';
import { buildServer, type TwinguideServer } from '../../server/app.ts';
import { resolveConfig } from '../../server/config.ts';

export const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface LiveServer {
  server: TwinguideServer;
  /** ws://127.0.0.1:PORT */
  ws: string;
  igtlPort: number;
  recordings: string;
  open(url: string, onMessage?: (m: DisplayMessage) => void): Promise<WebSocket>;
  /** Close this socket (terminate) when the server closes, if the test did not. */
  track<T extends { terminate?: () => void; destroy?: () => void }>(socket: T): T;
  /** A procedure on the demo twin, registered with identity unless told otherwise. */
  createProcedure(options?: { igtlDevice?: string; source?: 'eam' | 'fluoro'; register?: boolean }): Promise<string>;
  info(id: string): Promise<{ samplesIn: number; guidanceOut: number; refused: Record<string, number>; faults?: Record<string, number>; recording: string | null }>;
  metrics(): Promise<string>;
  /** A procedure fed valid samples at 100 Hz; `stop` resolves with the guidance its display got. */
  control(): Promise<{ id: string; stop: () => Promise<number> }>;
  close(): Promise<void>;
}

export async function startLiveServer(limits: Partial<Limits> = {}, options: { twinsDir?: string } = {}): Promise<LiveServer> {
  const recordings = mkdtempSync(join(tmpdir(), 'twinguide-live-'));
  const server = await buildServer(resolveConfig({ port: 0, recordingsDir: recordings, twinsDir: options.twinsDir ?? fileURLToPath(new URL('../../data/twins', import.meta.url)), logLevel: 'silent', limits: { maxFeedRateHz: 100_000, ...limits } }), 'test');
  const ws = (await server.app.listen({ host: '127.0.0.1', port: 0 })).replace('http', 'ws');
  const igtlPort = await server.igtl.listen('127.0.0.1', 0);
  const leftovers: (() => void)[] = [];

  const open = (url: string, onMessage: (m: DisplayMessage) => void = () => undefined): Promise<WebSocket> =>
    new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.binaryType = 'nodebuffer';
      socket.on('message', (data: Buffer) => onMessage(decodeDisplayFrame(data)));
      socket.once('open', () => resolve(socket));
      socket.once('error', reject);
      leftovers.push(() => socket.terminate());
    });

  const createProcedure: LiveServer['createProcedure'] = async (options = {}) => {
    const created = await server.app.inject({ method: 'POST', url: '/api/procedures', payload: { twinId: 'demo', source: options.source ?? 'eam', ...(options.igtlDevice ? { igtlDevice: options.igtlDevice } : {}) } });
    if (created.statusCode !== 201) throw new Error(`cannot create a procedure: ${created.body}`);
    const { id } = JSON.parse(created.body) as { id: string };
    if (options.register !== false) await server.app.inject({ method: 'POST', url: `/api/procedures/${id}/registration`, payload: { method: 'identity' } });
    return id;
  };

  const live: LiveServer = {
    server,
    ws,
    igtlPort,
    recordings,
    open,
    track(socket) {
      leftovers.push(() => { socket.terminate?.(); socket.destroy?.(); });
      return socket;
    },
    createProcedure,
    info: async (id) => JSON.parse((await server.app.inject(`/api/procedures/${id}`)).body),
    metrics: async () => (await server.app.inject('/metrics')).body,
    async control() {
      const id = await createProcedure();
      let guidance = 0;
      const display = await open(`${ws}/ws/display?procedure=${id}`, (m) => { if (m.type === 'guidance') guidance++; });
      const feed = await open(`${ws}/ws/feed?procedure=${id}`);
      let seq = 0;
      const timer = setInterval(() => { seq++; feed.send(encodeMessage({ type: 'tip', seq, t: seq * 0.01, p: [0, 0, 0], quality: 'ok' })); }, 10);
      leftovers.push(() => clearInterval(timer));
      return {
        id,
        stop: async () => {
          clearInterval(timer);
          await pause(100);
          feed.close();
          display.close();
          return guidance;
        },
      };
    },
    async close() {
      for (const stop of leftovers) stop();
      await server.close();
      rmSync(recordings, { recursive: true, force: true });
    },
  };
  return live;
}
