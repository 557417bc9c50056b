// The twinguide server: a fastify app with the REST API, the feed and display WebSockets, health
// and metrics, and the display page. Built by buildServer() so tests run it through inject() or
// on a real socket; closed gracefully (procedures ended, recordings finalised, sockets closed).

import Fastify, { type FastifyBaseLogger, type FastifyInstance, type FastifyReply } from 'fastify';
import websocket from '@fastify/websocket';
import { isTwinguideError, type ErrorCode } from '../protocol/index.ts';
import { Authoriser, rolesFor, tokenFrom } from './auth.ts';
import { Cluster } from './cluster/cluster.ts';
import { InProcessBroadcaster, type Broadcaster } from './broadcast.ts';
import type { ServerConfig } from './config.ts';
import { warmUpPipeline, type WarmUpReport } from './pipeline/warm-up.ts';
import { displayPage } from './plugins/display-page.ts';
import { displaySocket } from './plugins/display-socket.ts';
import { displaySocketIo } from './plugins/display-socketio.ts';
import { feedSocket } from './plugins/feed-socket.ts';
import { IgtlIngest } from './plugins/igtl-ingest.ts';
import { ServerMetrics, healthRoutes } from './plugins/metrics.ts';
import { restRoutes } from './plugins/rest.ts';
import { ProcedureRegistry } from './procedures/procedure-registry.ts';
import { findUnfinished, type UnfinishedScan } from './recording/unfinished-recordings.ts';
import { TwinStore } from './procedures/twin-store.ts';

const STATUS: Partial<Record<ErrorCode, number>> = {
  TG_ERR_AUTH: 401,
  TG_ERR_FORBIDDEN: 403,
  TG_ERR_NOT_FOUND: 404,
  TG_ERR_LIMIT: 429,
  TG_ERR_REGISTRATION: 422,
  TG_ERR_LEAD: 422,
  TG_ERR_MEASUREMENT: 422,
  TG_ERR_REPORT: 409,
  TG_ERR_CLUSTER: 503,
  TG_ERR_BAD_REQUEST: 400,
};

export interface TwinguideServer {
  app: FastifyInstance;
  igtl: IgtlIngest;
  twins: TwinStore;
  procedures: ProcedureRegistry;
  broadcaster: InProcessBroadcaster;
  metrics: ServerMetrics;
  /** One of several instances on Redis (null: alone). */
  cluster: Cluster | null;
  /**
   * Bring back the procedures the server was running when it died (config.resume), one after the
   * other, while it serves: call it once it listens. Resolves when all are back (or given up).
   */
  resume(): Promise<void>;
  /**
   * Run a synthetic procedure through throwaway pipelines on one of the twins (warm-up.ts), so the
   * first patient's samples meet compiled code: call it before the server takes feeds. Null without twins.
   */
  warmUp(): WarmUpReport | null;
  close(): Promise<void>;
}

