// Child process for the server benchmarks: runs either the twinguide server or a bare ws relay (the
// baseline: every frame from a socket marked ?role=feed is sent as-is to every ?role=display
// socket), on 127.0.0.1, and reports its port, then its CPU time and RSS when told to stop.
//   fork('server-host.ts', ['twinguide', displayMaxHz, redisUrl?]) | fork('server-host.ts', ['relay'])
// With a Redis URL the server is one of several instances (it starts its cluster side once it listens).

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { buildServer } from '../../server/app.ts';
import { resolveConfig } from '../../server/config.ts';

export interface HostReady { kind: 'ready'; port: number }
export interface HostUsage { kind: 'usage'; cpuMs: number; wallMs: number; rssMb: number; maxRssMb: number }

const [mode = 'relay', hz = '60', redis] = process.argv.slice(2);
const send = (m: HostReady | HostUsage) => process.send!(m);
let mark = { cpu: process.cpuUsage(), wall: performance.now() };

async function start(): Promise<{ port: number; close: () => Promise<void> }> {
  if (mode === 'relay') {
    const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
    await new Promise((r) => wss.once('listening', r));
    // Frames go from a feed to the displays of the same ?procedure= (none given: one channel).
    const displays = new Map<string, Set<WebSocket>>();
    const channel = (url: string | undefined): Set<WebSocket> => {
      const key = new URL(url ?? '/', 'http://x').searchParams.get('procedure') ?? '';
      let set = displays.get(key);
      if (!set) displays.set(key, (set = new Set()));
      return set;
    };
    wss.on('connection', (ws, request) => {
      const set = channel(request.url);
      if (request.url?.includes('role=display')) {
        set.add(ws);
        ws.on('close', () => set.delete(ws));
      } else {
        ws.on('message', (data: Buffer) => { for (const d of set) d.send(data); });
      }
    });
    return { port: (wss.address() as { port: number }).port, close: () => new Promise((r) => wss.close(() => r())) };
  }
  const recordings = mkdtempSync(join(tmpdir(), 'twinguide-bench-'));
  const server = await buildServer(resolveConfig({
    port: 0,
    recordingsDir: recordings,
    twinsDir: fileURLToPath(new URL('../../data/twins', import.meta.url)),
    logLevel: 'silent',
    limits: { displayMaxHz: Number(hz) },
    ...(redis ? { redis } : {}),
  }), 'bench');
  const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  if (redis) await server.resume();
  return { port: Number(new URL(url).port), close: async () => { await server.close(); rmSync(recordings, { recursive: true, force: true }); } };
}

const host = await start();
process.on('message', async (m: string) => {
  if (m === 'mark') mark = { cpu: process.cpuUsage(), wall: performance.now() };
  if (m === 'usage' || m === 'stop') {
    const cpu = process.cpuUsage(mark.cpu);
    send({ kind: 'usage', cpuMs: (cpu.user + cpu.system) / 1000, wallMs: performance.now() - mark.wall, rssMb: process.memoryUsage().rss / 2 ** 20, maxRssMb: process.resourceUsage().maxRSS / 1024 });
  }
  if (m === 'stop') {
    await host.close();
    process.exit(0);
  }
});
send({ kind: 'ready', port: host.port });
