// The procedure report: from a simulated recording through `twinguide report` (timeline against
// the recording itself, accuracy against `bench accuracy --recording`, the PDF read back with
// poppler and its pictures looked at), the finding up front for a twin without a responder site,
// and from a live procedure with measurements over REST.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../cli/main.ts';
import type { Guidance } from '../../protocol/index.ts';
import { loadRecording } from '../../server/recording/procedure-recording.ts';
import { clock } from '../../server/report/report-html.ts';
import { CS_ENTRY_MM } from '../../server/report/report-model.ts';
import { chromiumAvailable } from '../../server/report/chromium.ts';
import { placeOnBranch, route } from '../../simulators/device/tree-route.ts';
import { encodeMessage } from '../../protocol/index.ts';
import { pause, startLiveServer } from '../helpers/live-server.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'twinguide-report-'));
const browser = chromiumAvailable();
const poppler = (() => { try { execFileSync('pdftotext', ['-v'], { stdio: 'pipe' }); return true; } catch { return false; } })();
if (process.env['TG_REQUIRE_BROWSER'] === '1' && (!browser || !poppler)) throw new Error('TG_REQUIRE_BROWSER=1 but Chromium or poppler-utils is missing');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '', err = '';
  const code = await main(args, { out: (s) => (out += `${s}\n`), err: (s) => (err += `${s}\n`) });
  return { code, out, err };
}

