import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TwinguideError } from '../../protocol/index.ts';
import { backProject, carmFrame, projectPoint, triangulate } from '../../server/pipeline/carm-geometry.ts';
import { refineRegistration, registerLandmarks, transformPoint } from '../../server/pipeline/registration.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { applyMatrix, gaussian, invertRigid, LAO30, RAO30, rigidMatrix } from '../../simulators/device/device-simulator.ts';
import { registrationError } from '../../simulators/device/run-scenario.ts';
import { Random } from '../../simulators/twin/random.ts';

let twin: Twin;
beforeAll(async () => { twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname, { loadModel: false }); });
afterAll(async () => { await twin.close(); });

const twinToSource = rigidMatrix([0.3, -0.5, 0.8], 25, [120, -60, 40]);
type P = [number, number, number];

describe('landmark registration', () => {
  it('recovers a known rigid transform from exact landmarks to < 1e-6 mm', () => {
    const target = twin.landmarks.map((l) => l.positionMm as P);
    const source = target.map((p) => applyMatrix(twinToSource, p));
    const r = registerLandmarks(source, target);
    expect(r.state).toBe('landmarks');
    expect(r.rmsMm).toBeLessThan(1e-6);
    expect(r.treMm!).toBeLessThan(1e-6);
    expect(registrationError(twin, r, twinToSource)).toBeLessThan(1e-6);
  });

  it('with 1 mm landmark noise, reports an RMS and a TRE estimate in the expected range, and the true error stays ≤ 2 mm', () => {
    const trueErrors: number[] = [];
    const estimates: number[] = [];
    for (let seed = 1; seed <= 40; seed++) {
      const random = new Random(seed);
      const target = twin.landmarks.slice(0, 4).map((l) => l.positionMm as P);
      const source = target.map((p) => applyMatrix(twinToSource, p).map((v) => v + 0.58 * gaussian(random)) as P);
      const r = registerLandmarks(source, target);
      trueErrors.push(registrationError(twin, r, twinToSource));
      estimates.push(r.treMm!);
      expect(r.rmsMm!).toBeGreaterThan(0);
      expect(r.rmsMm!).toBeLessThan(3);
    }
    trueErrors.sort((a, b) => a - b);
    const median = trueErrors[trueErrors.length >> 1]!;
    expect(median).toBeLessThan(2);
    // Leave-one-out over 4 landmarks overestimates (each fit uses only 3): it must not be smaller
    // than the true error on average, and stays within a few mm.
    const meanEstimate = estimates.reduce((a, b) => a + b, 0) / estimates.length;
    expect(meanEstimate).toBeGreaterThan(median * 0.5);
    expect(meanEstimate).toBeLessThan(8);
  });

  it('refuses too few, duplicate and collinear landmarks with TG_ERR_REGISTRATION', () => {
    const code = (fn: () => unknown): string => { try { fn(); return 'none'; } catch (e) { return (e as TwinguideError).code; } };
    expect(code(() => registerLandmarks([[0, 0, 0], [10, 0, 0]], [[0, 0, 0], [10, 0, 0]]))).toBe('TG_ERR_REGISTRATION');
    expect(code(() => registerLandmarks([[0, 0, 0], [0, 0, 0.1], [10, 5, 0]], [[0, 0, 0], [0, 0, 5], [10, 5, 0]]))).toBe('TG_ERR_REGISTRATION');
    expect(code(() => registerLandmarks([[0, 0, 0], [10, 0, 0], [20, 0.1, 0], [30, 0, 0]], [[0, 0, 0], [10, 0, 0], [20, 0, 0], [30, 0, 0]]))).toBe('TG_ERR_REGISTRATION');
  });

  it('refuses landmarks from a frame of the other handedness (one axis flipped), saying so; a right-handed frame with noise is never taken for one', () => {
    const target = twin.landmarks.map((l) => l.positionMm as P);
    expect(target.length).toBeGreaterThanOrEqual(4);
    for (const axis of [0, 1, 2]) {
      const source = target.map((p) => { const q = applyMatrix(twinToSource, p) as P; q[axis] = -q[axis]!; return q; });
      let error: TwinguideError | null = null;
      try { registerLandmarks(source, target); } catch (e) { error = e as TwinguideError; }
      expect(error?.code).toBe('TG_ERR_REGISTRATION');
      expect(error?.message).toMatch(/mirror image .* other handedness/);
    }
    // Two axes flipped (RAS against LPS) is a rotation: fitted exactly.
    const ras = target.map((p) => { const q = applyMatrix(twinToSource, p) as P; return [-q[0], -q[1], q[2]] as P; });
    expect(registerLandmarks(ras, target).rmsMm!).toBeLessThan(1e-6);
    // Badly picked landmarks (5 mm noise) in the right frame: a large RMS, but no mirror.
    for (let seed = 1; seed <= 40; seed++) {
      const random = new Random(seed);
      const source = target.map((p) => applyMatrix(twinToSource, p).map((v) => v + 5 * gaussian(random)) as P);
      expect(() => registerLandmarks(source, target)).not.toThrow();
    }
  });

  it('refuses landmarks in metres or centimetres against a twin in millimetres, naming the unit; takes them with scaling', () => {
    const target = twin.landmarks.map((l) => l.positionMm as P);
    const inSource = target.map((p) => applyMatrix(twinToSource, p) as P);
    for (const [scale, unit] of [[0.001, 'metres'], [0.1, 'centimetres']] as const) {
      const source = inSource.map((p) => p.map((v) => v * scale) as P);
      let error: TwinguideError | null = null;
      try { registerLandmarks(source, target); } catch (e) { error = e as TwinguideError; }
      expect(error?.code).toBe('TG_ERR_REGISTRATION');
      expect(error?.message).toContain(`looks like ${unit}`);
      expect(registerLandmarks(source, target, { scaling: true }).rmsMm!).toBeLessThan(1e-6);
    }
  });

  it('ICP refinement of a tip trail to the centrelines improves a perturbed registration, and refuses to make it worse', () => {
    const v = twin.veins;
    // A trail along the CS and the lateral vein, in the source frame, 0.3 mm noise.
    const random = new Random(5);
    const trail: P[] = [];
    for (const id of ['cs', 'gcv', 'lmv1']) {
      const b = v.branches[v.branchById.get(id)!]!;
      for (const n of b.nodes) trail.push(applyMatrix(twinToSource, [v.positionsMm[3 * n]!, v.positionsMm[3 * n + 1]!, v.positionsMm[3 * n + 2]!]).map((x) => x + 0.3 * gaussian(random)) as P);
    }
    const truth = invertRigid(twinToSource);
    const perturbed = { state: 'landmarks' as const, matrix: [...rigidMatrix([1, 0, 0], 3, [2, -1.5, 1])].map((_, i, m) => m[i]!) , rmsMm: 1.5 };
    // Compose the perturbation with the true transform.
    const compose = (a: readonly number[], b: readonly number[]): number[] => Array.from({ length: 16 }, (_, i) => [0, 1, 2, 3].reduce((s, k) => s + a[4 * Math.floor(i / 4) + k]! * b[4 * k + (i % 4)]!, 0));
    const start = { ...perturbed, matrix: compose(perturbed.matrix, truth) };
    const before = registrationError(twin, start, twinToSource);
    const result = refineRegistration(start, trail, twin.centrelines);
    expect(result.accepted).toBe(true);
    expect(result.registration.state).toBe('refined');
    expect(result.afterMm).toBeLessThan(result.beforeMm);
    expect(registrationError(twin, result.registration, twinToSource)).toBeLessThan(before);
    // Already at the truth: nothing to gain, so the registration is kept as it was.
    const exact = { state: 'landmarks' as const, matrix: truth, rmsMm: 0 };
    const again = refineRegistration(exact, trail, twin.centrelines);
    expect(again.registration).toBe(exact);
  });

  it('transforms points with the row-major 4×4 matrix', () => {
    const out = [0, 0, 0];
    transformPoint(rigidMatrix([0, 0, 1], 90, [1, 2, 3]), 1, 0, 0, out);
    expect(out[0]).toBeCloseTo(1, 12);
    expect(out[1]).toBeCloseTo(3, 12);
    expect(out[2]).toBeCloseTo(3, 12);
  });
});

