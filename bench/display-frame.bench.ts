// The display in headless Chromium (software GL: SwiftShader, as on these machines): frame time
// of the demo twin's scene against an empty scene drawn by the same renderer in the same run, how
// often the display actually redraws while the demo runs, and the response map computed in the
// browser by the TypeScript path and by gpu.js (WebGL on SwiftShader). Needs Debian's chromium.
//   npm run bench:display [-- --frames N]
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CHROMIUM, chromiumAvailable, launchChromium } from '../tools/headless-chromium.ts';
import { WebSocket } from 'ws';
import { DEFAULT_LIMITS, encodeMessage } from '../protocol/index.ts';
import { printJson } from './harness.ts';
import { startServerChild } from '../tools/server-child.ts';

if (!chromiumAvailable()) {
  console.log(`display bench skipped: no ${CHROMIUM} (apt-get install chromium)`);
  process.exit(0);
}
const { values } = parseArgs({ options: { frames: { type: 'string', default: '300' } } });
const FRAMES = Number(values.frames);
const recordings = mkdtempSync(join(tmpdir(), 'twinguide-bench-display-'));
const server = await startServerChild(recordings, ['--demo']);
const base = server.base;
const browser = await launchChromium();
try {
  const page = await browser.newPage({ viewport: { width: 1920, height: 1080 } });
  // tsx compiles this file with keepNames: functions passed to page.evaluate call its __name helper.
  await page.addInitScript('window.__name = (f) => f');
  await page.goto(`${base}/?procedure=demo`);
  await page.waitForFunction(() => (window as any).twinguideDisplay?.view.field !== null && (window as any).twinguideDisplay.view.lastMessage?.type === 'guidance', undefined, { timeout: 30_000 });
  const stats = (a: number[]): { p50: number; p99: number; mean: number } => {
    const s = [...a].sort((x, y) => x - y);
    return { p50: s[Math.floor(s.length / 2)]!, p99: s[Math.min(s.length - 1, Math.floor(s.length * 0.99))]!, mean: a.reduce((x, y) => x + y, 0) / a.length };
  };

  // Redraws while the demo runs (the scene draws only when the tip or the camera moved), against
  // the guidance messages that arrived and the animation frames the browser offered.
  const redraws = await page.evaluate(async () => {
    const view = (window as any).twinguideDisplay.view;
    const scene = view.scene;
    const before = scene.stats.frames;
    let messages = 0;
    const apply = view.apply.bind(view);
    view.apply = (m: unknown, at?: number) => {
      messages++;
      apply(m, at);
    };
    let animationFrames = 0;
    const count = (): void => {
      animationFrames++;
      if (performance.now() - t0 < 3000) requestAnimationFrame(count);
    };
    const t0 = performance.now();
    requestAnimationFrame(count);
    await new Promise((r) => setTimeout(r, 3000));
    view.apply = apply;
    const seconds = (performance.now() - t0) / 1000;
    return { frames: scene.stats.frames - before, messages, animationFrames, seconds };
  });

  // Frame time, GL work included (gl.finish), for the twin and for an empty scene.
  const timeFrames = (hideTwin: boolean): Promise<number[]> =>
    page.evaluate(
      ([n, hide]) => {
        const scene = (window as any).twinguideDisplay.view.scene;
        scene.finishForTiming = true;
        scene.twinGroup.visible = !hide;
        scene.zoneGroup.visible = !hide;
        scene.tip.visible = !hide;
        scene.trail.visible = !hide;
        const out: number[] = [];
        for (let k = 0; k < 20 + n; k++) {
          const start = scene.stats.renderMs.length;
          scene.draw(true);
          if (k >= 20) out.push(scene.stats.renderMs[start] ?? NaN);
        }
        scene.finishForTiming = false;
        scene.twinGroup.visible = scene.zoneGroup.visible = scene.tip.visible = scene.trail.visible = true;
        return out;
      },
      [FRAMES, hideTwin] as const,
    );
  const twinFrames = stats(await timeFrames(false));
  const emptyFrames = stats(await timeFrames(true));

  // The response map in the browser, TypeScript vs gpu.js on WebGL, on the demo surface and 16× denser.
  const field = async (backend: string, copies: number): Promise<{ medianMs: number; vertices: number; sites: number }> =>
    page.evaluate(([b, c]) => (window as any).twinguideDisplay.view.measureField(b, 7, c), [backend, copies] as const);
  const fieldRows = [];
  for (const copies of [1, 16]) {
    const ts = await field('ts', copies);
    const gpu = await field('gpu', copies);
    fieldRows.push({ vertices: ts.vertices, sites: ts.sites, tsMs: ts.medianMs, gpuMs: gpu.medianMs });
  }
  const renderer = await page.evaluate(() => {
    const gl = (window as any).twinguideDisplay.view.scene.renderer.getContext() as WebGL2RenderingContext;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    return info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : String(gl.getParameter(gl.RENDERER));
  });

  // The stale banner: from the last sample a feed sends to the banner on a display, 5 times; the
  // baseline is the configured feedStaleAfterS (what the banner cannot beat). A test only asserts
  // that the banner comes; how fast is this figure.
  const staleMs: number[] = [];
  for (let k = 0; k < 5; k++) {
    const created = (await (await fetch(`${base}/api/procedures`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ twinId: 'demo', source: 'eam' }) })).json()) as { id: string };
    await fetch(`${base}/api/procedures/${created.id}/registration`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ method: 'identity' }) });
    const stalePage = await browser.newPage({ viewport: { width: 1280, height: 720 } });
    await stalePage.goto(`${base}/?procedure=${created.id}`);
    await stalePage.waitForFunction(() => (window as any).twinguideDisplay?.view.field !== null, undefined, { timeout: 30_000 });
    const socket = new WebSocket(`${base.replace('http', 'ws')}/ws/feed?procedure=${created.id}`);
    await new Promise((r) => socket.once('open', r));
    for (let i = 0; i < 150; i++) {
      socket.send(encodeMessage({ type: 'tip', seq: i, t: i * 0.01, p: [0, 0, 0], quality: 'ok' }));
      await new Promise((r) => setTimeout(r, 10));
    }
    const lastAt = Date.now();
    await stalePage.waitForFunction(() => document.getElementById('banner')!.className === 'stale', undefined, { timeout: 10_000, polling: 10 });
    staleMs.push(Date.now() - lastAt);
    socket.close();
    await stalePage.close();
  }
  const staleStats = stats(staleMs);

  const f = (x: number): string => x.toFixed(2).padStart(7);
  console.log(`\nDisplay in headless Chromium (${renderer}), 1920×1080, demo twin, ${FRAMES} frames each`);
  console.log(`  frame, twin scene   p50 ${f(twinFrames.p50)} ms  p99 ${f(twinFrames.p99)} ms  mean ${f(twinFrames.mean)} ms`);
  console.log(`  frame, empty scene  p50 ${f(emptyFrames.p50)} ms  p99 ${f(emptyFrames.p99)} ms  (baseline: clear and present only)`);
  console.log(`  twin / empty        ×${(twinFrames.p50 / emptyFrames.p50).toFixed(2)} at p50`);
  const perS = (n: number): string => (n / redraws.seconds).toFixed(0);
  console.log(`  while the demo runs: ${perS(redraws.messages)} messages/s in, ${perS(redraws.frames)} redraws/s, ${perS(redraws.animationFrames)} animation frames/s offered`);
  console.log(`  stale banner after the last sample: p50 ${staleStats.p50.toFixed(0)} ms, worst ${Math.max(...staleMs).toFixed(0)} ms of 5 (threshold feedStaleAfterS ${(DEFAULT_LIMITS.feedStaleAfterS * 1000).toFixed(0)} ms; ×${(staleStats.p50 / (DEFAULT_LIMITS.feedStaleAfterS * 1000)).toFixed(2)})`);
  for (const r of fieldRows) console.log(`  response map ${String(r.vertices).padStart(6)} vertices × ${r.sites} sites: TypeScript ${f(r.tsMs)} ms, gpu.js (WebGL) ${f(r.gpuMs)} ms, ×${(r.gpuMs / r.tsMs).toFixed(2)}`);
  printJson('display-frame', {
    renderer,
    frameP50Ms: +twinFrames.p50.toFixed(2),
    frameP99Ms: +twinFrames.p99.toFixed(2),
    emptyFrameP50Ms: +emptyFrames.p50.toFixed(2),
    twinOverEmpty: +(twinFrames.p50 / emptyFrames.p50).toFixed(2),
    redrawsPerS: +(redraws.frames / redraws.seconds).toFixed(1),
    messagesPerS: +(redraws.messages / redraws.seconds).toFixed(1),
    animationFramesPerS: +(redraws.animationFrames / redraws.seconds).toFixed(1),
    fieldDemoTsMs: +fieldRows[0]!.tsMs.toFixed(2),
    fieldDemoGpuMs: +fieldRows[0]!.gpuMs.toFixed(2),
    fieldDenseVertices: fieldRows[1]!.vertices,
    fieldDenseTsMs: +fieldRows[1]!.tsMs.toFixed(2),
    fieldDenseGpuMs: +fieldRows[1]!.gpuMs.toFixed(2),
    staleBannerP50Ms: Math.round(staleStats.p50),
    staleBannerWorstMs: Math.round(Math.max(...staleMs)),
    staleThresholdMs: DEFAULT_LIMITS.feedStaleAfterS * 1000,
  });
} finally {
  await browser.close();
  await server.stop();
  rmSync(recordings, { recursive: true, force: true });
}
