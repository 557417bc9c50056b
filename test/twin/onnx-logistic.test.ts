// The ONNX model built in code must run in onnxruntime-node and agree with the plain formula.
import * as ort from 'onnxruntime-node';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { buildLogisticOnnx, logisticP, solveFeatureForP, type LogisticModelSpec } from '../../simulators/twin/onnx-logistic.ts';

const spec: LogisticModelSpec = { featureNames: ['a', 'b', 'c'], mean: [0.5, 1, -2], scale: [0.25, 2, 1], weights: [1.5, -0.7, 0.3], bias: 0.2, doc: 'test' };

describe('buildLogisticOnnx', () => {
  it('gives the same p as the formula for any features (property)', async () => {
    const session = await ort.InferenceSession.create(buildLogisticOnnx(spec));
    try {
      expect(session.inputNames).toEqual(['features']);
      expect(session.outputNames).toEqual(['p']);
      const rows = fc.sample(fc.array(fc.double({ min: -5, max: 5, noNaN: true }), { minLength: 3, maxLength: 3 }), { numRuns: 200, seed: 7 });
      const out = await session.run({ features: new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, 3]) });
      expect(out['p']!.dims).toEqual([rows.length, 1]);
      const p = out['p']!.data as Float32Array;
      rows.forEach((row, i) => expect(Math.abs(p[i]! - logisticP(spec, row))).toBeLessThan(1e-6));
    } finally {
      await session.release();
    }
  });

  it('solves a feature for a wanted p', () => {
    const x = solveFeatureForP(spec, [0, 2, -1], 0, 0.73);
    expect(logisticP(spec, [x, 2, -1])).toBeCloseTo(0.73, 6);
  });

  it('refuses mismatched parameter lengths and non-positive scales', () => {
    expect(() => buildLogisticOnnx({ ...spec, weights: [1, 2] })).toThrow(/weights/);
    expect(() => buildLogisticOnnx({ ...spec, scale: [1, 0, 1] })).toThrow(/scale/);
  });
});
