import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { applyFit, fitRigid, fitToMatrix, type Point3 } from '../../server/geometry/rigid-fit.ts';

function rotationFromQuaternion(q: number[]): number[] {
  const n = Math.hypot(...q);
  const [w, x, y, z] = q.map((v) => v / n) as [number, number, number, number];
  return [w * w + x * x - y * y - z * z, 2 * (x * y - w * z), 2 * (x * z + w * y), 2 * (x * y + w * z), w * w - x * x + y * y - z * z, 2 * (y * z - w * x), 2 * (x * z - w * y), 2 * (y * z + w * x), w * w - x * x - y * y + z * z];
}
const apply = (r: number[], s: number, t: number[], p: Point3): Point3 => [0, 1, 2].map((k) => s * (r[3 * k]! * p[0] + r[3 * k + 1]! * p[1] + r[3 * k + 2]! * p[2]) + t[k]!) as unknown as Point3;
const coord = fc.double({ min: -100, max: 100, noNaN: true });

/** Largest distance of any point from the line through the first point and the farthest from it. */
function offLine(pts: readonly Point3[]): number {
  const a = pts[0]!;
  let b = a;
  for (const p of pts) if (Math.hypot(p[0] - a[0], p[1] - a[1], p[2] - a[2]) > Math.hypot(b[0] - a[0], b[1] - a[1], b[2] - a[2])) b = p;
  const d = [b[0] - a[0], b[1] - a[1], b[2] - a[2]];
  const len = Math.hypot(d[0]!, d[1]!, d[2]!);
  if (len < 10) return 0;
  let max = 0;
  for (const p of pts) {
    const v = [p[0] - a[0], p[1] - a[1], p[2] - a[2]];
    const c = [v[1]! * d[2]! - v[2]! * d[1]!, v[2]! * d[0]! - v[0]! * d[2]!, v[0]! * d[1]! - v[1]! * d[0]!];
    max = Math.max(max, Math.hypot(c[0]!, c[1]!, c[2]!) / len);
  }
  return max;
}

describe('fitRigid (Horn, quaternions)', () => {
  it('recovers any rotation and translation from exact pairs to < 1e-6 mm (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.double({ min: -1, max: 1, noNaN: true }), { minLength: 4, maxLength: 4 }).filter((q) => Math.hypot(...q) > 0.1), fc.array(coord, { minLength: 3, maxLength: 3 }), fc.array(fc.tuple(coord, coord, coord), { minLength: 4, maxLength: 12 }), (q, t, pts) => {
        // Exact recovery needs a well-posed problem: points spread out and not all on one line
        // (about a line the rotation is undetermined; registration refuses such input).
        fc.pre(offLine(pts) > 5);
        const r = rotationFromQuaternion(q);
        const target = pts.map((p) => apply(r, 1, t, p));
        const fit = fitRigid(pts, target);
        for (let i = 0; i < pts.length; i++) {
          const got = applyFit(fit, pts[i]!);
          for (let k = 0; k < 3; k++) expect(Math.abs(got[k]! - target[i]![k]!)).toBeLessThan(1e-6);
        }
        expect(fit.rmsMm).toBeLessThan(1e-6);
        expect(fit.scale).toBe(1);
      }),
      { numRuns: Number(process.env['RIGID_RUNS'] ?? 300) },
    );
  });

  it('recovers a scale when asked, and never returns a reflection', () => {
    const pts: Point3[] = [[0, 0, 0], [50, 0, 0], [0, 40, 0], [0, 0, 30], [20, 20, 20]];
    const r = rotationFromQuaternion([0.3, 0.5, -0.2, 0.7]);
    const fit = fitRigid(pts, pts.map((p) => apply(r, 1.25, [5, -7, 9], p)), { scaling: true });
    expect(fit.scale).toBeCloseTo(1.25, 9);
    // Mirrored targets: the best proper rotation leaves a residual instead of flipping.
    const mirrored = fitRigid(pts, pts.map((p) => [-p[0], p[1], p[2]] as Point3));
    const m = mirrored.rotation;
    const det = m[0]! * (m[4]! * m[8]! - m[5]! * m[7]!) - m[1]! * (m[3]! * m[8]! - m[5]! * m[6]!) + m[2]! * (m[3]! * m[7]! - m[4]! * m[6]!);
    expect(det).toBeCloseTo(1, 9);
    expect(mirrored.rmsMm).toBeGreaterThan(1);
  });

  it('gives the 4×4 row-major matrix of the fit', () => {
    const fit = fitRigid([[0, 0, 0], [1, 0, 0], [0, 1, 0], [0, 0, 1]], [[10, 0, 0], [10, 1, 0], [9, 0, 0], [10, 0, 1]]);
    const m = fitToMatrix(fit);
    expect(m.slice(12)).toEqual([0, 0, 0, 1]);
    expect(m[3]).toBeCloseTo(10, 9);
    expect(m[4]).toBeCloseTo(1, 9); // x → y: a 90° turn about z
  });
});
