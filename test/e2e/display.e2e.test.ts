// End to end: the real server (a child process) fed over its feed WebSocket, the display page in
// Debian's Chromium driven by playwright-core. CI installs Chromium and sets TG_REQUIRE_BROWSER=1,
// so there this test cannot be skipped; elsewhere it is skipped, visibly, when Chromium is absent.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chromium, type Browser } from 'playwright-core';
import { encodeMessage, type Snapshot } from '../../protocol/index.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import { defaultDeviceOptions, simulateDevice } from '../../simulators/device/device-simulator.ts';
import { scenarioPlan } from '../../simulators/device/scenarios.ts';

const CHROMIUM = '/usr/lib/chromium/chromium';
const available = existsSync(CHROMIUM);
if (!available && process.env['TG_REQUIRE_BROWSER'] === '1') throw new Error(`TG_REQUIRE_BROWSER=1 but ${CHROMIUM} is missing (apt-get install chromium)`);
if (!available) console.warn(`display e2e tests skipped: no ${CHROMIUM} (apt-get install chromium)`);

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ARTEFACTS = join(ROOT, 'test-results');
let child: ChildProcess;
let base = '';
let browser: Browser;
const recordings = mkdtempSync(join(tmpdir(), 'twinguide-e2e-'));

beforeAll(async () => {
  if (!available) return;
  child = spawn(process.execPath, [join(ROOT, 'bin/twinguide.js'), 'serve', '--port', '0', '--igtl-port', '0', '--recordings', recordings, '--quiet'], { stdio: ['ignore', 'pipe', 'pipe'] });
  base = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`server exited ${code}: ${out}`)));
  });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'] });
}, 60_000);

afterAll(async () => {
  await browser?.close();
  child?.kill('SIGTERM');
  rmSync(recordings, { recursive: true, force: true });
});

describe.skipIf(!available)('the display page in Chromium', () => {
  it('shows what the server last sent, and the stale banner within 500 ms of the feed stopping, with no console errors', async () => {
    const post = async (url: string, body: unknown): Promise<{ id: string }> => (await (await fetch(base + url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { id: string };
    const { id } = await post('/api/procedures', { twinId: 'demo', source: 'eam' });
    await post(`/api/procedures/${id}/registration`, { method: 'identity' });
    const page = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${base}/?procedure=${id}`);

    // Feed 4 s of the reach scenario at its real pace, in the twin frame (identity registration).
    const twin = await loadTwinFile(join(ROOT, 'data/twins/demo.twin.json'), { loadModel: false });
    const device = defaultDeviceOptions('eam', { twinToSource: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1], durationS: 4 });
    const samples = [...simulateDevice(twin, scenarioPlan(twin, 'reach-lateral-zone'), device)];
    await twin.close();
    const feed = new WebSocket(`${base.replace('http', 'ws')}/ws/feed?procedure=${id}`);
    await new Promise((r) => feed.once('open', r));
    const start = Date.now();
    for (const s of samples) {
      const due = start + s.arrivalS * 1000;
      if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
      feed.send(encodeMessage(s.sample));
    }
    const lastSentAt = Date.now();
    await page.waitForFunction(() => document.getElementById('banner')!.className === 'stale', undefined, { timeout: 3000, polling: 20 });
    const staleAfterMs = Date.now() - lastSentAt;
    expect(staleAfterMs).toBeLessThan(500);

    // What the server last sent: its snapshot holds the last guidance.
    const snapshot = ((await (await fetch(`${base}/api/procedures/${id}`)).json()) as { snapshot: Snapshot }).snapshot;
    const last = snapshot.guidance!;
    const names = Object.fromEntries(((await (await fetch(`${base}/api/twins/demo`)).json()) as { branches: { id: string; name: string }[] }).branches.map((b) => [b.id, b.name]));
    await page.waitForFunction((text) => document.getElementById('instruction')!.textContent === text, last.zone.text, { timeout: 2000 });
    expect(await page.textContent('#instruction')).toBe(last.zone.text);
    expect(await page.textContent('#branch')).toBe(names[last.tip.branch]);
    expect(await page.textContent('#zone')).toBe({ in: 'IN ZONE', approaching: 'APPROACHING', outside: 'OUTSIDE', 'none-accessible': 'NONE ACCESSIBLE' }[last.zone.state]);
    expect(await page.textContent('#banner')).toBe('FEED STALE — GUIDANCE ON HOLD');
    expect(await page.getAttribute('#main', 'class')).toBe('greyed');
    mkdirSync(ARTEFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTEFACTS, 'display-stale.png') });

    feed.close();
    await page.waitForFunction(() => document.getElementById('banner')!.className === 'lost', undefined, { timeout: 3000 });
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
