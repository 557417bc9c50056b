// The live server scored by a client that shares nothing with the device simulator the pipeline
// was tuned against (bench/support/independent-client.ts: its own walks, hand, heartbeat, breath,
// source frame, landmark registration over REST, EAM over the feed WebSocket in real time, scored
// from a display socket). It starts `twinguide serve` as any user would (a child process on
// 127.0.0.1, a temp recordings directory) and runs every walk of every condition at once, each
// its own procedure (the server's limits as shipped). Figures are printed, never asserted.
// `--feed fluoro-biplane|fluoro-single`: fluoroscopic detections in the client's own C-arm views
// (15 frames/s unless --rate says otherwise) instead of EAM.
//   npm run bench:independent [-- --twin demo|second-heart] [--feed eam|fluoro-biplane|fluoro-single] [--walks 6] [--rate 50] [--seed 1] [--seconds 60] [--trace DIR] [--keep DIR]

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TwinBundle } from '../protocol/index.ts';
import { printJson } from './harness.ts';
import { quantileOfSorted } from '../simulators/device/score.ts';
import { freePort } from '../tools/redis-server.ts';
import { FEEDS, INDEPENDENT_CONDITIONS, pooled, readTree, walk, type Feed } from './support/independent-client.ts';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1]! : fallback;
};
const TWIN = arg('twin', 'demo');
const WALKS = Number(arg('walks', '6'));
const FEED = arg('feed', 'eam') as Feed;
if (!FEEDS.includes(FEED)) throw new Error(`--feed takes ${FEEDS.join(', ')}`);
const RATE_HZ = Number(arg('rate', FEED === 'eam' ? '50' : '15'));
const SEED = Number(arg('seed', '1'));
const MAX_SECONDS = Number(arg('seconds', '60'));
/** A directory to write each walk's scored messages to (CSV), for a look at where it went wrong. */
const TRACE_DIR = arg('trace', '');
/** A directory to keep the server's recordings in (one per walk, replayable with `twinguide replay`); by default a temp one, removed. */
const KEEP_DIR = arg('keep', '');
/** `any`: systole in any direction, not toward the apex (a diagnostic: no heart moves so). */
const SYSTOLE_ANY = arg('systole', 'apex') === 'any';

const CONDITIONS = INDEPENDENT_CONDITIONS.filter((c) => arg('conditions', 'clean,gated,moving').split(',').includes(c.name));

/** The q-quantile of unsorted values, as `bench accuracy` takes it. */
const quantile = (xs: readonly number[], q: number): number => quantileOfSorted([...xs].sort((x, y) => x - y), q);

const port = await freePort();
const recordings = KEEP_DIR || mkdtempSync(join(tmpdir(), 'twinguide-independent-'));
const twinsDir = fileURLToPath(new URL(TWIN === 'demo' ? '../data/twins' : '../data/bench-twins', import.meta.url));
const server = spawn(process.execPath, [fileURLToPath(new URL('../bin/twinguide.js', import.meta.url)), 'serve', '--port', String(port), '--igtl-port', '0', '--recordings', recordings, '--twins', twinsDir, '--quiet'], { stdio: ['ignore', 'inherit', 'inherit'] });
const base = `http://127.0.0.1:${port}`;
try {
  for (let i = 0; ; i++) {
    if (i > 300) throw new Error('the server did not start within 30 s');
    try { if ((await fetch(`${base}/health`)).ok) break; } catch { /* not listening yet */ }
    await new Promise((r) => setTimeout(r, 100));
  }
  const twins = (await (await fetch(`${base}/api/twins`)).json()) as { id: string }[];
  const twinId = twins.find((t) => t.id === (TWIN === 'demo' ? 'demo' : TWIN))?.id ?? twins[0]!.id;
  const bundle = (await (await fetch(`${base}/api/twins/${twinId}/bundle`)).json()) as TwinBundle;
  const tree = readTree(bundle);
  const runs = CONDITIONS.flatMap((condition) => Array.from({ length: WALKS }, (_, w) => ({ condition, seed: SEED * 1000 + w })));
  const results = await Promise.all(runs.map((r) => walk(base, bundle, tree, r.condition, r.seed, { rateHz: RATE_HZ, seconds: MAX_SECONDS, feed: FEED, systoleAny: SYSTOLE_ANY, traceDir: TRACE_DIR })));
  const json: Record<string, number | string> = { twin: twinId, feed: FEED, walks: WALKS, rateHz: RATE_HZ, seed: SEED };
  const fed = FEED === 'eam' ? `EAM ${RATE_HZ} Hz, own frame` : `${FEED === 'fluoro-biplane' ? 'two C-arm views' : 'one C-arm view'} of its own at ${RATE_HZ} frames/s, own table placement`;
  console.log(`independent client: twin ${twinId}, ${WALKS} walks per condition of up to ${MAX_SECONDS} s, ${fed}, landmark registration over REST, scored from a display socket`);
  for (const condition of CONDITIONS) {
    const mine = results.filter((_, i) => runs[i]!.condition === condition);
    const all = pooled(mine), errors = all.errors, n = all.n;
    const branch = all.branchOk / n, sure = all.sure / n, sureWrong = all.sureWrong / n;
    const worstWalkP95 = Math.max(...mine.map((r) => quantile(r.errors, 0.95)));
    console.log(`  ${condition.name.padEnd(7)} branch ${branch.toFixed(3)}  tip median ${quantile(errors, 0.5).toFixed(2)} mm  p95 ${quantile(errors, 0.95).toFixed(2)} mm (worst walk ${worstWalkP95.toFixed(2)})  shown sure ${(100 * sure).toFixed(0)} %  sure and wrong ${(100 * sureWrong).toFixed(3)} %  (${n} guidance messages; delivery p99 ${quantile(all.lateMs, 0.99).toFixed(1)} ms)`);
    Object.assign(json, { [`${condition.name}Branch`]: Number(branch.toFixed(4)), [`${condition.name}MedianMm`]: Number(quantile(errors, 0.5).toFixed(3)), [`${condition.name}P95Mm`]: Number(quantile(errors, 0.95).toFixed(3)), [`${condition.name}SureWrongRate`]: Number(sureWrong.toFixed(6)) });
  }
  printJson('independent-client', json);
} finally {
  server.kill('SIGTERM');
  await new Promise((r) => server.once('exit', r));
  if (!KEEP_DIR) rmSync(recordings, { recursive: true, force: true });
}
