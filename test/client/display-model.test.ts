// The display's pure pieces, in Node: the twin as the scene draws it, the surface response map
// (TypeScript and gpu.js agree), the C-arm camera presets, and the replay page's recording reader.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { GPU } from 'gpu.js';
import { afterAll, describe, expect, it } from 'vitest';
import type { TwinBundle } from '../../protocol/index.ts';
import { cividis } from '../../client/src/common/colours.ts';
import { fieldInputFor, NO_VALUE, responseFieldGpu, responseFieldTs, type GpuLike } from '../../client/src/common/response-field.ts';
import { branchValueAt, twinView } from '../../client/src/common/twin-view.ts';
import { carmPose, PRESETS, rotationOf } from '../../client/src/scene/camera-presets.ts';
import { indexAt, readTimeline } from '../../client/src/replay/recording-timeline.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const demo = JSON.parse(readFileSync(join(ROOT, 'data/twins/demo.twin.json'), 'utf8')) as TwinBundle;
const mini = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/mini.twin.json'), 'utf8')) as TwinBundle;
const scratch = mkdtempSync(join(tmpdir(), 'twinguide-client-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('twinView', () => {
  it('gives every branch node the arc length from the ostium that the server’s twin loader computes', async () => {
    const view = twinView(demo);
    const twin = await loadTwinFile(join(ROOT, 'data/twins/demo.twin.json'), { loadModel: false });
    try {
      expect(view.branches.map((b) => b.id)).toEqual(demo.veins.branches.map((b) => b.id));
      for (const b of view.branches) {
        b.nodes.forEach((i, k) => expect(b.arcMm[k]!).toBeCloseTo(twin.veins.arcLengthMm[i]!, 3));
        for (let k = 1; k < b.sites.length; k++) expect(b.sites[k]!.arcLengthMm).toBeGreaterThan(b.sites[k - 1]!.arcLengthMm);
      }
      expect(view.sites).toHaveLength(demo.sites.length);
    } finally {
      await twin.close();
    }
  });

  it('interpolates p linearly between sites and takes accessibility from the nearest site', () => {
    const view = twinView(mini);
    const branch = view.branches.find((b) => b.sites.length >= 2)!;
    const [a, b] = branch.sites as [typeof branch.sites[0], typeof branch.sites[0]];
    expect(branchValueAt(branch, a.arcLengthMm).p).toBeCloseTo(a.p, 9);
    const mid = branchValueAt(branch, (a.arcLengthMm + b.arcLengthMm) / 2);
    expect(mid.p).toBeCloseTo((a.p + b.p) / 2, 9);
    expect(branchValueAt(branch, a.arcLengthMm + 0.1 * (b.arcLengthMm - a.arcLengthMm)).nearest).toBe(a);
    expect(branchValueAt(branch, -5).p).toBe(a.p);
  });
});

describe('the surface response map', () => {
  const view = twinView(demo);
  const input = fieldInputFor(view.epi.positions, view.sites);

  it('is a weighted mean of nearby sites: within the sites’ range, and NO_VALUE where no site is within reach', () => {
    const field = responseFieldTs(input);
    const ps = view.sites.map((s) => s.p);
    let valued = 0;
    for (const v of field) {
      if (v === NO_VALUE) continue;
      valued++;
      expect(v).toBeGreaterThanOrEqual(Math.min(...ps) - 1e-6);
      expect(v).toBeLessThanOrEqual(Math.max(...ps) + 1e-6);
    }
    expect(valued).toBeGreaterThan(field.length / 4);
    expect(valued).toBeLessThan(field.length); // the apex and septum are far from every vein
    // At a site's own position, with one lone site, the map is exactly that site's p.
    const one = responseFieldTs(fieldInputFor(Float32Array.from(view.sites[0]!.position), [view.sites[0]!]));
    expect(one[0]).toBeCloseTo(view.sites[0]!.p, 6);
    const far = responseFieldTs(fieldInputFor(Float32Array.from([1000, 1000, 1000]), view.sites));
    expect(far[0]).toBe(NO_VALUE);
  });

  it('gives the same map from the gpu.js kernel (CPU mode here) as from TypeScript', () => {
    const gpu = new GPU({ mode: 'cpu' }) as unknown as GpuLike;
    const a = responseFieldTs(input);
    const b = responseFieldGpu(gpu, input);
    expect(b.length).toBe(a.length);
    let worst = 0;
    for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-5);
  });

  it('colours p with cividis: dark blue at 0, yellow at 1, monotonic in lightness', () => {
    const lum = (p: number): number => {
      const [r, g, b] = cividis(p);
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    for (let p = 0.05; p <= 1; p += 0.05) expect(lum(p)).toBeGreaterThan(lum(p - 0.05));
    expect(cividis(1)[0]).toBeGreaterThan(0.9);
    expect(cividis(0)[2]).toBeGreaterThan(cividis(0)[0]);
  });
});