export async function buildServer(config: ServerConfig, version: string): Promise<TwinguideServer> {
  const app = Fastify({
    logger: config.logLevel === 'silent' ? false : { level: config.logLevel },
    bodyLimit: 1024 * 1024,
    // Reject what does not match a schema rather than quietly dropping or coercing it.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, useDefaults: false, allErrors: false } },
    // Malformed URLs and over-long ids are refused by the router before any handler: same code.
    frameworkErrors: (error, _request, reply) => {
      metrics?.rejected('TG_ERR_BAD_REQUEST');
      void (reply as unknown as FastifyReply).code(400).send({ code: 'TG_ERR_BAD_REQUEST', message: error.message });
    },
  });
  await app.register(websocket, { options: { maxPayload: config.limits.maxFrameBytes } });
  const twins = await TwinStore.load(config.twinsDir, (m) => app.log.warn(m));
  const broadcaster = new InProcessBroadcaster((procedureId, error) => {
    metrics?.fault('display');
    app.log.error({ procedureId, err: error }, 'display listener fault (that display is dropped)');
  });
  let metrics: ServerMetrics | null = null;
  let cluster: Cluster | null = null;
  // One of several instances: procedures publish to this instance's displays and to the others'
  // (the cluster's broadcaster, once it exists).
  let publishTo: Broadcaster = broadcaster;
  const procedureBroadcaster: Broadcaster = {
    publish: (id, m) => publishTo.publish(id, m),
    subscribe: (id, l) => broadcaster.subscribe(id, l),
  };
  const procedures = new ProcedureRegistry(twins, procedureBroadcaster, config.limits, config.recordingsDir, version, {
    onLatency: (s) => metrics?.guidanceLatency(s),
    onFault: (procedureId, where, error) => {
      metrics?.fault(`procedure.${where}`);
      app.log.error({ procedureId, where, err: error }, 'procedure fault (the procedure and the server carry on)');
    },
  });
  metrics = new ServerMetrics(() => procedures);
  if (config.redis) {
    cluster = new Cluster(config.redis, procedures, broadcaster, (m) => app.log.warn(m), config.limits.checkpointEveryInputs);
    procedures.cluster = cluster;
    publishTo = cluster.broadcaster();
    // A REST call for a procedure another instance owns is answered by that instance.
    app.addHook('preHandler', async (request, reply) => {
      const m = /^\/api\/procedures\/([^/?]+)/.exec(request.url);
      if (!m || request.headers['x-twinguide-forwarded'] || procedures.has(decodeURIComponent(m[1]!))) return;
      const headers: Record<string, string> = {};
      for (const h of ['authorization', 'content-type', 'accept']) if (typeof request.headers[h] === 'string') headers[h] = request.headers[h] as string;
      let answer;
      try {
        answer = await cluster!.forward(decodeURIComponent(m[1]!), { method: request.method, url: request.url, headers, body: request.body === undefined ? null : JSON.stringify(request.body) });
      } catch (e) {
        return reply.code(503).send({ code: 'TG_ERR_CLUSTER', message: (e as Error).message });
      }
      if (answer) return reply.code(answer.status).type(answer.type).send(answer.payload);
    });
  }

  const auth = new Authoriser(config.tokens);
  app.addHook('onRequest', async (request) => {
    const roles = rolesFor(request.method, request.url.split('?')[0]!);
    if (roles) auth.check(tokenFrom(request.headers, request.url), roles);
  });

  app.setErrorHandler((error, _request, reply) => {
    if (isTwinguideError(error)) {
      metrics.rejected(error.code);
      return reply.code(STATUS[error.code] ?? 400).send({ code: error.code, message: error.message, ...(error.path ? { path: error.path } : {}) });
    }
    const e = error as { validation?: unknown; statusCode?: number; message: string };
    if (e.validation || (e.statusCode && e.statusCode < 500)) {
      metrics.rejected('TG_ERR_BAD_REQUEST');
      return reply.code(400).send({ code: 'TG_ERR_BAD_REQUEST', message: e.message });
    }
    app.log.error(error);
    return reply.code(500).send({ code: 'TG_ERR_INTERNAL', message: 'internal error (logged)' });
  });
  app.setNotFoundHandler((request, reply) => reply.code(404).send({ code: 'TG_ERR_NOT_FOUND', message: `no route ${request.method} ${request.url.split('?')[0]}` }));

  healthRoutes(app, metrics, procedures, () => twins.list().length, () => cluster?.status() ?? null);
  restRoutes(app, twins, procedures, config.recordingsDir);
  feedSocket(app, procedures, config.limits, metrics);
  displaySocket(app, procedures, broadcaster, config.limits, metrics);
  await displayPage(app);
  const igtl = new IgtlIngest(procedures, metrics, (where, error) => {
    metrics.fault(where);
    app.log.error({ where, err: error }, 'OpenIGTLink connection fault (that connection is closed)');
  });
  const socketIo = displaySocketIo(app.server, procedures, broadcaster, config.limits, metrics, auth);

  // The recordings a restart resumes, read once at start (each file's head and tail): the warm-up
  // asks whether there are any, then resume() brings them back, before any feed can connect.
  let unfinished: UnfinishedScan | null = null;
  const unfinishedAtStart = (): UnfinishedScan => (unfinished ??= findUnfinished(config.recordingsDir, config.resumeWithinS));

  return {
    app,
    igtl,
    twins,
    procedures,
    broadcaster,
    metrics,
    cluster,
    // The demo twin when the server has it (any twin warms the same code).
    warmUp: (): WarmUpReport | null => {
      const all = twins.list();
      const twin = all.find((t) => t.meta.id === 'demo') ?? all[0];
      if (!twin) return null;
      // After a crash, rebuilding the procedures runs their inputs through the pipeline, which warms
      // it as well; a synthetic procedure first would only keep their displays "lost" a second longer.
      if (config.resume && !config.redis) {
        const waiting = unfinishedAtStart().resumable.length;
        if (waiting > 0) return { samples: 0, ms: 0, skipped: `${waiting} procedure(s) to resume, whose rebuild warms the pipeline` };
      }
      try {
        return warmUpPipeline(twin);
      } catch (e) {
        // Only speed is at stake: the server starts cold rather than not at all.
        app.log.warn({ err: e, twin: twin.meta.id }, 'pipeline warm-up failed (the server starts cold)');
        return null;
      }
    },
    // With Redis, procedures live there: a takeover brings them back, not the recordings.
    resume: async () => {
      if (cluster) return cluster.start(app);
      if (config.resume) await resumeUnfinished(unfinishedAtStart(), procedures, app.log);
    },
    async close() {
      cluster?.stopTakingOver();
      await procedures.endAll();
      await cluster?.close();
      await igtl.close();
      // socket.io's close() waits for the HTTP server to close, and that waits for the feed and
      // display WebSockets only app.close() ends: with a device still connected, SIGTERM hung. So its
      // clients go first, app.close() ends the rest and the server, then socket.io's adapters.
      socketIo.disconnectSockets(true);
      socketIo.engine.close();
      await app.close();
      await socketIo.close();
      await twins.close();
    },
  };
}

/**
 * Procedures the server was running when it died come back under their ids, rebuilt in slices so
 * the server and the other procedures are served meanwhile (a procedure appears once it is whole:
 * never half-rebuilt state on a display). One that cannot come back (its twin is gone, its file
 * unreadable) is logged and left; the others and the server carry on.
 */
async function resumeUnfinished(scan: UnfinishedScan, procedures: ProcedureRegistry, log: FastifyBaseLogger): Promise<void> {
  for (const s of scan.skipped) log.warn({ recording: s.path }, `not resumed: ${s.reason}`);
  for (const unfinished of scan.resumable) {
    try {
      const p = await procedures.resume(unfinished);
      log.info({ procedureId: p.id, ...p.resumed }, `resumed procedure ${p.id} from ${unfinished.path}`);
    } catch (e) {
      log.error({ recording: unfinished.path, err: e }, `cannot resume procedure '${unfinished.meta.procedureId}': ${(e as Error).message}`);
    }
  }
}
