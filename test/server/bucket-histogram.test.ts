import { Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { BucketHistogram } from '../../server/plugins/bucket-histogram.ts';

describe('BucketHistogram', () => {
  it('exposes the same Prometheus text as prom-client for the same observations', async () => {
    const bounds = [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05];
    const ours = new Registry();
    const theirs = new Registry();
    const fast = new BucketHistogram('x_latency_seconds', 'help text', bounds, ours);
    const reference = new Histogram({ name: 'x_latency_seconds', help: 'help text', buckets: bounds, registers: [theirs] });
    // Values on the bounds (le is inclusive), between them, above the last, and zero.
    const values = [0, 0.0001, 0.00011, 0.0005, 0.003, 0.05, 0.051, 7, 0.0099, 0.02];
    for (let i = 0; i < 200; i++) values.push((i * 0.37) % 0.06);
    for (const v of values) {
      fast.observe(v);
      reference.observe(v);
    }
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('exposes zero buckets before anything is observed, as prom-client does', async () => {
    const ours = new Registry();
    const theirs = new Registry();
    new BucketHistogram('z_seconds', 'h', [0.5, 1], ours);
    new Histogram({ name: 'z_seconds', help: 'h', buckets: [0.5, 1], registers: [theirs] });
    expect(await ours.metrics()).toBe(await theirs.metrics());
  });

  it('ignores a value that is not a finite number (a clock that went wrong must not poison the sum)', async () => {
    const registry = new Registry();
    const fast = new BucketHistogram('y_seconds', 'h', [1], registry);
    fast.observe(Number.NaN);
    fast.observe(Number.POSITIVE_INFINITY);
    fast.observe(0.5);
    const text = await registry.metrics();
    expect(text).toContain('y_seconds_count 1');
    expect(text).toContain('y_seconds_sum 0.5');
  });
});
