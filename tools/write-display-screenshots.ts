// docs/display-demo.png and docs/replay-page.png: the display mid-procedure (the demo's loop
// scenario, caught in the target zone) and the replay page, rendered by headless Chromium.
//   npm run docs:display
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { CHROMIUM, chromiumAvailable, launchChromium } from './headless-chromium.ts';
import { startServerChild } from './server-child.ts';

if (!chromiumAvailable()) throw new Error(`needs ${CHROMIUM} (apt-get install chromium)`);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const recordings = mkdtempSync(join(tmpdir(), 'twinguide-docs-'));
execFileSync(process.execPath, [join(ROOT, 'bin/twinguide.js'), 'simulate', '--twin', join(ROOT, 'data/twins/demo.twin.json'), '--scenario', 'wrong-branch-then-correct', '--seed', '7', '--to', join(recordings, 'wrong-branch-then-correct.mcap')], { stdio: 'inherit' });
const server = await startServerChild(recordings, ['--demo']);
const base = server.base;
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  await page.goto(`${base}/?procedure=demo`);
  // Mid-procedure: wait (at most 90 s of the loop) for the tip to be in a target zone for a moment.
  await page.waitForFunction(() => {
    const g = (window as any).twinguideDisplay?.view.state.guidance;
    return document.getElementById('main')!.className === '' && g?.zone.state === 'in' && (g.zone.dwellS ?? 0) > 1;
  }, undefined, { timeout: 90_000, polling: 50 });
  await page.screenshot({ path: join(ROOT, 'docs/display-demo.png') });
  console.log('wrote docs/display-demo.png');
  const replay = await browser.newPage({ viewport: { width: 1600, height: 900 } });
  await replay.goto(`${base}/replay?recording=wrong-branch-then-correct`);
  await replay.waitForFunction(() => (window as any).twinguideReplay?.view?.field != null, undefined, { timeout: 30_000 });
  // The moment the guidance says to switch branch.
  await replay.evaluate(() => {
    const r = (window as any).twinguideReplay;
    const m = r.timeline.messages.find((x: any) => x.message.type === 'guidance' && x.message.zone.instruction === 'switch-branch');
    r.seek(m ? m.atMs + 800 : r.timeline.durationMs / 2);
  });
  await replay.screenshot({ path: join(ROOT, 'docs/replay-page.png') });
  console.log('wrote docs/replay-page.png');
} finally {
  await browser.close();
  await server.stop();
  rmSync(recordings, { recursive: true, force: true });
}
