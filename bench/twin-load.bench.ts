// Twin load time: the mini fixture, and a generated twin with a 100k-vertex epicardium (target
// ≤ 300 ms), against JSON.parse of the same text measured in the same run.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTwinFile } from '../server/twin/load-twin.ts';
import { ellipsoidMesh } from '../simulators/twin/sphere-mesh.ts';
import { MINI_TWIN_PATH, makeMiniTwin } from '../test/fixtures/make-mini-twin.ts';
import { measureAsync, printJson, printTable } from './harness.ts';

const dir = mkdtempSync(join(tmpdir(), 'twinguide-bench-'));
try {
  const big = makeMiniTwin();
  big.meta.id = 'big';
  const epi = ellipsoidMesh([30, 20, -35], [70, 55, 60], 250, 400);
  const n = epi.vertices.length / 3;
  big.surfaces.epi = {
    ...epi,
    activationMs: Array.from({ length: n }, (_, i) => Math.round(40 + 80 * ((epi.vertices[3 * i]! + 40) / 140))),
    aha: Array.from({ length: n }, (_, i) => 1 + (i % 17)),
  };
  const bigPath = join(dir, 'big.twin.json');
  writeFileSync(bigPath, JSON.stringify(big));
  const bigText = readFileSync(bigPath, 'utf8');
  const miniText = readFileSync(MINI_TWIN_PATH, 'utf8');

  const rows = [
    await measureAsync('mini fixture: loadTwinFile (with ONNX check)', async () => (await loadTwinFile(MINI_TWIN_PATH)).close(), { rounds: 30 }),
    await measureAsync('mini fixture: JSON.parse only (baseline)', async () => JSON.parse(miniText), { rounds: 30 }),
    await measureAsync(`generated ${n} vertices: loadTwinFile (with ONNX check)`, async () => (await loadTwinFile(bigPath)).close(), { rounds: 10 }),
    await measureAsync(`generated ${n} vertices: readFile + JSON.parse only (baseline)`, async () => JSON.parse(readFileSync(bigPath, 'utf8')), { rounds: 10 }),
  ];
  printTable('Twin load', rows);
  console.log(`  generated twin file: ${(Buffer.byteLength(bigText) / 1e6).toFixed(1)} MB, ${n} epicardium vertices, ${epi.triangles.length / 3} triangles`);
  console.log(`  load ÷ JSON.parse: mini ×${(rows[0]!.nsPerOp / rows[1]!.nsPerOp).toFixed(1)}, 100k ×${(rows[2]!.nsPerOp / rows[3]!.nsPerOp).toFixed(2)}`);
  printJson('twin-load', {
    miniLoadMs: +(rows[0]!.nsPerOp / 1e6).toFixed(2),
    bigVertices: n,
    bigLoadMs: +(rows[2]!.nsPerOp / 1e6).toFixed(1),
    bigJsonParseMs: +(rows[3]!.nsPerOp / 1e6).toFixed(1),
    bigLoadOverParse: +(rows[2]!.nsPerOp / rows[3]!.nsPerOp).toFixed(2),
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}
