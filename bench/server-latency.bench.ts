// Feed → display one-way latency through the real server on 127.0.0.1, against a bare ws relay
// (frames passed straight from the feed socket to the display sockets) measured in the same run;
// then scale: 16 procedures × 100 Hz × 8 displays, with the server's CPU and RSS.
// The server runs in a child process, the display clients in one or two more (so that decoding
// 128 displays' frames does not queue behind the feeder: that would be the load generator's latency,
// not the server's); send and receive times are epoch-based (timeOrigin + now), comparable across
// the processes. The first 15 s (--warm-up S) warm up and are not measured: with 3 s, JIT tier-ups
// and deopts still cost a few ms here and there. Figures are printed, never asserted.
// The display clients read both servers' frames alike (msgpack; see display-clients.ts);
// --client-validate has them validate every twinguide frame as well (the definition before the
// ninth session, for old-and-new figures side by side). TG_ALLOC=1 also reports the server's heap
// allocation per sample (a sampling profile: it slows the server, so not with latency figures).
// Then (with Debian's redis-server) two instances on Redis: 32 procedures × 100 Hz × 8 displays.
//   npm run bench:server [-- --seconds 10] [--warm-up 15] [--scale-only | --cluster-only] [--cluster-procedures N] [--client-validate]
//     [--relay-work 100,200,300]: with the scale runs, relays that spin that many µs per frame first,
//     each as a p99 ratio to the bare relay (how much work per sample fits in a ratio on this machine)

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { encodeMessage, type FeedSample } from '../protocol/index.ts';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { defaultDeviceOptions, simulateDevice } from '../simulators/device/device-simulator.ts';
import { scenarioPlan } from '../simulators/device/scenarios.ts';
import type { ClientsReply, ClientsRequest } from './support/display-clients.ts';
import type { HostReady, HostUsage } from './support/server-host.ts';
import { printJson } from './harness.ts';
import { execFileSync } from 'node:child_process';
import { redisAvailable, startRedis } from '../tools/redis-server.ts';

const secondsArg = process.argv.indexOf('--seconds');
const warmArg = process.argv.indexOf('--warm-up');
/** Seconds of feed before measuring, on every server alike: the JIT settles (a server runs for days). */
const WARM_UP_S = warmArg > 0 ? Number(process.argv[warmArg + 1]) : 15;
const SECONDS = secondsArg > 0 ? Number(process.argv[secondsArg + 1]) : 10;
const RATE_HZ = 100;
/** Clients validate every twinguide frame (the old definition), not just each socket's first guidance. */
const CLIENT_VALIDATE = process.argv.includes('--client-validate');

const twin = await loadTwinFile(fileURLToPath(new URL('../data/twins/demo.twin.json', import.meta.url)));
const identity = [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1];
const samples: FeedSample[] = [...simulateDevice(twin, scenarioPlan(twin, 'loop'), defaultDeviceOptions('eam', { twinToSource: identity, durationS: SECONDS + WARM_UP_S + 2 }))]
  .map((s) => s.sample)
  .sort((a, b) => a.seq - b.seq); // in order, as over one WebSocket; the 2 % dropouts stay as seq gaps

interface Host { child: ChildProcess; port: number; usage: () => Promise<HostUsage>; mark: () => void; stop: () => Promise<HostUsage> }

async function startHost(args: string[]): Promise<Host> {
  // (Each host is its own process: with Redis, two of them are two instances.)
  const child = fork(fileURLToPath(new URL('./support/server-host.ts', import.meta.url)), args, { execArgv: ['--import', 'tsx', ...(process.env['TG_HOST_FLAGS'] ? process.env['TG_HOST_FLAGS'].split(' ') : []), ...(process.env['TG_PROFILE_DIR'] ? ['--cpu-prof', `--cpu-prof-dir=${process.env['TG_PROFILE_DIR']}`] : [])] });
  const ready = await new Promise<HostReady>((resolve) => child.once('message', (m: HostReady) => resolve(m)));
  const ask = (what: string) => new Promise<HostUsage>((resolve) => { child.once('message', (m: HostUsage) => resolve(m)); child.send(what); });
  return { child, port: ready.port, usage: () => ask('usage'), mark: () => child.send('mark'), stop: () => ask('stop') };
}

