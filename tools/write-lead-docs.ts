// docs/display-lead.png and docs/report-page-1.png, docs/report-page-2.png: the display with the
// lead's electrodes and the lab's measurements, and the procedure report of the same procedure.
// A lead is walked into the lateral marginal vein's zone (clean EAM samples at their real pace),
// the lab enters a QLV, a threshold and a phrenic capture at the console, then the report is
// printed by headless Chromium and its pages rendered by poppler.
//   npm run docs:lead
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WebSocket } from 'ws';
import { encodeMessage } from '../protocol/index.ts';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { placeOnBranch, route } from '../simulators/device/tree-route.ts';
import { CHROMIUM, chromiumAvailable, launchChromium } from './headless-chromium.ts';
import { startServerChild } from './server-child.ts';

if (!chromiumAvailable()) throw new Error(`needs ${CHROMIUM} (apt-get install chromium)`);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const recordings = mkdtempSync(join(tmpdir(), 'twinguide-docs-lead-'));
const server = await startServerChild(recordings);
const base = server.base;
const post = async (url: string, body: unknown): Promise<{ id: string }> => (await (await fetch(base + url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })).json()) as { id: string };
const browser = await launchChromium();
try {
  const { id } = await post('/api/procedures', { id: 'case-0417', twinId: 'demo', source: 'eam' });
  await post(`/api/procedures/${id}/registration`, { method: 'identity' });
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  await page.goto(`${base}/?procedure=${id}`);
  await page.waitForFunction(() => (window as any).twinguideDisplay?.view.field != null, undefined, { timeout: 30_000 });
  const twin = await loadTwinFile(join(ROOT, 'data/twins/demo.twin.json'), { loadModel: false });
  const zone = twin.zones.find((z) => z.branchId === 'lmv1')!;
  const path = route(twin, placeOnBranch(twin, 'cs', 2), placeOnBranch(twin, 'lmv1', zone.startArcMm + 24), 0.12);
  await twin.close();
  const feed = new WebSocket(`${base.replace('http', 'ws')}/ws/feed?procedure=${id}`);
  await new Promise((r) => feed.once('open', r));
  const start = Date.now();
  let seq = 0;
  const send = async (p: { x: number; y: number; z: number }): Promise<void> => {
    const due = start + seq * 10;
    if (due > Date.now()) await new Promise((r) => setTimeout(r, due - Date.now()));
    feed.send(encodeMessage({ type: 'tip', seq, t: seq * 0.01, p: [p.x, p.y, p.z] }));
    seq++;
  };
  for (const p of path) await send(p);
  const end = path.at(-1)!;
  for (let k = 0; k < 300; k++) await send(end);
  for (const m of [
    { electrode: 1, kind: 'qlv', qlvMs: 128 },
    { electrode: 1, kind: 'threshold', volts: 2.8, pulseWidthMs: 0.5 },
    { electrode: 1, kind: 'phrenic', captured: true, volts: 3.5, pulseWidthMs: 0.5 },
    { electrode: 2, kind: 'qlv', qlvMs: 141 },
    { electrode: 2, kind: 'threshold', volts: 0.9, pulseWidthMs: 0.5 },
    { electrode: 2, kind: 'impedance', ohms: 620 },
  ]) {
    await post(`/api/procedures/${id}/measurements`, { type: 'measurement', ...m });
    for (let k = 0; k < 40; k++) await send(end);
  }
  for (let k = 0; k < 300; k++) await send(end);
  await page.waitForFunction(() => document.querySelectorAll('#measurements li').length === 4 && document.getElementById('main')!.className === '', undefined, { timeout: 10_000 });
  await page.screenshot({ path: join(ROOT, 'docs/display-lead.png') });
  console.log('wrote docs/display-lead.png');
  feed.close();
  await fetch(`${base}/api/procedures/${id}`, { method: 'DELETE' });
} finally {
  await browser.close();
  await server.stop();
}
const file = join(recordings, readdirSync(recordings).find((f) => f.endsWith('.mcap'))!);
const pdf = join(recordings, 'report.pdf');
execFileSync(process.execPath, [join(ROOT, 'bin/twinguide.js'), 'report', file, '--out', pdf], { stdio: 'inherit' });
execFileSync('pdftoppm', ['-r', '90', '-png', pdf, join(ROOT, 'docs/report-page')]);
console.log(`wrote ${readdirSync(join(ROOT, 'docs')).filter((f) => f.startsWith('report-page')).join(', ')}`);
rmSync(recordings, { recursive: true, force: true });
