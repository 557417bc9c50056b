// Lease renewal on its own thread: a busy or stalled event loop in this instance (a rebuild, a
// burst of displays, a starved process on a loaded machine) must not let a live instance's leases
// run out and another instance take its procedures from under it. Only the process's death stops
// the renewals. The worker is plain JavaScript (no TypeScript loader in worker threads) and tells
// the main thread when a lease is no longer this instance's.

import { Worker } from 'node:worker_threads';
import { createRequire } from 'node:module';

const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const { Redis } = require(workerData.ioredis);
const redis = new Redis(workerData.url, { maxRetriesPerRequest: 1, retryStrategy: (n) => Math.min(1000, 50 * n), connectTimeout: 2000 });
redis.on('error', () => {});
const owned = new Set();
const script = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('pexpire', KEYS[1], ARGV[2]) else return 0 end";
let busy = false;
const timer = setInterval(async () => {
  if (busy || redis.status !== 'ready') return;
  busy = true;
  const ids = [...owned];
  const kept = await Promise.all(ids.map((id) => redis.eval(script, 1, 'tg:lease:' + id, workerData.instance, String(workerData.leaseMs)).catch(() => -1)));
  ids.forEach((id, k) => { if (kept[k] === 0 && owned.has(id)) parentPort.postMessage({ lost: id }); });
  busy = false;
}, workerData.everyMs);
parentPort.on('message', (m) => {
  if (m.own) owned.add(m.own);
  if (m.release) owned.delete(m.release);
  if (m.stop) { clearInterval(timer); redis.disconnect(); parentPort.close(); }
});
`;

export class LeaseKeeper {
  private readonly worker: Worker;

  constructor(url: string, instance: string, leaseMs: number, everyMs: number, onLost: (id: string) => void) {
    const ioredis = createRequire(import.meta.url).resolve('ioredis');
    this.worker = new Worker(WORKER, { eval: true, workerData: { url, instance, leaseMs, everyMs, ioredis } });
    this.worker.on('message', (m: { lost?: string }) => { if (m.lost) onLost(m.lost); });
    this.worker.on('error', () => undefined);
    this.worker.unref();
  }

  own(id: string): void {
    this.worker.postMessage({ own: id });
  }

  release(id: string): void {
    this.worker.postMessage({ release: id });
  }

  async stop(): Promise<void> {
    this.worker.postMessage({ stop: true });
    await new Promise((r) => setTimeout(r, 20));
    await this.worker.terminate();
  }
}
