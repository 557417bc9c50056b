// `twinguide serve` (and `twinguide start`, what `npm start` runs: serve --demo).

import { ensureClientBuilt } from '../tools/build-client.ts';
import { TwinguideError } from '../protocol/index.ts';
import { buildServer } from '../server/app.ts';
import { resolveConfig } from '../server/config.ts';
import { startDemo } from './demo-feed.ts';
import { installLastResort } from '../server/last-resort.ts';
import { EXIT_OK, parseCommandArgs, type Command, type Io } from './command.ts';
import { packageVersion } from './simulate.ts';

async function serveWith(values: Record<string, string | boolean | undefined>, demo: boolean, io: Io): Promise<number> {
  const port = values['port'] !== undefined ? Number(values['port']) : undefined;
  if (port !== undefined && !Number.isInteger(port)) throw new TwinguideError('TG_ERR_USAGE', '--port takes an integer');
  const igtlOption = values['igtl-port'] !== undefined ? Number(values['igtl-port']) : undefined;
  if (igtlOption !== undefined && !Number.isInteger(igtlOption)) throw new TwinguideError('TG_ERR_USAGE', '--igtl-port takes an integer');
  const config = resolveConfig({
    ...(typeof values['host'] === 'string' ? { host: values['host'] } : {}),
    ...(port !== undefined ? { port } : {}),
    ...(igtlOption !== undefined ? { igtlPort: igtlOption } : {}),
    ...(typeof values['twins'] === 'string' ? { twinsDir: values['twins'] } : {}),
    ...(typeof values['recordings'] === 'string' ? { recordingsDir: values['recordings'] } : {}),
    ...(typeof values['config'] === 'string' ? { configFile: values['config'] } : {}),
    ...(values['quiet'] === true ? { logLevel: 'warn' as const } : {}),
    ...(values['no-resume'] === true ? { resume: false } : {}),
    ...(values['no-warm-up'] === true ? { warmUp: false } : {}),
    ...(typeof values['redis'] === 'string' ? { redis: values['redis'] } : {}),
    demo,
  });
  // The display's bundles: built on a fresh clone, rebuilt when a client source changed.
  try {
    if (await ensureClientBuilt()) io.out('built the display client (client/dist)');
  } catch (e) {
    io.err(`cannot build the display client: ${(e as Error).message} (the API and feeds work; the display page will not)`);
  }
  const server = await buildServer(config, packageVersion());
  const removeLastResort = installLastResort(server.metrics, (m) => io.err(`twinguide: ${m}`));
  // Before any feed can connect (and before procedures resume): the first patient's samples then
  // meet compiled code, not the JIT's first minute.
  if (config.warmUp) {
    const warmed = server.warmUp();
    if (warmed) io.out(warmed.skipped ? `skipped the pipeline warm-up: ${warmed.skipped}` : `warmed up the pipeline: ${warmed.samples} synthetic samples in ${Math.round(warmed.ms)} ms`);
  }
  const address = await server.app.listen({ host: config.host, port: config.port });
  const igtlPort = config.igtlPort === null ? null : await server.igtl.listen(config.host, config.igtlPort);
  // Procedures the server was running when it died come back now, while it already serves.
  await server.resume();
  let stopDemo: (() => void) | null = null;
  if (config.demo) stopDemo = await startDemo(address, (m) => io.out(m), { feed: config.tokens?.feed?.[0], operator: config.tokens?.operator?.[0] });
  io.out(`twinguide ${packageVersion()} listening on ${address}${igtlPort !== null ? `, OpenIGTLink on ${config.host}:${igtlPort}` : ''} (${server.twins.list().length} twin(s) from ${config.twinsDir}; recordings in ${config.recordingsDir})`);
  if (config.demo) io.out(`display: ${address}/?procedure=demo`);
  await new Promise<void>((resolve) => {
    const stop = (): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
  io.out('shutting down: ending procedures and finalising recordings…');
  stopDemo?.();
  await server.close();
  removeLastResort();
  return EXIT_OK;
}

const OPTIONS = {
  host: { type: 'string' },
  port: { type: 'string' },
  'igtl-port': { type: 'string' },
  twins: { type: 'string' },
  recordings: { type: 'string' },
  config: { type: 'string' },
  demo: { type: 'boolean' },
  quiet: { type: 'boolean' },
  'no-resume': { type: 'boolean' },
  'no-warm-up': { type: 'boolean' },
  redis: { type: 'string' },
} as const;

const OPTION_HELP = `Options:
  --host HOST         listen address (default 127.0.0.1; beyond loopback is refused until tokens exist)
  --port N            HTTP port (default 8080; 0 = any free port)
  --igtl-port N       OpenIGTLink TCP port (default 18944; 0 = any free port)
  --twins DIR         twins to serve (default data/twins)
  --recordings DIR    where procedures are recorded (default recordings/)
  --config FILE       a JSON file with any of host, port, twinsDir, recordingsDir, limits
  --quiet             warnings only in the log
  --no-resume         do not bring back procedures the server was running when it died
                      (default: those whose recordings have no clean end and were written
                      within resumeWithinS, 12 h, come back under their ids)
  --no-warm-up        start taking feeds at once, without first running a synthetic procedure
                      through the pipeline (~1 s; the first procedure's first minute is slower)
  --redis URL         one of several instances on this Redis (redis://HOST:PORT): every instance
                      takes feeds, displays and REST calls for every procedure; one owns each
                      procedure's pipeline and another takes it over within a second when it dies
                      (procedures then live in Redis: the recordings' resume is off)
  -h, --help          this help
Environment: TWINGUIDE_HOST, TWINGUIDE_PORT, TWINGUIDE_IGTL_PORT, TWINGUIDE_TWINS, TWINGUIDE_RECORDINGS,
TWINGUIDE_RESUME=0 (as --no-resume), TWINGUIDE_WARM_UP=0 (as --no-warm-up), TWINGUIDE_REDIS (as --redis).
Stops on SIGINT/SIGTERM: procedures end, recordings are finalised, sockets close.`;

export const serve: Command = {
  name: 'serve',
  summary: 'the guidance server: REST API, feed and display WebSockets, display page, recordings',
  help: `Usage: twinguide serve [options]

${OPTION_HELP}
  --demo              also run the demo (a procedure fed by the simulator's loop scenario)`,
  async run(args, io) {
    const { help, values } = parseCommandArgs(this, args, OPTIONS, { min: 0, max: 0 });
    if (help) { io.out(this.help); return EXIT_OK; }
    return serveWith(values, values.demo === true, io);
  },
};

export const start: Command = {
  name: 'start',
  summary: 'the server with the demo twin and the device simulator (what npm start runs)',
  help: `Usage: twinguide start [options]

The server with the demo: a procedure on the demo twin, registered from simulated landmarks, fed
at 100 Hz by the device simulator's endless loop scenario over the feed WebSocket. Open the
display at http://127.0.0.1:8080/?procedure=demo.

${OPTION_HELP}`,
  async run(args, io) {
    const { help, values } = parseCommandArgs(this, args, OPTIONS, { min: 0, max: 0 });
    if (help) { io.out(this.help); return EXIT_OK; }
    return serveWith(values, true, io);
  },
};
