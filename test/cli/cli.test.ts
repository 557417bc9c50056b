import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseSeeds } from '../../cli/bench-accuracy.ts';
import { COMMANDS, main } from '../../cli/main.ts';
import type { TwinSummary } from '../../server/twin/twin-summary.ts';
import { readSurfaceFile } from '../../simulators/twin/surface-files.ts';
import { formatAccuracy, type AccuracyReport } from '../../simulators/device/accuracy.ts';
import { MINI_TWIN_PATH, makeMiniTwin } from '../fixtures/make-mini-twin.ts';
import { asciiStl, asciiVtk, binaryStl } from '../helpers/surface-writers.ts';

const BIN = fileURLToPath(new URL('../../bin/twinguide.js', import.meta.url));
const run = promisify(execFile);
const dir = mkdtempSync(join(tmpdir(), 'twinguide-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the real command (as `npx twinguide` does) and returns exit code and output. */
async function twinguide(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout: string; stderr: string };
    return { code: typeof err.code === 'number' ? err.code : -1, stdout: err.stdout, stderr: err.stderr };
  }
}

async function inProcess(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { out: (t) => { out += `${t}\n`; }, err: (t) => { err += `${t}\n`; } });
  return { code, out, err };
}

describe('twinguide bench accuracy --seeds', () => {
  it('takes a named set or seeds one by one, and refuses anything else with TG_ERR_USAGE', () => {
    expect(parseSeeds(undefined)).toBeUndefined();
    expect(parseSeeds('validation')).toBe('validation');
    expect(parseSeeds('training')).toBe('training');
    expect(parseSeeds('5,7,9')).toEqual([5, 7, 9]);
    expect(parseSeeds('0')).toEqual([0]);
    for (const bad of ['', 'valid', '7,,9', '7,7', '-1', '1.5', ' 7', `${2 ** 31}`, Array.from({ length: 33 }, (_, i) => i).join(',')]) {
      expect(() => parseSeeds(bad), bad).toThrow(/TG_ERR_USAGE|--seeds/);
    }
  });

  it('runs the seeds it is given and says which in its JSON', async () => {
    const { code, out } = await inProcess('bench', 'accuracy', '--seeds', '7', '--conditions', 'clean', '--json');
    expect(code).toBe(0);
    const report = JSON.parse(out) as { seeds: { set: string; seeds: number[] }; description: string; conditions: Record<string, unknown> };
    expect(report.seeds).toEqual({ set: 'list', seeds: [7] });
    expect(Object.keys(report.conditions)).toEqual(['clean']);
    expect(report.description).toContain('seeds 7;');
    // The table reports the calibration of every confidence band, pooled, as the JSON has it.
    const table = formatAccuracy(report as unknown as AccuracyReport);
    const eam = (report as unknown as AccuracyReport).eam;
    const line = table.split('\n').find((l) => l.trimStart().startsWith('EAM '))!;
    expect(line).toBeDefined();
    for (const b of eam.calibration) {
      expect(line).toContain(`${b.from}–${b.to}: ${((100 * b.samples) / eam.samples).toFixed(1)} % of samples`);
      if (b.samples > 0) expect(line).toContain(`${(100 * b.right).toFixed(2)} % right`);
    }
    expect(eam.calibration.reduce((n, b) => n + b.samples, 0)).toBe(eam.samples);
  }, 120_000);
});

describe('twinguide twin info', () => {
  it('prints counts, branches with lengths, sites, accessible sites and target zones as JSON', async () => {
    const { code, stdout } = await twinguide('twin', 'info', MINI_TWIN_PATH, '--json');
    expect(code).toBe(0);
    const info = JSON.parse(stdout) as TwinSummary;
    expect(info.id).toBe('mini');
    expect(info.counts).toMatchObject({ veinNodes: 24, branches: 4, sites: 24, accessibleSites: 19, targetZones: 1 });
    expect(info.branches.find((b) => b.id === 'lat')).toMatchObject({ lengthMm: 60, sites: 6, accessibleSites: 5 });
    expect(info.targetZones).toEqual([expect.objectContaining({ id: 'lat#1', branch: 'lat', startArcMm: 83.33, endArcMm: 110 })]);
    expect(info.model?.checkedSites).toBe(24);
  });

  it('prints a readable table by default', async () => {
    const { code, out } = await inProcess('twin', 'info', MINI_TWIN_PATH);
    expect(code).toBe(0);
    expect(out).toContain('lateral marginal vein: 83.33 → 110 mm from the ostium');
    expect(out).toContain('ILLUSTRATIVE model');
  });

  it('says plainly when a twin has no accessible responder site', async () => {
    const bundle = makeMiniTwin();
    for (const s of bundle.sites) if (s.accessible) s.p = Math.min(s.p, 0.4);
    const path = join(dir, 'none.twin.json');
    writeFileSync(path, JSON.stringify(bundle));
    const { code, out } = await inProcess('twin', 'info', path, '--no-model');
    expect(code).toBe(0);
    expect(out).toContain('NONE — this twin has no accessible predicted-responder site');
  });
});

