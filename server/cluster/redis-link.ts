// The Redis connections one instance holds: commands (auto-pipelined), a blocking reader for the
// streams, and a subscriber for requests forwarded between instances. ioredis reconnects by itself
// (backoff capped at 1 s); `up` says whether Redis answers now, and every change is told.

import { Redis, type RedisOptions } from 'ioredis';

export class RedisLink {
  readonly cmd: Redis;
  readonly reader: Redis;
  readonly sub: Redis;
  /** Redis answers (all three connections ready). */
  up = false;
  private readonly listeners = new Set<(up: boolean) => void>();

  constructor(readonly url: string) {
    const options: RedisOptions = {
      lazyConnect: false,
      enableAutoPipelining: true,
      // Commands are not queued for ever while Redis is away: the caller buffers what must survive.
      maxRetriesPerRequest: 1,
      retryStrategy: (times) => Math.min(1000, 50 * times),
      connectTimeout: 2000,
    };
    this.cmd = new Redis(url, options);
    this.reader = new Redis(url, { ...options, enableAutoPipelining: false, maxRetriesPerRequest: null });
    this.sub = new Redis(url, { ...options, enableAutoPipelining: false, maxRetriesPerRequest: null });
    for (const c of [this.cmd, this.reader, this.sub]) {
      c.on('ready', () => this.check());
      c.on('end', () => this.check());
      c.on('close', () => this.check());
      c.on('error', () => this.check()); // reconnects by itself; the state is what matters
    }
  }

  private check(): void {
    const up = [this.cmd, this.reader, this.sub].every((c) => c.status === 'ready');
    if (up === this.up) return;
    this.up = up;
    for (const l of this.listeners) l(up);
  }

  onChange(listener: (up: boolean) => void): void {
    this.listeners.add(listener);
  }

  /** Resolves once every connection is ready (or rejects after timeoutMs). */
  ready(timeoutMs = 5000): Promise<void> {
    if (this.up) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Redis at ${this.url} did not answer within ${timeoutMs} ms`)), timeoutMs);
      const l = (up: boolean): void => { if (up) { clearTimeout(timer); this.listeners.delete(l); resolve(); } };
      this.listeners.add(l);
    });
  }

  async close(): Promise<void> {
    for (const c of [this.cmd, this.reader, this.sub]) c.disconnect(false);
  }
}