function open(url: string, onMessage?: (data: Buffer) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.binaryType = 'nodebuffer';
    if (onMessage) ws.on('message', onMessage);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

interface Channel { feed: WebSocket; sentAt: Map<number, number> }

/** Epoch milliseconds, comparable with the display-client processes' clocks. */
const now = (): number => performance.timeOrigin + performance.now();

interface Clients { open(urls: [number, string][], relay: boolean): Promise<void>; collect(): Promise<{ times: number[]; guidance: number; cpuPercent: number }>; close(): void }

/** Display clients in `count` child processes, procedures spread over them. */
async function startClients(count: number): Promise<Clients> {
  const children = Array.from({ length: count }, () => fork(fileURLToPath(new URL('./support/display-clients.ts', import.meta.url)), [], { execArgv: ['--import', 'tsx'] }));
  const ask = <T extends ClientsReply>(child: ChildProcess, request: ClientsRequest): Promise<T> => new Promise((resolve) => { child.once('message', (m: T) => resolve(m)); child.send(request); });
  return {
    open: async (urls, relay) => {
      await Promise.all(children.map((child, k) => ask(child, { kind: 'open', urls: urls.filter(([procedure]) => procedure % count === k), relay, validateAll: CLIENT_VALIDATE })));
    },
    collect: async () => {
      const replies = await Promise.all(children.map((child) => ask<Extract<ClientsReply, { kind: 'received' }>>(child, { kind: 'collect' })));
      return { times: replies.flatMap((r) => r.times), guidance: replies.reduce((n, r) => n + r.guidance, 0), cpuPercent: replies.reduce((n, r) => n + r.cpuPercent, 0) / replies.length };
    },
    close: () => { for (const child of children) child.send({ kind: 'close' } satisfies ClientsRequest); },
  };
}

/** Latencies (ms) of every received frame whose sample was sent after the warm-up. */
function latenciesOf(channels: Channel[], times: number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i < times.length; i += 3) {
    const sent = channels[times[i]!]!.sentAt.get(times[i + 1]!);
    if (sent !== undefined) out.push(times[i + 2]! - sent);
  }
  return out;
}

/**
 * Send every feed's samples at RATE_HZ. Phase-locked: all feeds in the same instant each period
 * (the worst case: every procedure's burst lands at once). Staggered: each feed offset by its share
 * of the period, as independent devices with their own clocks are.
 */
const WARM_UP_SAMPLES = WARM_UP_S * RATE_HZ;

async function drive(channels: Channel[], staggered = false): Promise<void> {
  const periodMs = 1000 / RATE_HZ;
  const start = performance.now();
  const total = SECONDS * RATE_HZ + WARM_UP_SAMPLES; // warm-up, then SECONDS measured
  const slots = staggered ? channels.length : 1;
  for (let i = 0; i < total; i++) {
    for (let slot = 0; slot < slots; slot++) {
      const due = start + i * periodMs + (slot * periodMs) / slots;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      for (const c of staggered ? [channels[slot]!] : channels) {
        const sample = samples[i]!;
        // The first seconds warm up (JIT, caches) on both servers alike and are not measured.
        if (i >= WARM_UP_SAMPLES) c.sentAt.set(sample.seq, now());
        c.feed.send(encodeMessage(sample));
      }
    }
  }
  await new Promise((r) => setTimeout(r, 300)); // let the last frames arrive
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(p * s.length))] ?? NaN;
};

async function relayRun(procedures: number, displaysPer: number, staggered = false, workUs = 0): Promise<{ latencies: number[]; usage: HostUsage; clientCpuPercent: number }> {
  const host = await startHost(['relay', String(workUs)]);
  const clients = await startClients(procedures > 1 ? 2 : 1);
  const urls: [number, string][] = [];
  const channels: Channel[] = [];
  for (let p = 0; p < procedures; p++) {
    for (let d = 0; d < displaysPer; d++) urls.push([p, `ws://127.0.0.1:${host.port}/?role=display&procedure=${p}`]);
  }
  await clients.open(urls, true);
  for (let p = 0; p < procedures; p++) channels.push({ feed: await open(`ws://127.0.0.1:${host.port}/?role=feed&procedure=${p}`), sentAt: new Map() });
  host.mark();
  await drive(channels, staggered);
  const usage = await host.usage();
  const { times, cpuPercent } = await clients.collect();
  clients.close();
  for (const c of channels) c.feed.close();
  await host.stop();
  return { latencies: latenciesOf(channels, times), usage, clientCpuPercent: cpuPercent };
}