/** The pixels of a PDF page (poppler renders it) as RGB, and a count of those near a colour. */
function pagePixels(pdf: string, page: number): { width: number; height: number; rgb: Buffer } {
  const ppm = execFileSync('pdftoppm', ['-r', '100', '-f', String(page), '-l', String(page), pdf], { maxBuffer: 64 * 1024 * 1024 });
  // P6 header: "P6\n<w> <h>\n255\n" then raw RGB.
  const header = ppm.subarray(0, 40).toString('latin1').split(/\s+/);
  const [width, height] = [Number(header[1]), Number(header[2])];
  return { width, height, rgb: ppm.subarray(ppm.length - width * height * 3) };
}
function near(rgb: Buffer, hex: string, tolerance = 40): number {
  const c = [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
  let n = 0;
  for (let i = 0; i < rgb.length; i += 3) if (Math.abs(rgb[i]! - c[0]!) + Math.abs(rgb[i + 1]! - c[1]!) + Math.abs(rgb[i + 2]! - c[2]!) < tolerance) n++;
  return n;
}

describe('the procedure report', () => {
  const recording = join(dir, 'reach.mcap');
  beforeAll(async () => {
    expect((await cli(['simulate', '--twin', join(ROOT, 'data/twins/demo.twin.json'), '--scenario', 'reach-lateral-zone', '--seed', '5', '--to', recording])).code).toBe(0);
  });

  it('HTML: the timeline is the recording\'s, and the accuracy section is what bench accuracy says of the same recording', async () => {
    const html = join(dir, 'reach.html');
    const run = await cli(['report', recording, '--out', html]);
    expect(run.code).toBe(0);
    const text = readFileSync(html, 'utf8');
    // The timeline, recomputed here from the recording itself.
    const rec = await loadRecording(recording);
    const guidance = rec.outputs.filter((m): m is Guidance => m.type === 'guidance');
    const first = rec.inputs.find((i) => i.kind === 'sample')!;
    const t0 = first.kind === 'sample' ? first.sample.t : 0;
    const zone = guidance.find((g) => g.zone.state === 'in')!;
    const cs = guidance.find((g) => g.tip.arcLengthMm >= CS_ENTRY_MM && g.tip.confidence >= 0.35)!;
    expect(text).toContain(`<td>${clock(zone.t - t0)}</td><td>first target-zone entry</td>`);
    expect(text).toContain(`<td>${clock(cs.t - t0)}</td><td>coronary sinus entered</td>`);
    // The electrodes where the last guidance put them.
    const last = guidance.at(-1)!;
    for (const e of last.lead!.electrodes) expect(text).toContain(`${e.branch!.toUpperCase()}</td><td>${e.arcLengthMm.toFixed(1)} mm</td><td>${e.response.toFixed(2)}</td>`);
    // Accuracy: the same figures as the bench on the same recording.
    const bench = await cli(['bench', 'accuracy', '--recording', recording, '--json']);
    const figures = JSON.parse(bench.out) as { samples: number; branchAccuracy: number; tipErrorMedianMm: number; tipErrorP95Mm: number; zoneAgreement: number; confidentlyWrongRate: number };
    expect(figures.samples).toBeGreaterThan(2000);
    expect(text).toContain(`<td>samples scored</td><td>${figures.samples}</td>`);
    expect(text).toContain(`<td>branch accuracy</td><td>${figures.branchAccuracy.toFixed(4)}</td>`);
    expect(text).toContain(`<td>tip error p95</td><td>${figures.tipErrorP95Mm.toFixed(2)} mm</td>`);
    expect(text).toContain(`<td>zone-state agreement</td><td>${figures.zoneAgreement.toFixed(4)}</td>`);
  });

  it.skipIf(!browser || !poppler)('PDF: opens, its text reads back, and its pictures show the path and the zones', async () => {
    const pdf = join(dir, 'reach.pdf');
    expect((await cli(['report', recording, '--out', pdf])).code).toBe(0);
    expect(readFileSync(pdf).subarray(0, 5).toString()).toBe('%PDF-');
    const text = execFileSync('pdftotext', ['-layout', pdf, '-']).toString();
    expect(text).toContain('CRT lead implant — procedure report');
    expect(text).toContain('sim-reach-lateral-zone-5');
    expect(text).toContain('Generic quadripolar');
    expect(text).toMatch(/first target-zone entry/);
    expect(text).toContain("Accuracy against the simulator's ground truth");
    for (const view of ['AP', 'LAO 30', 'RAO 30', 'LAO 40 CAUD 20']) expect(text).toContain(view);
    // Looking at the pictures: the page that holds them has the path (sky blue) and zones (orange) drawn.
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync('pdfinfo', [pdf]).toString())![1]);
    let path = 0, zone = 0;
    for (let p = 1; p <= pages; p++) {
      const { rgb } = pagePixels(pdf, p);
      path += near(rgb, '#56b4e9');
      zone += near(rgb, '#e69f00');
    }
    console.log(`pictures: ${path} path pixels, ${zone} zone pixels`);
    // (The legend's swatches alone are about 250 pixels of each at this resolution.)
    expect(path).toBeGreaterThan(1000);
    expect(zone).toBeGreaterThan(1000);
  }, 60_000);

  it('with one fluoroscopic view, says how long the view foreshortened the vein and which views were suggested', async () => {
    // The second heart's great cardiac vein runs toward the LAO 30 beam for 50 mm (see view-advice.test.ts).
    const twinFile = join(ROOT, 'data/bench-twins/second-heart.twin.json');
    const single = join(dir, 'single.mcap');
    expect((await cli(['simulate', '--twin', twinFile, '--scenario', 'tour', '--feed', 'fluoro-single', '--seed', '1', '--to', single])).code).toBe(0);
    const html = join(dir, 'single.html');
    expect((await cli(['report', single, '--out', html, '--twin', twinFile])).code).toBe(0);
    const text = readFileSync(html, 'utf8');
    const said = /foreshortened the vein at the tip for <b>([\d.]+) s<\/b> \(([\d.]+) % of the time guided in one view\)/.exec(text);
    expect(said).not.toBeNull();
    // Against the recording: the advice's messages, each standing for the usual interval (15 fps).
    const guidance = (await loadRecording(single)).outputs.filter((m): m is Guidance => m.type === 'guidance');
    const advised = guidance.filter((g) => g.view!.veinShown! < 0.5 || g.view!.sideOn !== undefined).length;
    expect(advised).toBeGreaterThan(30);
    expect(Number(said![1])).toBeGreaterThan(0.8 * advised / 15);
    expect(Number(said![1])).toBeLessThan(1.2 * advised / 15);
    expect(Number(said![2])).toBeCloseTo((100 * advised) / guidance.length, -1);
    expect(text).toMatch(/Views suggested that show the vein side-on: (LAO|RAO|AP)/);
    // An EAM procedure has no such section.
    const eam = join(dir, 'reach.html');
    if (!existsSync(eam)) expect((await cli(['report', recording, '--out', eam])).code).toBe(0);
    expect(readFileSync(eam, 'utf8')).not.toContain('One fluoroscopic view');
  }, 60_000);

  it('says first when the twin has no accessible responder site', async () => {
    const scar = join(dir, 'scar.mcap');
    expect((await cli(['simulate', '--twin', join(ROOT, 'data/twins/demo-scar.twin.json'), '--scenario', 'no-accessible-site', '--to', scar])).code).toBe(0);
    const html = join(dir, 'scar.html');
    expect((await cli(['report', scar, '--out', html, '--twin', join(ROOT, 'data/twins/demo-scar.twin.json')])).code).toBe(0);
    const text = readFileSync(html, 'utf8');
    const finding = text.indexOf('NO ACCESSIBLE RESPONDER SITE IN THIS TWIN');
    expect(finding).toBeGreaterThan(0);
    expect(finding).toBeLessThan(text.indexOf('<h2>'));
  });

  it('from a live procedure over REST: measurements, the ruled-out stretch, HTML and PDF', async () => {
    const live = await startLiveServer();
    try {
      const id = await live.createProcedure();
      const feed = await live.open(`${live.ws}/ws/feed?procedure=${id}`);
      const twin = live.server.twins.get('demo');
      const zone = twin.zones.find((z) => z.branchId === 'lmv1')!;
      const path = route(twin, placeOnBranch(twin, 'cs', 2), placeOnBranch(twin, 'lmv1', zone.startArcMm + 20), 0.1);
      let seq = 0;
      for (const p of [...path, ...Array(200).fill(path.at(-1)!)]) { feed.send(encodeMessage({ type: 'tip', seq, t: seq * 0.01, p: [p.x, p.y, p.z] })); seq++; }
      await pause(300);
      for (const body of [{ electrode: 1, kind: 'qlv', qlvMs: 142 }, { electrode: 2, kind: 'threshold', volts: 0.9, pulseWidthMs: 0.4 }, { electrode: 1, kind: 'phrenic', captured: true, volts: 5 }]) {
        expect((await live.server.app.inject({ method: 'POST', url: `/api/procedures/${id}/measurements`, payload: { type: 'measurement', ...body } })).statusCode).toBe(202);
      }
      await pause(200);
      const html = await live.server.app.inject(`/api/procedures/${id}/report`);
      expect(html.statusCode).toBe(200);
      expect(html.headers['content-type']).toContain('text/html');
      expect(html.body).toContain('<td>QLV</td><td>142 ms</td>');
      expect(html.body).toContain('<td>pacing threshold</td><td>0.9 V at 0.40 ms</td>');
      expect(html.body).toContain('<td>phrenic capture</td><td>CAPTURE at 5.0 V</td>');
      expect(html.body).toContain('predicted QLV');
      expect(html.body).toContain('Stretches ruled out');
      expect(html.body).not.toContain("Accuracy against the simulator's ground truth"); // no truth in a live recording
      if (browser) {
        const pdf = await live.server.app.inject(`/api/procedures/${id}/report?format=pdf`);
        expect(pdf.statusCode).toBe(200);
        expect(pdf.rawPayload.subarray(0, 5).toString()).toBe('%PDF-');
      }
      const bad = await live.server.app.inject(`/api/procedures/${id}/report?format=docx`);
      expect(bad.statusCode).toBe(400);
      feed.close();
    } finally {
      await live.close();
    }
  }, 60_000);
});