describe('twinguide twin validate', () => {
  it('exits 0 on a valid twin', async () => {
    const { code, stdout } = await twinguide('twin', 'validate', MINI_TWIN_PATH);
    expect(code).toBe(0);
    expect(stdout).toContain('valid:');
  });

  it('exits 1 on an invalid twin, naming the code and the JSON path', async () => {
    const bundle = makeMiniTwin();
    bundle.veins.edges.push([4, 10]);
    const path = join(dir, 'bad.twin.json');
    writeFileSync(path, JSON.stringify(bundle));
    const { code, stderr } = await twinguide('twin', 'validate', path);
    expect(code).toBe(1);
    expect(stderr).toMatch(/TG_ERR_TWIN_TREE: node 10 has two parents .* \(at \/veins\/edges\/23\)/);
    const json = await inProcess('twin', 'validate', path, '--json');
    expect(json.code).toBe(1);
    expect(JSON.parse(json.out)).toMatchObject({ valid: false, code: 'TG_ERR_TWIN_TREE', path: '/veins/edges/23' });
  });
});

describe('twinguide twin build', () => {
  it('builds from a directory of STL surfaces, and the result passes twin validate', async () => {
    const surfaces = join(dir, 'stl-heart');
    mkdirSync(surfaces);
    const anatomy = fileURLToPath(new URL('../../data/anatomy/bivme-patient1', import.meta.url));
    writeFileSync(join(surfaces, 'epi.stl'), binaryStl(readSurfaceFile(join(anatomy, 'epi.json'))));
    writeFileSync(join(surfaces, 'lv_endo.stl'), asciiStl(readSurfaceFile(join(anatomy, 'lv_endo.json'))));
    writeFileSync(join(surfaces, 'rv_endo.vtk'), asciiVtk(readSurfaceFile(join(anatomy, 'rv_endo.json')), 'classic'));
    const out = join(dir, 'x.twin.json');
    const built = await twinguide('twin', 'build', '--surfaces', surfaces, '--seed', '7', '--out', out);
    expect(built.code).toBe(0);
    expect(built.stdout).toMatch(/wrote .*x\.twin\.json: twin stl-heart-seed7, \d+ branches/);
    expect(built.stderr).toContain('[4/6] vein tree');
    const valid = await twinguide('twin', 'validate', out);
    expect(valid.code).toBe(0);
  });

  it('refuses a directory without an epicardium and bad options', async () => {
    const empty = join(dir, 'empty');
    mkdirSync(empty);
    const r = await inProcess('twin', 'build', '--surfaces', empty, '--seed', '1', '--out', join(dir, 'y.twin.json'));
    expect(r.code).toBe(1);
    expect(r.err).toContain('TG_ERR_SURFACE');
    expect((await inProcess('twin', 'build', '--surfaces', empty, '--seed', 'x', '--out', 'y')).code).toBe(2);
    expect((await inProcess('twin', 'build', '--seed', '1', '--out', 'y')).err).toContain('give --surfaces DIR or --epi FILE');
  });
});

describe('usage', () => {
  it.each(COMMANDS.map((c) => c.name))('%s --help prints its usage and exits 0', async (name) => {
    const { code, out } = await inProcess(...name.split(' '), '--help');
    expect(code).toBe(0);
    expect(out).toContain(`Usage: twinguide ${name}`);
  });

  it('twinguide --help lists every command', async () => {
    const { code, out } = await inProcess('--help');
    expect(code).toBe(0);
    for (const c of COMMANDS) expect(out).toContain(c.name);
  });

  it('exits 2 with TG_ERR_USAGE on unknown commands, options and missing arguments', async () => {
    expect((await inProcess('frobnicate')).code).toBe(2);
    const unknownOption = await inProcess('twin', 'info', MINI_TWIN_PATH, '--colour');
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.err).toContain('TG_ERR_USAGE');
    expect((await inProcess('twin', 'validate')).code).toBe(2);
  });
});
