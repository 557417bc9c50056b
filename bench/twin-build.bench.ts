// Twin build time through the real command (`twinguide twin build` + validation), for the biv-me
// heart as shipped (2.5k epicardial vertices) and subdivided to ~10k and ~40k epicardial vertices
// (target: a 20k-vertex heart in under 10 s). Baseline in the same run: reading the surfaces.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readHeartSurfaces } from '../simulators/twin/build-twin.ts';
import { subdivide, type TriangleMesh } from '../simulators/twin/triangle-mesh.ts';
import { printJson } from './harness.ts';

const BIN = fileURLToPath(new URL('../bin/twinguide.js', import.meta.url));
const ANATOMY = fileURLToPath(new URL('../data/anatomy/bivme-patient1', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'twinguide-build-bench-'));
const json = (m: TriangleMesh): string => JSON.stringify({ units: 'mm', vertices: Array.from(m.positions), triangles: Array.from(m.triangles) });

try {
  const base = readHeartSurfaces(ANATOMY);
  const figures: Record<string, number> = {};
  for (const level of [0, 1, 2]) {
    let { epi, lvEndo, rvEndo } = base;
    for (let k = 0; k < level; k++) { epi = subdivide(epi); lvEndo = subdivide(lvEndo!); rvEndo = subdivide(rvEndo!); }
    const surfaces = join(dir, `level${level}`);
    mkdirSync(surfaces);
    writeFileSync(join(surfaces, 'epi.json'), json(epi));
    writeFileSync(join(surfaces, 'lv_endo.json'), json(lvEndo!));
    writeFileSync(join(surfaces, 'rv_endo.json'), json(rvEndo!));
    const vertices = epi.vertexCount + lvEndo!.vertexCount + rvEndo!.vertexCount;
    const t0 = performance.now();
    readHeartSurfaces(surfaces);
    const readMs = performance.now() - t0;
    const t1 = performance.now();
    const out = execFileSync(process.execPath, [BIN, 'twin', 'build', '--surfaces', surfaces, '--seed', '7', '--out', join(dir, `l${level}.twin.json`), '--quiet'], { encoding: 'utf8' });
    const buildMs = performance.now() - t1;
    console.log(`epicardium ${epi.vertexCount} vertices (${vertices} in all surfaces): twin build ${(buildMs / 1000).toFixed(2)} s (reading the surfaces alone ${readMs.toFixed(0)} ms)\n  ${out.trim()}`);
    figures[`epi${epi.vertexCount}BuildS`] = +(buildMs / 1000).toFixed(2);
  }
  printJson('twin-build', figures);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
