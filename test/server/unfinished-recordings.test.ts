// Which recordings a restarting server brings back: those without a clean end, recent enough, the
// newest segment of each procedure; and a segment chain read as one, refusing a broken chain.
import { mkdtempSync, rmSync, utimesSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcedureRecorder, loadRecording } from '../../server/recording/procedure-recording.ts';
import { findUnfinished } from '../../server/recording/unfinished-recordings.ts';

const dir = mkdtempSync(join(tmpdir(), 'tg-unfinished-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(file: string, procedureId: string, closed: boolean, extra: Record<string, unknown> = {}, ticks = 3): void {
  const r = new ProcedureRecorder(join(dir, file), { procedureId, twinId: 'demo', source: 'eam', startedAt: '2026-11-29T00:00:00.000Z', twinguideVersion: 'test', ...extra }, { flushEveryMs: 0, maxBytes: 1e9 });
  for (let k = 0; k < ticks; k++) r.input({ kind: 'tick', t: k }, BigInt(k));
  if (closed) r.close();
  else r.flush(); // a crash: no footer
}

describe('unfinished recordings', () => {
  it('finds the newest unfinished segment of each recent procedure, and says why it skips the rest', async () => {
    write('ended.mcap', 'ended', true);
    write('crashed.mcap', 'crashed', false);
    write('old.mcap', 'old', false);
    const old = (Date.now() - 13 * 3600 * 1000) / 1000;
    utimesSync(join(dir, 'old.mcap'), old, old);
    write('twice.mcap', 'twice', false, {}, 2);
    write('twice-2.mcap', 'twice', false, { segment: 2, previousSegment: 'twice.mcap' }, 4);
    const scan = findUnfinished(dir, 12 * 3600);
    expect(scan.resumable.map((u) => u.path.split('/').pop()).sort()).toEqual(['crashed.mcap', 'twice-2.mcap']);
    expect(scan.skipped.find((s) => s.path.endsWith('old.mcap'))?.reason).toMatch(/resume window/);
    const chain = await loadRecording(join(dir, 'twice-2.mcap'));
    expect(chain.segments?.map((s) => s.inputs)).toEqual([2, 4]);
    expect(chain.inputs.map((i) => (i.kind === 'tick' ? i.t : -1))).toEqual([0, 1, 0, 1, 2, 3]);
  });

  it('refuses a chain that loops back on itself', async () => {
    write('loop-a.mcap', 'loop', true, { previousSegment: 'loop-b.mcap' });
    write('loop-b.mcap', 'loop', true, { previousSegment: 'loop-a.mcap' });
    await expect(loadRecording(join(dir, 'loop-b.mcap'))).rejects.toMatchObject({ code: 'TG_ERR_RECORDING' });
  });
});
