// Server configuration: defaults, then a JSON file, then environment, then command line. Listening
// beyond loopback needs role tokens, which this version does not have yet, so it refuses.

import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { NETWORK_DEFAULTS, TwinguideError, checkLimits, withLimits, type Limits } from '../protocol/index.ts';
import type { Tokens } from './auth.ts';

export interface ServerConfig {
  host: string;
  port: number;
  /** OpenIGTLink TCP port (0: any free port; null: no OpenIGTLink). */
  igtlPort: number | null;
  twinsDir: string;
  recordingsDir: string;
  /** Run the demo: a procedure on the demo twin fed by the simulator's loop scenario. */
  demo: boolean;
  /** On start, bring back procedures whose recordings have no clean end (the server died). */
  resume: boolean;
  /** …when their recording was written within this many seconds. */
  resumeWithinS: number;
  /** Before taking feeds, run a synthetic procedure through the pipeline (warm-up.ts), so the first patient's samples meet compiled code. */
  warmUp: boolean;
  /** Redis URL: one of several instances sharing the procedures (null: this process alone). */
  redis: string | null;
  limits: Limits;
  /** Role tokens; required (for all three roles) when listening beyond loopback. */
  tokens?: Tokens;
  /** OpenIGTLink has no authentication: beyond loopback it runs only when this is set. */
  allowUnauthenticatedIgtl?: boolean;
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'silent';
}

export function defaultConfig(): ServerConfig {
  return {
    host: NETWORK_DEFAULTS.host,
    port: NETWORK_DEFAULTS.httpPort,
    igtlPort: NETWORK_DEFAULTS.igtlPort,
    twinsDir: fileURLToPath(new URL('../data/twins', import.meta.url)),
    recordingsDir: fileURLToPath(new URL('../recordings', import.meta.url)),
    demo: false,
    resume: true,
    resumeWithinS: 12 * 3600,
    warmUp: true,
    redis: null,
    limits: withLimits(),
    logLevel: 'info',
  };
}

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|localhost|::1)$/;

export function resolveConfig(overrides: Partial<Omit<ServerConfig, 'limits'>> & { configFile?: string; limits?: Partial<Limits> }, env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const base = defaultConfig();
  let file: Partial<ServerConfig> = {};
  if (overrides.configFile) {
    try {
      file = JSON.parse(readFileSync(overrides.configFile, 'utf8')) as Partial<ServerConfig>;
    } catch (cause) {
      throw new TwinguideError('TG_ERR_CONFIG', `cannot read config file ${overrides.configFile}: ${(cause as Error).message}`, { cause });
    }
  }
  const fromEnv: Partial<ServerConfig> = {
    ...(env['TWINGUIDE_HOST'] ? { host: env['TWINGUIDE_HOST'] } : {}),
    ...(env['TWINGUIDE_PORT'] ? { port: Number(env['TWINGUIDE_PORT']) } : {}),
    ...(env['TWINGUIDE_IGTL_PORT'] ? { igtlPort: Number(env['TWINGUIDE_IGTL_PORT']) } : {}),
    ...(env['TWINGUIDE_TWINS'] ? { twinsDir: env['TWINGUIDE_TWINS'] } : {}),
    ...(env['TWINGUIDE_RECORDINGS'] ? { recordingsDir: env['TWINGUIDE_RECORDINGS'] } : {}),
    ...(env['TWINGUIDE_RESUME'] === '0' ? { resume: false } : {}),
    ...(env['TWINGUIDE_WARM_UP'] === '0' ? { warmUp: false } : {}),
    ...(env['TWINGUIDE_REDIS'] ? { redis: env['TWINGUIDE_REDIS'] } : {}),
  };
  const { configFile: _ignored, limits, ...rest } = overrides;
  const config: ServerConfig = { ...base, ...file, ...fromEnv, ...rest, limits: withLimits({ ...file.limits, ...limits }) };
  if (!(Number.isFinite(config.resumeWithinS) && config.resumeWithinS >= 0 && config.resumeWithinS <= 30 * 86400)) throw new TwinguideError('TG_ERR_CONFIG', `resumeWithinS ${config.resumeWithinS} must be 0 … 2592000 s`);
  if (!Number.isInteger(config.port) || config.port < 0 || config.port > 65535) throw new TwinguideError('TG_ERR_CONFIG', `port ${config.port} is not a TCP port`);
  if (config.igtlPort !== null && (!Number.isInteger(config.igtlPort) || config.igtlPort < 0 || config.igtlPort > 65535)) throw new TwinguideError('TG_ERR_CONFIG', `OpenIGTLink port ${config.igtlPort} is not a TCP port`);
  try {
    checkLimits(config.limits);
  } catch (e) {
    throw new TwinguideError('TG_ERR_CONFIG', `${(e as Error).message} (set in "limits" of the config file or by the caller)`);
  }
  if (!LOOPBACK.test(config.host)) {
    const missing = (['feed', 'display', 'operator'] as const).filter((r) => !(config.tokens?.[r]?.length));
    if (missing.length > 0) throw new TwinguideError('TG_ERR_CONFIG', `refusing to listen on ${config.host} without tokens for every role (missing: ${missing.join(', ')}); set "tokens" in the config file`);
    for (const list of Object.values(config.tokens ?? {})) for (const t of list ?? []) if (t.length < 16) throw new TwinguideError('TG_ERR_CONFIG', 'tokens must be at least 16 characters');
    if (config.igtlPort !== null && !config.allowUnauthenticatedIgtl) config.igtlPort = null; // no unauthenticated port on the network
  }
  return config;
}
