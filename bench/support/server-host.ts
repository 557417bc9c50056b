// Child process for the server benchmarks: runs either the twinguide server or a bare ws relay (the
// baseline: every frame from a socket marked ?role=feed is sent as-is to every ?role=display
// socket), on 127.0.0.1, and reports its port, then its CPU time and RSS when told to stop.
//   fork('server-host.ts', ['twinguide', displayMaxHz, redisUrl?]) | fork('server-host.ts', ['relay', workUsPerFrame?])
// With a Redis URL the server is one of several instances (it starts its cluster side once it listens).
// TG_ALLOC=1: the twinguide host also samples its heap allocations (V8's sampling heap profiler,
// collected objects included) from mark to usage and reports the bytes, and writes the profile
// beside TG_ALLOC_PROFILE when that is set (it slows the server: not for latency figures).
// TG_ALLOC=live: only what is still alive at the end (what accumulates); TG_ALLOC=promoted: that
// and what a full collection took (what outlived the young generation); no figure reported.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocketServer, type WebSocket } from 'ws';
import { buildServer } from '../../server/app.ts';
import { resolveConfig } from '../../server/config.ts';

export interface HostReady { kind: 'ready'; port: number }
export interface HostUsage { kind: 'usage'; cpuMs: number; wallMs: number; rssMb: number; maxRssMb: number; allocatedBytes?: number }

const [mode = 'relay', second, redis] = process.argv.slice(2);
/** The second argument: the twinguide host's display rate, or the relay's own work per feed frame (µs). */
const hz = second ?? '60';
const workUs = mode === 'relay' ? Number(second ?? 0) : 0;
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
        ws.on('message', (data: Buffer) => {
          // A working relay (bench:server --relay-work) spins this long per frame first: a stand-in
          // for a server's own work per sample, to see how much of it fits in a p99 ratio.
          if (workUs > 0) for (const until = performance.now() + workUs / 1000; performance.now() < until;);
          for (const d of set) d.send(data);
        });
      }
    });
    return { port: (wss.address() as { port: number }).port, close: () => new Promise((r) => wss.close(() => r())) };
  }
  const recordings = mkdtempSync(join(tmpdir(), 'twinguide-bench-'));
  const config = resolveConfig({
    port: 0,
    recordingsDir: recordings,
    twinsDir: fileURLToPath(new URL('../../data/twins', import.meta.url)),
    logLevel: 'silent',
    limits: { displayMaxHz: Number(hz) },
    ...(redis ? { redis } : {}),
  });
  const server = await buildServer(config, 'bench');
  if (config.warmUp) server.warmUp(); // as `twinguide serve` does before it takes feeds
  const url = await server.app.listen({ host: '127.0.0.1', port: 0 });
  if (redis) await server.resume();
  return { port: Number(new URL(url).port), close: async () => { await server.close(); rmSync(recordings, { recursive: true, force: true }); } };
}

interface SamplingNode { selfSize: number; children: SamplingNode[] }
const ALLOC = process.env['TG_ALLOC'];
const sampling = (ALLOC === '1' || ALLOC === 'live' || ALLOC === 'promoted') && mode !== 'relay' ? new Session() : null;
sampling?.connect();
const post = <T>(method: string, params?: object): Promise<T> => new Promise((resolve, reject) => sampling!.post(method, params, (e, r) => (e ? reject(e) : resolve(r as T))));
/** Bytes allocated since the sampling began (the sampled tree's total), and the profile written if asked. */
async function allocatedSinceMark(): Promise<number | undefined> {
  if (!sampling) return undefined;
  const { profile } = await post<{ profile: { head: SamplingNode } }>('HeapProfiler.stopSampling');
  if (process.env['TG_ALLOC_PROFILE']) writeFileSync(`${process.env['TG_ALLOC_PROFILE']}.${process.pid}.heapprofile`, JSON.stringify(profile));
  const total = (n: SamplingNode): number => n.selfSize + n.children.reduce((s, c) => s + total(c), 0);
  return ALLOC === '1' ? total(profile.head) : undefined;
}

const host = await start();
process.on('message', async (m: string) => {
  if (m === 'mark') {
    mark = { cpu: process.cpuUsage(), wall: performance.now() };
    if (sampling) await post('HeapProfiler.startSampling', { samplingInterval: 8192, includeObjectsCollectedByMajorGC: ALLOC !== 'live', includeObjectsCollectedByMinorGC: ALLOC === '1' });
  }
  if (m === 'usage' || m === 'stop') {
    const cpu = process.cpuUsage(mark.cpu);
    const wallMs = performance.now() - mark.wall;
    const allocatedBytes = m === 'usage' ? await allocatedSinceMark() : undefined;
    send({ kind: 'usage', cpuMs: (cpu.user + cpu.system) / 1000, wallMs, rssMb: process.memoryUsage().rss / 2 ** 20, maxRssMb: process.resourceUsage().maxRSS / 1024, ...(allocatedBytes === undefined ? {} : { allocatedBytes }) });
  }
  if (m === 'stop') {
    await host.close();
    process.exit(0);
  }
});
send({ kind: 'ready', port: host.port });
