// Procedures fed together must not all checkpoint at once: each checkpoint captures the whole
// pipeline state synchronously (2–5 ms), and sixteen procedures created together and fed the same
// samples reached their N-th input within a few milliseconds of each other, stalling every
// procedure's samples behind 16 captures. Each procedure's checkpoints now run at a phase of the
// interval drawn from its id: the same every time for that id, different between ids.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';
import type { FeedSample } from '../../protocol/index.ts';
import { buildServer, type TwinguideServer } from '../../server/app.ts';
import { resolveConfig } from '../../server/config.ts';
import { checkpointPath } from '../../server/recording/checkpoints.ts';
import { spreadPhase } from '../../server/spread-interval.ts';

const dirs: string[] = [];
const servers: TwinguideServer[] = [];
afterAll(async () => {
  for (const s of servers) await s.close();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

it('draws a phase from an id: the same for the same id, spread over [0, 1) for ids made one after another', () => {
  expect(spreadPhase('pmabc1')).toBe(spreadPhase('pmabc1'));
  // Ids as the registry makes them: the time in base 36, then a counter.
  for (const time of ['mabc123', 'm0000zz', 'mzzzzzz']) {
    const phases = Array.from({ length: 16 }, (_, k) => spreadPhase(`p${time}${(k + 1).toString(36)}`)).sort((a, b) => a - b);
    for (const p of phases) {
      expect(p).toBeGreaterThanOrEqual(0);
      expect(p).toBeLessThan(1);
    }
    // No stretch of the period without one of them longer than a third of it (a clump would leave one).
    const gaps = [...phases.slice(1).map((p, i) => p - phases[i]!), 1 - phases.at(-1)! + phases[0]!];
    expect(Math.max(...gaps)).toBeLessThan(1 / 3);
  }
});

it('checkpoints procedures fed the same samples at different inputs', async () => {
  const recordings = mkdtempSync(join(tmpdir(), 'tg-ckpt-spread-'));
  dirs.push(recordings);
  const every = 200;
  const server = await buildServer(resolveConfig({
    port: 0,
    recordingsDir: recordings,
    twinsDir: fileURLToPath(new URL('../../data/twins', import.meta.url)),
    logLevel: 'silent',
    resume: false,
    limits: { checkpointEveryInputs: every },
  }), 'test');
  servers.push(server);
  const procedures = Array.from({ length: 8 }, () => server.procedures.create({ twinId: 'demo', source: 'eam' }));
  const checkpointed = (): boolean[] => procedures.map((p) => existsSync(checkpointPath(p.recorder!.path)));
  const sample = (seq: number): FeedSample => ({ type: 'tip', seq, t: seq / 100, p: [-40 + seq * 0.01, 30, -63], quality: 'ok' });
  // Half an interval of the same inputs into every procedure: some have checkpointed, not all.
  for (let seq = 1; seq <= every / 2; seq++) for (const p of procedures) p.ingest(sample(seq));
  const half = checkpointed();
  expect(half.some((c) => c)).toBe(true);
  expect(half.some((c) => !c)).toBe(true);
  // A whole interval: every one has.
  for (let seq = every / 2 + 1; seq <= every + 2; seq++) for (const p of procedures) p.ingest(sample(seq));
  expect(checkpointed()).toEqual(procedures.map(() => true));
});
