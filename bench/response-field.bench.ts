// The display's surface response map (client/src/common/response-field.ts): the plain TypeScript
// sum against the same sum as a gpu.js kernel, in Node (gpu.js in CPU mode: no GPU here, and its
// headless-GL backend is not built) for the demo twin and a dense 100k-vertex surface. The browser
// figures (gpu.js on WebGL through SwiftShader) come from bench/display-frame.bench.ts.
import { readFileSync } from 'node:fs';
import { GPU } from 'gpu.js';
import { fieldInputFor, responseFieldGpu, responseFieldTs, type FieldInput, type GpuLike } from '../client/src/common/response-field.ts';
import { twinView } from '../client/src/common/twin-view.ts';
import { measure, printJson, printTable } from './harness.ts';

const demo = twinView(JSON.parse(readFileSync(new URL('../data/twins/demo.twin.json', import.meta.url), 'utf8')));
const demoInput = fieldInputFor(demo.epi.positions, demo.sites);

/** A denser surface: the demo's vertices jittered into 100k points, with 1000 sites. */
function dense(vertices: number, sites: number): FieldInput {
  let seed = 7;
  const rand = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) - 0.5;
  const v = new Float32Array(vertices * 3);
  for (let i = 0; i < vertices; i++) {
    const k = i % (demo.epi.positions.length / 3);
    for (let c = 0; c < 3; c++) v[i * 3 + c] = demo.epi.positions[k * 3 + c]! + rand() * 4;
  }
  const s = Array.from({ length: sites }, (_, j) => {
    const site = demo.sites[j % demo.sites.length]!;
    return { position: site.position.map((x) => x + rand() * 6), p: Math.min(1, Math.max(0, site.p + rand() * 0.1)) };
  });
  return fieldInputFor(v, s);
}

const gpu = new GPU({ mode: 'cpu' }) as unknown as GpuLike;
const agree = (a: Float32Array, b: Float32Array): number => a.reduce((m, x, i) => Math.max(m, Math.abs(x - b[i]!)), 0);
const denseInput = dense(100_000, 1000);
const cases = [
  { name: `demo twin (${demoInput.vertices.length / 3} vertices × ${demoInput.p.length} sites)`, input: demoInput },
  { name: `dense (${denseInput.vertices.length / 3} vertices × ${denseInput.p.length} sites)`, input: denseInput },
];
const figures: Record<string, number> = {};
for (const c of cases) {
  const maxDiff = agree(responseFieldTs(c.input), responseFieldGpu(gpu, c.input));
  const out = new Float32Array(c.input.vertices.length / 3);
  const rows = [
    measure('TypeScript (baseline)', () => responseFieldTs(c.input, out), { batch: 1, minMs: 1500, minRounds: 3 }),
    measure('gpu.js, CPU mode (kernel built per call, as the display does)', () => responseFieldGpu(gpu, c.input), { batch: 1, minMs: 1500, minRounds: 3 }),
  ];
  printTable(`Response map: ${c.name}; gpu.js agrees within ${maxDiff.toExponential(1)}`, rows, rows[0]);
  const key = c === cases[0] ? 'demo' : 'dense';
  figures[`${key}TsMs`] = +(rows[0]!.nsPerOp / 1e6).toFixed(2);
  figures[`${key}GpuCpuMs`] = +(rows[1]!.nsPerOp / 1e6).toFixed(2);
  figures[`${key}GpuOverTs`] = +(rows[1]!.nsPerOp / rows[0]!.nsPerOp).toFixed(2);
  figures[`${key}MaxDiff`] = maxDiff;
}
printJson('response-field', figures);
