// /health and /metrics (Prometheus text, prom-client): samples in by transport, rejected by code,
// displays connected, dropped display frames, guidance out, pipeline and feed → display latency,
// recording bytes.

import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import { BucketHistogram } from './bucket-histogram.ts';
import type { ClusterStatus } from '../cluster/cluster.ts';
import type { ProcedureRegistry } from '../procedures/procedure-registry.ts';

export class ServerMetrics {
  readonly registry = new Registry();
  private readonly samples = new Counter({ name: 'twinguide_samples_in_total', help: 'Feed samples accepted by transport', labelNames: ['transport'], registers: [this.registry] });
  private readonly rejects = new Counter({ name: 'twinguide_rejected_total', help: 'Frames and requests rejected, by error code', labelNames: ['code'], registers: [this.registry] });
  private readonly displayGauge = new Gauge({ name: 'twinguide_displays_connected', help: 'Display connections', registers: [this.registry] });
  private readonly dropped = new Counter({ name: 'twinguide_display_frames_dropped_total', help: 'Display messages not sent to a backed-up display (superseded by a newer one, or over the hold limit)', registers: [this.registry] });
  // (Per sample and per display frame: a typed-array histogram, not prom-client's, which allocates on every observe.)
  private readonly pipelineLatency = new BucketHistogram('twinguide_pipeline_latency_seconds', 'Sample received → its guidance out of the pipeline', [0.00005, 0.0001, 0.0002, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.05], this.registry);
  private readonly faults = new Counter({ name: 'twinguide_faults_total', help: 'Exceptions caught where they happened (a procedure, a display, a connection) that failed only that; the server carried on', labelNames: ['where'], registers: [this.registry] });
  private readonly uncaught = new Counter({ name: 'twinguide_uncaught_errors_total', help: 'Exceptions that reached the last-resort handler (logged, the process kept running)', labelNames: ['kind'], registers: [this.registry] });
  private readonly broadcastLatency = new BucketHistogram('twinguide_display_latency_seconds', 'Sample received → its guidance sent to a display (includes throttle holds)', [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05], this.registry);

  constructor(procedures: () => ProcedureRegistry) {
    collectDefaultMetrics({ register: this.registry, prefix: 'twinguide_process_' });
    new Gauge({ name: 'twinguide_procedures', help: 'Live procedures', registers: [this.registry], collect() { this.set(procedures().list().length); } });
    new Gauge({
      name: 'twinguide_recording_bytes',
      help: 'Bytes written to each live procedure\'s recording',
      labelNames: ['procedure'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const p of procedures().list()) if (p.recorder) this.set({ procedure: p.id }, p.recorder.bytes);
      },
    });
    new Gauge({
      name: 'twinguide_guidance_out',
      help: 'Guidance messages produced, per procedure',
      labelNames: ['procedure'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const p of procedures().list()) this.set({ procedure: p.id }, p.counters.guidanceOut);
      },
    });
  }

  sampleIn(transport: string): void { this.samples.inc({ transport }); }
  rejected(code: string): void { this.rejects.inc({ code }); }
  displays(delta: number): void { this.displayGauge.inc(delta); }
  displayFrameDropped(): void { this.dropped.inc(); }
  guidanceLatency(seconds: number): void { this.pipelineLatency.observe(seconds); }
  displayLatency(seconds: number): void { this.broadcastLatency.observe(seconds); }
  fault(where: string): void { this.faults.inc({ where }); }
  uncaughtError(kind: 'exception' | 'rejection'): void { this.uncaught.inc({ kind }); }
}

export function healthRoutes(app: FastifyInstance, metrics: ServerMetrics, procedures: ProcedureRegistry, twins: () => number, cluster: () => ClusterStatus | null = () => null): void {
  app.get('/health', async () => {
    const c = cluster();
    // One of several instances: whether Redis answers, and what this one owns and relays.
    return c ? { status: c.redis === 'up' ? 'ok' : 'degraded', procedures: procedures.list().length, twins: twins(), cluster: c } : { status: 'ok', procedures: procedures.list().length, twins: twins() };
  });
  app.get('/metrics', async (_request, reply) => reply.type(metrics.registry.contentType).send(await metrics.registry.metrics()));
}
