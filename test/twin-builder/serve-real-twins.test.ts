// Twins from real files, end to end through the real command and the real server: `twinguide
// twin build` (a child process) on the fixtures, `twin validate` and `twin info` on each, then a
// server serving that directory, a procedure on each twin fed the simulator's reach scenario over
// the feed WebSocket, and guidance on a display WebSocket reaching the twin's target zone.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, type Guidance } from '../../protocol/index.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import { defaultDeviceOptions, simulateDevice } from '../../simulators/device/device-simulator.ts';
import { scenarioPlan } from '../../simulators/device/scenarios.ts';
import { pause, startLiveServer, type LiveServer } from '../helpers/live-server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const FIX = join(ROOT, 'test/fixtures/real-files');
const twins = mkdtempSync(join(tmpdir(), 'tg-real-twins-'));
const cli = (...args: string[]): string => execFileSync(process.execPath, [join(ROOT, 'bin/twinguide.js'), ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });

const BUILDS: Record<string, string[]> = {
  'lv-only': ['--surfaces', join(FIX, 'lv-only-vtp'), '--response', 'CRTResponse', '--activation', 'ActivationTime'],
  'lv-moved': ['--surfaces', join(FIX, 'lv-only-moved')],
  vmtk: ['--surfaces', join(ROOT, 'data/anatomy/bivme-patient1'), '--veins', join(FIX, 'veins', 'vmtk-centerlines.vtp')],
  slicer: ['--epi', join(FIX, 'demo-ply', 'epi.ply'), '--lv-endo', join(FIX, 'demo-obj', 'lv_endo.obj'), '--rv-endo', join(FIX, 'demo-vtp-zlib', 'rv_endo.vtp'), '--veins', join(FIX, 'veins', 'slicer-centerlines.mrk.json')],
  cap: ['--surfaces', join(FIX, 'cap-mean-lv', 'model-frame'), '--septum', '0,40,0'],
};

let live: LiveServer;
beforeAll(async () => {
  for (const [id, args] of Object.entries(BUILDS)) cli('twin', 'build', ...args, '--seed', '7', '--id', id, '--created', '2026-11-29T00:00:00Z', '--quiet', '--out', join(twins, `${id}.twin.json`));
  live = await startLiveServer({}, { twinsDir: twins });
}, 120_000);
afterAll(async () => {
  await live?.close();
  rmSync(twins, { recursive: true, force: true });
});

describe('twins built from real files by `twinguide twin build`', () => {
  it('validate, and `twin info` says how each was oriented and where its veins and p came from', () => {
    const validated = cli('twin', 'validate', ...Object.keys(BUILDS).map((id) => join(twins, `${id}.twin.json`)));
    expect(validated.match(/^valid: /gm)).toHaveLength(Object.keys(BUILDS).length);
    const lv = cli('twin', 'info', join(twins, 'lv-only.twin.json'));
    expect(lv).toMatch(/oriented from the geometry: .*valve rims/);
    expect(lv).toMatch(/p from: point data 'CRTResponse' of epi\.vtp/);
    expect(lv).toMatch(/activation from: point data 'ActivationTime'/);
    expect(cli('twin', 'info', join(twins, 'vmtk.twin.json'))).toMatch(/veins: vmtk-polylines vmtk-centerlines\.vtp \(ostium: shared start\), as-given/);
    expect(cli('twin', 'info', join(twins, 'cap.twin.json'))).toMatch(/oriented from the user/);
  });

  it('are served, and guidance on each reaches its target zone through the real transports', async () => {
    const listed = JSON.parse((await live.server.app.inject('/api/twins')).body) as { id: string }[] | { twins: { id: string }[] };
    const ids = (Array.isArray(listed) ? listed : listed.twins).map((t) => t.id).sort();
    expect(ids).toEqual(Object.keys(BUILDS).sort());
    for (const id of Object.keys(BUILDS)) {
      const created = await live.server.app.inject({ method: 'POST', url: '/api/procedures', payload: { twinId: id, source: 'eam' } });
      expect(created.statusCode, id).toBe(201);
      const procedure = (JSON.parse(created.body) as { id: string }).id;
      await live.server.app.inject({ method: 'POST', url: `/api/procedures/${procedure}/registration`, payload: { method: 'identity' } });
      const twin = await loadTwinFile(join(twins, `${id}.twin.json`), { loadModel: false });
      const samples = [...simulateDevice(twin, scenarioPlan(twin, 'reach-lateral-zone'), defaultDeviceOptions('eam', { twinToSource: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1] }))];
      const zones = twin.zones.length;
      await twin.close();
      let last: Guidance | null = null;
      const display = await live.open(`${live.ws}/ws/display?procedure=${procedure}`, (m) => { if (m.type === 'guidance') last = m; });
      const feed = await live.open(`${live.ws}/ws/feed?procedure=${procedure}`);
      // Eight times real time: the feed clock takes it (it holds samples ahead of the server's clock until the next confirms them).
      const start = Date.now();
      for (const s of samples) {
        const due = start + (s.arrivalS * 1000) / 8;
        if (due > Date.now() + 5) await pause(due - Date.now());
        feed.send(encodeMessage(s.sample));
      }
      await pause(300);
      feed.close();
      display.close();
      expect(last, id).not.toBeNull();
      const final = last as unknown as Guidance;
      expect(zones, id).toBeGreaterThan(0);
      expect(final.zone.state, id).toBe('in');
    }
  }, 300_000);
});