describe('C-arm geometry', () => {
  it('puts the isocentre at the image centre, and AP shows patient left on the right, superior up', () => {
    const ap = { ...LAO30, alpha: 0 };
    expect(projectPoint(ap, [0, 0, 0])).toEqual([512, 512]);
    const [uLeft] = projectPoint(ap, [10, 0, 0])!;
    const [, vUp] = projectPoint(ap, [0, 0, 10])!;
    expect(uLeft).toBeGreaterThan(512);
    expect(vUp).toBeLessThan(512);
    expect(carmFrame(ap).direction[1]).toBeCloseTo(-1, 12); // the detector is anterior
  });

  it('back-projects a projected point to a ray through it, for any view (property over a grid of angles and points)', () => {
    for (const alpha of [-90, -30, 0, 30, 45, 90, 170]) {
      for (const beta of [-40, -20, 0, 25]) {
        const g = { ...LAO30, alpha, beta };
        for (const p of [[0, 0, 0], [30, -20, 15], [-45, 10, -60], [5, 60, 20]] as P[]) {
          const uv = projectPoint(g, p)!;
          const ray = backProject(g, uv[0], uv[1]);
          const w = [p[0] - ray.origin[0], p[1] - ray.origin[1], p[2] - ray.origin[2]];
          const along = w[0]! * ray.direction[0] + w[1]! * ray.direction[1] + w[2]! * ray.direction[2];
          const off = Math.hypot(w[0]! - along * ray.direction[0], w[1]! - along * ray.direction[1], w[2]! - along * ray.direction[2]);
          expect(off).toBeLessThan(1e-9);
        }
      }
    }
  });

  it('triangulates a point seen in two views (biplane) exactly', () => {
    const p: P = [12, -34, 56];
    const a = projectPoint(LAO30, p)!, b = projectPoint(RAO30, p)!;
    const tri = triangulate(backProject(LAO30, a[0], a[1]), backProject(RAO30, b[0], b[1]))!;
    for (let k = 0; k < 3; k++) expect(tri.point[k]).toBeCloseTo(p[k]!, 9);
    expect(tri.gapMm).toBeLessThan(1e-9);
    expect(triangulate(backProject(LAO30, a[0], a[1]), backProject(LAO30, a[0], a[1]))).toBeNull();
  });
});
