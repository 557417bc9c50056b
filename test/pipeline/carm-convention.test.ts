// The C-arm convention as the README's wire protocol states it (the beam's direction, where the
// source and detector sit, which way u and v run, what pixelSpacing's two numbers mean) is what the
// server computes. The independent client projects from that description alone
// (bench/support/independent-client.ts); a user's fluoro feed would too.
import { describe, expect, it } from 'vitest';
import { projectToView, generator, type View } from '../../bench/support/independent-client.ts';
import { backProject, projectPoint } from '../../server/pipeline/carm-geometry.ts';

const rng = generator(20261202);

function randomView(): View {
  const spacing: [number, number] = [rng.between(0.1, 0.4), rng.between(0.1, 0.4)]; // rows and columns unequal
  return {
    alpha: rng.between(-90, 90),
    // Now and then within the 2.6° where "up" falls back to posterior.
    beta: rng.next() < 0.1 ? (rng.next() < 0.5 ? -1 : 1) * rng.between(87.5, 89.99) : rng.between(-45, 45),
    sid: rng.between(900, 1300),
    sod: rng.between(500, 850),
    pixelSpacing: spacing,
    size: [Math.round(rng.between(512, 1536)), Math.round(rng.between(512, 1536))],
  };
}

describe('the documented C-arm convention', () => {
  it('projects every point as the server does, to a millionth of a pixel', () => {
    let worst = 0;
    for (let k = 0; k < 2000; k++) {
      const g = randomView();
      const p: [number, number, number] = [rng.between(-120, 120), rng.between(-120, 120), rng.between(-120, 120)];
      const mine = projectToView(g, p);
      const server = projectPoint(g, p)!;
      worst = Math.max(worst, Math.abs(mine[0] - server[0]), Math.abs(mine[1] - server[1]));
    }
    expect(worst).toBeLessThan(1e-6);
  });

  it('shows AP with the patient\'s left to the right and the head at the top', () => {
    const ap: View = { alpha: 0, beta: 0, sid: 1000, sod: 750, pixelSpacing: [0.2, 0.2], size: [1024, 1024] };
    const [u0, v0] = projectToView(ap, [0, 0, 0]);
    expect([u0, v0]).toEqual([512, 512]); // the isocentre on the central ray
    const [uLeft] = projectToView(ap, [10, 0, 0]); // LPS: +x is the patient's left
    const [, vHead] = projectToView(ap, [0, 0, 10]); // +z superior
    expect(uLeft).toBeGreaterThan(512);
    expect(vHead).toBeLessThan(512);
    // 10 mm at the isocentre, magnified by sid/sod onto 0.2 mm pixels.
    expect(uLeft - 512).toBeCloseTo((10 * 1000) / 750 / 0.2, 9);
  });

  it('is undone by the server\'s back-projection (the pixel lies on the ray through the point)', () => {
    for (let k = 0; k < 200; k++) {
      const g = randomView();
      const p: [number, number, number] = [rng.between(-80, 80), rng.between(-80, 80), rng.between(-80, 80)];
      const [u, v] = projectToView(g, p);
      const ray = backProject(g, u, v);
      const w = [p[0] - ray.origin[0], p[1] - ray.origin[1], p[2] - ray.origin[2]];
      const along = w[0]! * ray.direction[0] + w[1]! * ray.direction[1] + w[2]! * ray.direction[2];
      const miss = Math.hypot(w[0]! - along * ray.direction[0], w[1]! - along * ray.direction[1], w[2]! - along * ray.direction[2]);
      expect(miss).toBeLessThan(1e-6);
    }
  });
});