describe('C-arm camera presets', () => {
  const close = (a: readonly number[], b: readonly number[]): void => a.forEach((x, i) => expect(x).toBeCloseTo(b[i]!, 9));
  it('puts the camera on the detector side: AP looks from anterior with superior up, LAO from the left-anterior', () => {
    const ap = carmPose(PRESETS.find((p) => p.name === 'ap')!.angles);
    close(ap.towardCamera, [0, -1, 0]); // LPS: anterior is −y
    close(ap.up, [0, 0, 1]);
    const lao = carmPose({ alpha: 30, beta: 0 });
    close(lao.towardCamera, [Math.sin(Math.PI / 6), -Math.cos(Math.PI / 6), 0]);
    const rao = carmPose({ alpha: -30, beta: 0 });
    expect(rao.towardCamera[0]).toBeLessThan(0); // toward the patient's right
    const caudal = carmPose(PRESETS.find((p) => p.name === 'lao40caud')!.angles);
    expect(caudal.towardCamera[2]).toBeLessThan(0); // tilted toward the feet
    expect(caudal.up[0] * caudal.towardCamera[0] + caudal.up[1] * caudal.towardCamera[1] + caudal.up[2] * caudal.towardCamera[2]).toBeCloseTo(0, 9);
  });

  it('rotates the view into the twin with the registration (C-arm frame → twin)', () => {
    // 90° about z: x → y.
    const rotation = rotationOf([0, -1, 0, 5, 1, 0, 0, 6, 0, 0, 1, 7, 0, 0, 0, 1])!;
    close(carmPose({ alpha: 90, beta: 0 }, rotation).towardCamera, [0, 1, 0]);
  });
});

describe('the replay page’s recording reader', () => {
  const file = join(scratch, 'reach.mcap');
  execFileSync(process.execPath, [join(ROOT, 'bin/twinguide.js'), 'simulate', '--twin', join(ROOT, 'data/twins/demo.twin.json'), '--scenario', 'reach-lateral-zone', '--seed', '3', '--to', file], { stdio: 'pipe' });

  it('reads the guidance on its time axis, with the zone entries, from a complete recording', () => {
    const t = readTimeline(new Uint8Array(readFileSync(file)));
    expect(t.complete).toBe(true);
    expect(t.meta.twinId).toBe('demo');
    const guidance = t.messages.filter((m) => m.message.type === 'guidance');
    expect(guidance.length).toBeGreaterThan(1000);
    for (let i = 1; i < t.messages.length; i++) expect(t.messages[i]!.atMs).toBeGreaterThanOrEqual(t.messages[i - 1]!.atMs);
    expect(t.durationMs).toBeGreaterThan(20_000);
    // The scenario reaches the lateral zone once; the zone hysteresis keeps that one entry.
    expect(t.zoneEntriesMs).toHaveLength(1);
    const entry = indexAt(t.messages, t.zoneEntriesMs[0]!);
    expect(t.messages[entry]!.message.type === 'guidance' && t.messages[entry]!.message.zone.state).toBe('in');
    expect(t.transform).toHaveLength(16);
    expect(indexAt(t.messages, -1)).toBe(-1);
    expect(indexAt(t.messages, 1e12)).toBe(t.messages.length - 1);
  });

  it('recovers what a crash left: a file cut mid-way reads up to the tear', () => {
    const bytes = readFileSync(file);
    const cut = join(scratch, 'cut.mcap');
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const t = readTimeline(new Uint8Array(readFileSync(cut)));
    expect(t.complete).toBe(false);
    expect(t.messages.length).toBeGreaterThan(100);
    expect(t.messages.length).toBeLessThan(readTimeline(new Uint8Array(bytes)).messages.length);
  });

  it('refuses a file that is not a twinguide recording', () => {
    expect(() => readTimeline(new TextEncoder().encode('not an mcap file at all'))).toThrow(/not a twinguide recording/);
  });
});

