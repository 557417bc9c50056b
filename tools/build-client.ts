// Bundles the browser client (client/src → client/dist) with esbuild. The server calls
// ensureClientBuilt() at start, so `npm start` on a fresh clone serves an up-to-date display; it
// rebuilds only when a source under client/ or protocol/ is newer than the bundle.

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const CLIENT_DIST = join(ROOT, 'client/dist');
const ENTRIES = { display: 'client/src/display/main.ts', replay: 'client/src/replay/main.ts' } as const;
/** Sources the bundles are built from (the client imports the protocol, the C-arm geometry and the MCAP record reader). */
const SOURCE_DIRS = ['client/src', 'protocol', 'server/pipeline/carm-geometry.ts', 'server/recording/mcap-records.ts'];

function newestMtimeMs(path: string): number {
  const s = statSync(path);
  if (!s.isDirectory()) return s.mtimeMs;
  let newest = s.mtimeMs;
  for (const entry of readdirSync(path)) newest = Math.max(newest, newestMtimeMs(join(path, entry)));
  return newest;
}

/** True when every bundle exists and is newer than every source. */
export function clientIsFresh(): boolean {
  const outputs = Object.keys(ENTRIES).map((name) => join(CLIENT_DIST, `${name}.js`));
  if (!outputs.every((o) => existsSync(o))) return false;
  const built = Math.min(...outputs.map((o) => statSync(o).mtimeMs));
  return SOURCE_DIRS.every((d) => newestMtimeMs(join(ROOT, d)) <= built);
}

export async function buildClient(options: { minify?: boolean } = {}): Promise<{ files: { name: string; bytes: number }[] }> {
  const esbuild = await import('esbuild');
  const result = await esbuild.build({
    entryPoints: Object.fromEntries(Object.entries(ENTRIES).map(([name, file]) => [name, join(ROOT, file)])),
    outdir: CLIENT_DIST,
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome110', 'firefox115', 'safari16'],
    minify: options.minify ?? true,
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'silent',
    // gpu.js is loaded on demand as its own browser build (/vendor/gpu-browser.min.js), not bundled.
    external: ['gpu.js'],
  });
  return { files: Object.entries(result.metafile.outputs).filter(([f]) => f.endsWith('.js')).map(([f, o]) => ({ name: f, bytes: o.bytes })) };
}

/** Build when missing or stale; a no-op otherwise. Returns whether it built. */
export async function ensureClientBuilt(): Promise<boolean> {
  if (clientIsFresh()) return false;
  await buildClient();
  return true;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { files } = await buildClient();
  for (const f of files) console.log(`${f.name}  ${(f.bytes / 1024).toFixed(0)} KiB`);
}
