// A Prometheus histogram for the per-frame latencies (every display send: 12,800 a second at 16
// procedures × 100 Hz × 8 displays). prom-client's Histogram allocates a label object, a closure
// and a hash string on every observe; this one adds to a typed array and builds the exposition only
// when /metrics is scraped. Same text as prom-client's: cumulative `_bucket{le}`, `+Inf`, `_sum`,
// `_count`.

import type { Registry } from 'prom-client';

interface ValueLine { value: number; labels: Record<string, string | number>; metricName: string }

export class BucketHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  private readonly counts: Float64Array;
  private sum = 0;
  private count = 0;

  constructor(readonly name: string, readonly help: string, private readonly bounds: readonly number[], registry: Registry) {
    this.counts = new Float64Array(bounds.length + 1);
    // prom-client takes any object with a name and get() (its own registry merge does the same).
    registry.registerMetric(this as never);
  }

  observe(value: number): void {
    if (!Number.isFinite(value)) return;
    let i = 0;
    while (i < this.bounds.length && value > this.bounds[i]!) i++;
    this.counts[i]! += 1;
    this.sum += value;
    this.count += 1;
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: ValueLine[] } {
    const values: ValueLine[] = [];
    let cumulative = 0;
    this.bounds.forEach((le, i) => {
      cumulative += this.counts[i]!;
      values.push({ value: cumulative, labels: { le }, metricName: `${this.name}_bucket` });
    });
    values.push({ value: this.count, labels: { le: '+Inf' }, metricName: `${this.name}_bucket` });
    values.push({ value: this.sum, labels: {}, metricName: `${this.name}_sum` });
    values.push({ value: this.count, labels: {}, metricName: `${this.name}_count` });
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }

  reset(): void {
    this.counts.fill(0);
    this.sum = 0;
    this.count = 0;
  }
}
