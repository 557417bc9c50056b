// The recent tip positions of a procedure in the source frame, motion-compensated, kept for
// registration refinement (ICP of the trail to the vein centrelines). Bounded: the oldest go first,
// and a point is kept only after the tip has moved, so a long dwell does not fill it with one place.

import type { Point3 } from '../geometry/rigid-fit.ts';
import { hypot3 } from '../geometry/hypot.ts';

export class TipTrail {
  private readonly points: Float64Array;
  private start = 0;
  private count = 0;

  constructor(readonly capacity = 4000, readonly minStepMm = 0.5) {
    this.points = new Float64Array(3 * capacity);
  }

  get size(): number {
    return this.count;
  }

  add(x: number, y: number, z: number): void {
    if (this.count > 0) {
      const last = (this.start + this.count - 1) % this.capacity;
      if (hypot3(x - this.points[3 * last]!, y - this.points[3 * last + 1]!, z - this.points[3 * last + 2]!) < this.minStepMm) return;
    }
    const at = (this.start + this.count) % this.capacity;
    this.points[3 * at] = x;
    this.points[3 * at + 1] = y;
    this.points[3 * at + 2] = z;
    if (this.count < this.capacity) this.count++;
    else this.start = (this.start + 1) % this.capacity;
  }

  clear(): void {
    this.start = 0;
    this.count = 0;
  }

  toArray(): Point3[] {
    return Array.from({ length: this.count }, (_, i) => {
      const k = (this.start + i) % this.capacity;
      return [this.points[3 * k]!, this.points[3 * k + 1]!, this.points[3 * k + 2]!] as const;
    });
  }
}
