// The precomputed response map must give what running the ONNX model per sample gives.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ResponseEvaluator, type ResponseValue } from '../../server/pipeline/response-evaluator.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';

let twin: Twin;
beforeAll(async () => {
  twin = await loadTwinFile(fileURLToPath(new URL('../../data/twins/demo.twin.json', import.meta.url)));
});
afterAll(async () => twin.close());

describe('ResponseMap', () => {
  it('is built on load and agrees with a per-sample model run within 1e-3 at 300 positions between sites', async () => {
    expect(twin.responseMap).not.toBeNull();
    const mapped = new ResponseEvaluator(twin);
    const direct = new ResponseEvaluator({ ...twin, responseMap: null });
    let seed = 5;
    const next = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    let compared = 0;
    let modelled = 0;
    let worst = 0;
    for (let k = 0; k < 300; k++) {
      const branch = Math.floor(next() * twin.veins.branches.length);
      const list = twin.sites.byBranch[branch];
      if (!list || list.length < 2) continue;
      const a = twin.sites.arcLengthMm[list[0]!]!, b = twin.sites.arcLengthMm[list[list.length - 1]!]!;
      const arc = a + next() * (b - a);
      const fromMap: ResponseValue = { p: 0, source: 'interpolated' };
      expect(mapped.evaluateSync(branch, arc, fromMap)).toBe(false); // never waits on the model
      const fromModel = await direct.evaluate(branch, arc, { p: 0, source: 'interpolated' });
      expect(fromMap.source).toBe(fromModel.source);
      if (fromMap.source === 'model') modelled++;
      worst = Math.max(worst, Math.abs(fromMap.p - fromModel.p));
      compared++;
    }
    expect(compared).toBeGreaterThan(100);
    expect(modelled).toBeGreaterThan(50); // most positions fall between sites, where the model answers
    expect(worst).toBeLessThan(1e-3);
  });
});