async function twinguideRun(procedures: number, displaysPer: number, displayHz: number, staggered = false): Promise<{ latencies: number[]; usage: HostUsage; guidancePerDisplay: number; clientCpuPercent: number; samples: number }> {
  const host = await startHost(['twinguide', String(displayHz)]);
  const base = `http://127.0.0.1:${host.port}`;
  const clients = await startClients(procedures > 1 ? 2 : 1);
  const channels: Channel[] = [];
  const urls: [number, string][] = [];
  for (let p = 0; p < procedures; p++) {
    const created = await (await fetch(`${base}/api/procedures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ twinId: 'demo', source: 'eam' }) })).json() as { id: string };
    await fetch(`${base}/api/procedures/${created.id}/registration`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'identity' }) });
    for (let d = 0; d < displaysPer; d++) urls.push([p, `ws://127.0.0.1:${host.port}/ws/display?procedure=${created.id}`]);
    channels.push({ feed: await open(`ws://127.0.0.1:${host.port}/ws/feed?procedure=${created.id}`), sentAt: new Map() });
  }
  await clients.open(urls, false);
  host.mark();
  await drive(channels, staggered);
  const usage = await host.usage();
  const { times, guidance, cpuPercent } = await clients.collect();
  const metrics = await (await fetch(`${base}/metrics`)).text();
  serverSide = `${histogramP99(metrics, 'twinguide_display_latency_seconds')} (pipeline alone: p50 ${histogramP99(metrics, 'twinguide_pipeline_latency_seconds', 0.5)}, p99 ${histogramP99(metrics, 'twinguide_pipeline_latency_seconds')})`;
  clients.close();
  for (const c of channels) c.feed.close();
  await host.stop();
  return { latencies: latenciesOf(channels, times), usage, guidancePerDisplay: guidance / (procedures * displaysPer), clientCpuPercent: cpuPercent, samples: procedures * (SECONDS + WARM_UP_S) * RATE_HZ };
}

/** The bucket bound under which a fraction q of a Prometheus histogram's observations fall. */
function histogramP99(text: string, name: string, q = 0.99): string {
  const buckets = [...text.matchAll(new RegExp(`^${name}_bucket\\{le="([^"]+)"\\} (\\d+)`, 'gm'))].map((m) => ({ le: m[1]!, n: Number(m[2]) }));
  const total = buckets[buckets.length - 1]?.n ?? 0;
  const bound = buckets.find((b) => b.n >= q * total)?.le ?? '?';
  return bound === '+Inf' ? `> ${buckets[buckets.length - 2]!.le} s` : `≤ ${Number(bound) * 1000} ms`;
}
let serverSide = '';

const fmt = (xs: number[]) => `p50 ${percentile(xs, 0.5).toFixed(3)} ms, p99 ${percentile(xs, 0.99).toFixed(3)} ms, max ${percentile(xs, 1).toFixed(2)} ms (n=${xs.length})`;

/** --cluster-only: just the two-instance run (it needs redis-server). */
const CLUSTER_ONLY = process.argv.includes('--cluster-only');
/** --scale-only: just the 16-procedure runs against their baselines (for profiling the server). */
const SCALE_ONLY = process.argv.includes('--scale-only');
const relayWorkArg = process.argv.indexOf('--relay-work');
/** --relay-work 100,200: relays with that much work per frame (µs) beside the scale runs. */
const RELAY_WORK_US = relayWorkArg > 0 ? (process.argv[relayWorkArg + 1] ?? '').split(',').map(Number) : [];
if (RELAY_WORK_US.some((us) => !Number.isFinite(us) || us < 0 || us > 10_000)) throw new Error('--relay-work takes microseconds per frame (0–10000), comma-separated');
const scaleFigures: Record<string, number> = {};
if (!CLUSTER_ONLY) {
if (!SCALE_ONLY) {
console.log(`feed → display latency, ${RATE_HZ} Hz for ${SECONDS} s, 4 displays, server in a child process on 127.0.0.1`);
const relay = (await relayRun(1, 4)).latencies;
console.log(`  bare ws relay (baseline)         ${fmt(relay)}`);
const unthrottled = await twinguideRun(1, 4, 120);
console.log(`  twinguide, display cap 120 Hz    ${fmt(unthrottled.latencies)}; inside the server p99 ${serverSide}`);
console.log(`    ratio to baseline: p50 ${(percentile(unthrottled.latencies, 0.5) / percentile(relay, 0.5)).toFixed(2)}×, p99 ${(percentile(unthrottled.latencies, 0.99) / percentile(relay, 0.99)).toFixed(2)}×`);
const throttled = await twinguideRun(1, 4, 60);
console.log(`  twinguide, default 60 Hz cap     ${fmt(throttled.latencies)} — includes latest-wins holds of up to 16.7 ms; ${throttled.guidancePerDisplay.toFixed(0)} guidance frames per display`);
}

for (const staggered of [false, true]) {
  console.log(`\nscale: 16 procedures × ${RATE_HZ} Hz × 8 displays (display cap 120 Hz; display clients in 2 processes, feeder, clients and server on the same 2 cores), ${staggered ? 'feeds staggered over the period (independent device clocks)' : 'feeds phase-locked (all 16 samples in the same instant: worst case)'}`);
  // The baseline under the same load: a bare relay with the same 16 feeds and 128 displays.
  const bare = await relayRun(16, 8, staggered);
  const scale = await twinguideRun(16, 8, 120, staggered);
  const cpu = (scale.usage.cpuMs / scale.usage.wallMs) * 100;
  const ratio = percentile(scale.latencies, 0.99) / percentile(bare.latencies, 0.99);
  console.log(`  bare relay, same load (baseline) ${fmt(bare.latencies)}; relay CPU ${((bare.usage.cpuMs / bare.usage.wallMs) * 100).toFixed(0)}%, display clients ${bare.clientCpuPercent.toFixed(0)}% each`);
  console.log(`  twinguide                        ${fmt(scale.latencies)}; display clients ${scale.clientCpuPercent.toFixed(0)}% each${CLIENT_VALIDATE ? ' (validating every frame: --client-validate)' : ''}`);
  console.log(`    p99 ratio to the bare relay: ${ratio.toFixed(2)}× (target ≤ 2×); p50 ${(percentile(scale.latencies, 0.5) / percentile(bare.latencies, 0.5)).toFixed(2)}×`);
  const key = staggered ? 'staggered' : 'phaseLocked';
  Object.assign(scaleFigures, { [`${key}P99Ms`]: +percentile(scale.latencies, 0.99).toFixed(2), [`${key}RelayP99Ms`]: +percentile(bare.latencies, 0.99).toFixed(2), [`${key}P99Ratio`]: +ratio.toFixed(2), [`${key}CpuPercent`]: Math.round(cpu) });
  console.log(`  inside the server (sample received → frame handed to the socket, its own histogram): p99 ${serverSide}`);
  console.log(`  server CPU ${cpu.toFixed(0)}% of one core over ${(scale.usage.wallMs / 1000).toFixed(1)} s, RSS ${scale.usage.rssMb.toFixed(0)} MB (peak ${scale.usage.maxRssMb.toFixed(0)} MB)`);
  for (const workUs of RELAY_WORK_US) {
    const working = await relayRun(16, 8, staggered, workUs);
    const relayCpu = (working.usage.cpuMs / working.usage.wallMs) * 100;
    console.log(`  relay with ${workUs} µs of work per frame: ${fmt(working.latencies)}; CPU ${relayCpu.toFixed(0)}%; p99 ratio to the bare relay ${(percentile(working.latencies, 0.99) / percentile(bare.latencies, 0.99)).toFixed(2)}×`);
  }
  if (scale.usage.allocatedBytes !== undefined) {
    console.log(`  server heap allocated per sample (everything: pipeline, recording, 8 display sends): ${(scale.usage.allocatedBytes / scale.samples / 1024).toFixed(1)} KB (TG_ALLOC sampling profile)`);
    Object.assign(scaleFigures, { [`${key}AllocatedKbPerSample`]: +(scale.usage.allocatedBytes / scale.samples / 1024).toFixed(1) });
  }
}
}
/**
 * Two instances on Redis: 32 procedures × 100 Hz × 8 displays, each procedure created on (so owned
 * by) one instance and fed there, its displays spread over both (4 on each: half of every
 * procedure's guidance crosses Redis); the baseline is a bare relay under the same load.
 */
async function clusterRun(procedures: number, displaysPer: number): Promise<{ latencies: number[]; usage: HostUsage[]; redisCpuMs: number; crossed: number[] }> {
  const redis = await startRedis();
  const redisCpu = async (): Promise<number> => {
    const info = execFileSync('redis-cli', ['-p', String(redis.port), 'INFO', 'cpu']).toString();
    const v = (k: string): number => Number(new RegExp(`${k}:([0-9.]+)`).exec(info)?.[1] ?? 0);
    return (v('used_cpu_sys') + v('used_cpu_user')) * 1000;
  };
  const hosts = [await startHost(['twinguide', '120', redis.url]), await startHost(['twinguide', '120', redis.url])];
  const clients = await startClients(2);
  const channels: Channel[] = [];
  const urls: [number, string][] = [];
  const crossedFrom = new Set<number>();
  for (let p = 0; p < procedures; p++) {
    const owner = hosts[p % 2]!;
    const base = `http://127.0.0.1:${owner.port}`;
    const created = await (await fetch(`${base}/api/procedures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ twinId: 'demo', source: 'eam' }) })).json() as { id: string };
    await fetch(`${base}/api/procedures/${created.id}/registration`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'identity' }) });
    channels.push({ feed: await open(`ws://127.0.0.1:${owner.port}/ws/feed?procedure=${created.id}`), sentAt: new Map() });
    for (let d = 0; d < displaysPer; d++) {
      const host = hosts[d % 2]!;
      if (host !== owner) crossedFrom.add(urls.length);
      urls.push([p, `ws://127.0.0.1:${host.port}/ws/display?procedure=${created.id}`]);
    }
  }
  await new Promise((r) => setTimeout(r, 500)); // the snapshots reach Redis for the other instance's displays
  await clients.open(urls, false);
  for (const h of hosts) h.mark();
  const cpu0 = await redisCpu();
  await drive(channels, false);
  const usage = await Promise.all(hosts.map((h) => h.usage()));
  const redisCpuMs = (await redisCpu()) - cpu0;
  const { times } = await clients.collect();
  if (process.env['TG_BENCH_DEBUG']) {
    const per = new Map<number, number>();
    for (let i = 0; i < times.length; i += 3) per.set(times[i]!, (per.get(times[i]!) ?? 0) + 1);
    console.log('frames per procedure', [...Array(procedures).keys()].map((p) => per.get(p) ?? 0).join(' '));
    for (const h of hosts) console.log(JSON.stringify((await (await fetch(`http://127.0.0.1:${h.port}/health`)).json()).cluster));
  }
  clients.close();
  for (const c of channels) c.feed.close();
  await Promise.all(hosts.map((h) => h.stop()));
  await redis.close();
  return { latencies: latenciesOf(channels, times), usage, redisCpuMs, crossed: [...crossedFrom] };
}

const clusterArg = process.argv.indexOf('--cluster-procedures');
const CLUSTER_PROCEDURES = clusterArg > 0 ? Number(process.argv[clusterArg + 1]) : 32;
if (SCALE_ONLY) {
  // (the two-instance run is not part of --scale-only)
} else if (redisAvailable()) {
  console.log(`\ntwo instances on Redis: ${CLUSTER_PROCEDURES} procedures × ${RATE_HZ} Hz × 8 displays (each procedure owned and fed on one instance, 4 of its displays on each: half the guidance crosses Redis); feeds phase-locked; everything on the same 2 cores`);
  const bare = await relayRun(CLUSTER_PROCEDURES, 8, false);
  const two = await clusterRun(CLUSTER_PROCEDURES, 8);
  const ratio = percentile(two.latencies, 0.99) / percentile(bare.latencies, 0.99);
  console.log(`  bare relay, same load (baseline) ${fmt(bare.latencies)}`);
  console.log(`  twinguide, two instances         ${fmt(two.latencies)}`);
  console.log(`    p99 ratio to the bare relay: ${ratio.toFixed(2)}×`);
  const cpus = two.usage.map((u) => (u.cpuMs / u.wallMs) * 100);
  const redisPct = (two.redisCpuMs / two.usage[0]!.wallMs) * 100;
  console.log(`  CPU: instance A ${cpus[0]!.toFixed(0)}%, instance B ${cpus[1]!.toFixed(0)}% of one core; redis-server ${redisPct.toFixed(0)}%`);
  Object.assign(scaleFigures, { clusterP99Ms: +percentile(two.latencies, 0.99).toFixed(2), clusterRelayP99Ms: +percentile(bare.latencies, 0.99).toFixed(2), clusterP99Ratio: +ratio.toFixed(2), clusterCpuPercentA: Math.round(cpus[0]!), clusterCpuPercentB: Math.round(cpus[1]!), clusterRedisCpuPercent: Math.round(redisPct) });
} else console.log('\ntwo instances on Redis: skipped (no redis-server: apt-get install redis-server)');
printJson('server-scale', scaleFigures);
