// A recording is never overwritten: the demo procedure is `demo` on every `npm start`.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { expect, it } from 'vitest';
import { freshRecordingPath } from '../../server/procedures/procedure-registry.ts';

it('names a recording <id>.mcap, then <id>-2.mcap, <id>-3.mcap when earlier ones exist', () => {
  const dir = mkdtempSync(join(tmpdir(), 'twinguide-names-'));
  try {
    expect(basename(freshRecordingPath(dir, 'demo'))).toBe('demo.mcap');
    writeFileSync(join(dir, 'demo.mcap'), '');
    expect(basename(freshRecordingPath(dir, 'demo'))).toBe('demo-2.mcap');
    writeFileSync(join(dir, 'demo-2.mcap'), '');
    expect(basename(freshRecordingPath(dir, 'demo'))).toBe('demo-3.mcap');
    expect(basename(freshRecordingPath(dir, 'other'))).toBe('other.mcap');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
