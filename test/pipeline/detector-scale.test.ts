// A millimetre of motion is the same to the fluoroscopic motion filters whatever the detector: their
// options are in the pixels of the detector they were tuned on, and another detector's detections
// are filtered in those (compensate-motion.ts, viewScale). The same procedure seen through finer
// pixels and a longer source-to-image distance (1.68 times the pixels per mm at the isocentre, the
// source-to-isocentre distance unchanged so the two images differ by that scale alone) must give
// the same guidance. Before, gated biplane took the catheter's pushes out as a breath there
// (`bench:independent --feed fluoro-biplane`: 2.5–2.9 mm off every other breath).
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { CArmGeometry } from '../../protocol/index.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { conditionDevice } from '../../simulators/device/accuracy.ts';
import { LAO30, RAO30 } from '../../simulators/device/device-simulator.ts';
import { runScenario, type ScenarioRun } from '../../simulators/device/run-scenario.ts';

let twin: Twin;
beforeAll(async () => {
  twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname);
}, 60_000);
afterAll(() => twin.close());

const finer = (g: CArmGeometry): CArmGeometry => ({ ...g, sid: 1200, pixelSpacing: [0.143, 0.143], size: [1400, 1400] });

/** Per guidance message (by seq), how far apart the two runs show the tip (mm), and the runs' own p95 errors. */
function compare(a: ScenarioRun, b: ScenarioRun): { apartP95: number; errorP95: [number, number] } {
  const byseq = new Map(b.guidance.map((g) => [g.seq, g]));
  const apart: number[] = [];
  const errors: [number[], number[]] = [[], []];
  for (const g of a.guidance) {
    const h = byseq.get(g.seq);
    const truth = a.truths.get(g.seq);
    if (!h || !truth) continue;
    apart.push(Math.hypot(g.tip.p[0] - h.tip.p[0], g.tip.p[1] - h.tip.p[1], g.tip.p[2] - h.tip.p[2]));
    errors[0].push(Math.hypot(g.tip.p[0] - truth.p[0], g.tip.p[1] - truth.p[1], g.tip.p[2] - truth.p[2]));
    errors[1].push(Math.hypot(h.tip.p[0] - truth.p[0], h.tip.p[1] - truth.p[1], h.tip.p[2] - truth.p[2]));
  }
  const p95 = (xs: number[]): number => [...xs].sort((x, y) => x - y)[Math.floor(0.95 * (xs.length - 1))]!;
  return { apartP95: p95(apart), errorP95: [p95(errors[0]), p95(errors[1])] };
}

for (const condition of ['gated', 'push-pause'] as const) {
  it(`gives the same biplane guidance through another detector (${condition})`, async () => {
    const device = conditionDevice(condition, 3);
    const reference = await runScenario(twin, 'tour', 'fluoro-biplane', { device });
    const other = await runScenario(twin, 'tour', 'fluoro-biplane', { device: { ...device, views: [finer(LAO30), finer(RAO30)] } });
    expect(other.guidance.length).toBe(reference.guidance.length);
    const { apartP95, errorP95 } = compare(reference, other);
    // The same detections up to the scale: the filters see (nearly) the same numbers.
    expect(apartP95).toBeLessThan(0.05);
    expect(Math.abs(errorP95[1] - errorP95[0])).toBeLessThan(0.05);
  }, 120_000);
}