describe('the banner', () => {
  it('a procedure whose guidance failed dominates, even over a feed the last status called live', async () => {
    const { banner, isLive } = await import('../../client/src/display/guidance-panel.ts');
    const state = { link: 'open' as const, feed: 'live' as const, rateHz: 100, registration: { state: 'landmarks' as const }, guidance: null, silent: false, branchNames: {}, procedure: 'p', twinId: 'demo', linkMs: 1, failed: null as string | null, measurements: [] };
    expect(banner(state).kind).toBe('');
    state.failed = 'guidance pipeline failed: Error: boom';
    expect(banner(state)).toEqual({ kind: 'lost', text: 'GUIDANCE FAILED FOR THIS PROCEDURE — NO LIVE GUIDANCE' });
    expect(isLive(state)).toBe(false);
  });

  it('says NO UPDATES once a live feed has had no message for the watchdog, and only then', async () => {
    const { banner, isSilent, WATCHDOG_MS } = await import('../../client/src/display/guidance-panel.ts');
    const state = { link: 'open' as const, feed: 'live' as 'live' | 'stale' | 'lost', rateHz: 100, registration: { state: 'landmarks' as const }, guidance: null, silent: false, branchNames: {}, procedure: 'p', twinId: 'demo', linkMs: 1, failed: null, measurements: [] };
    expect(isSilent(state, WATCHDOG_MS - 1)).toBe(false);
    expect(isSilent(state, WATCHDOG_MS + 1)).toBe(true);
    // A feed the server already called stale or lost says so itself (a plainer banner than silence).
    state.feed = 'stale';
    expect(isSilent(state, 10 * WATCHDOG_MS)).toBe(false);
    state.feed = 'live';
    state.silent = true;
    expect(banner(state)).toEqual({ kind: 'silent', text: 'NO UPDATES FROM SERVER — GUIDANCE ON HOLD' });
    // Shorter than a takeover's whole gap (a lease of 700 ms and the rebuild after it).
    expect(WATCHDOG_MS).toBeLessThan(700);
  });

  it('a slow feed (fluoroscopy at 4 frames/s) is not silent between its frames, nor at one dropped frame', async () => {
    const { isSilent, watchdogMs, WATCHDOG_MS } = await import('../../client/src/display/guidance-panel.ts');
    const state = { link: 'open' as const, feed: 'live' as const, rateHz: 4 };
    expect(watchdogMs(100)).toBe(WATCHDOG_MS);
    expect(watchdogMs(15)).toBe(WATCHDOG_MS);
    expect(isSilent(state, 250 + 1)).toBe(false);
    expect(isSilent(state, 2 * 250 + 1)).toBe(false);
    // The server calls it stale after 2.5 of its intervals (625 ms); silence is that and the link's grace.
    expect(isSilent(state, 625 + 250 - 1)).toBe(false);
    expect(isSilent(state, 625 + 250 + 1)).toBe(true);
  });
});
