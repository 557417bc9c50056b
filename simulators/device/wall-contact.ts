// A lead does not run down the middle of a vein: it rests against the wall, and which side it rests
// on turns as the vein curves and the lead twists. The coronary sinus is 6-10 mm across where a
// 5 F lead (1.7 mm) enters it, so the tip can sit 2-3 mm off the centreline the twin was built
// with. This puts the true tip there: off the centreline, across the vein, by a share of the room
// the lumen leaves (the vein's radius less the lead's), toward a direction that turns slowly with
// time. The truth then is where the tip really is; the pipeline must neither lose the branch nor
// slide along the vein because the measurement does not lie on the centreline.

import type { Twin } from '../../server/twin/twin.ts';
import { FIVE_FRENCH_MM } from '../../server/lead/lead-catalogue.ts';
import { branchDirection, radiusAt } from '../../server/twin/vein-tree.ts';
import { Random } from '../twin/random.ts';
import type { RoutePoint } from './tree-route.ts';

export interface WallContactSpec {
  /** Share of the room across the lumen (the vein's radius less the lead's) the tip sits off the centreline, 0-1. */
  share: number;
  /** The lead's radius, mm (a 5 F body: 0.83). */
  leadRadiusMm: number;
  /** How fast the side the lead rests on turns (rad/s). */
  turnRadS: number;
}

export const WALL_CONTACT: WallContactSpec = { share: 1, leadRadiusMm: FIVE_FRENCH_MM / 2, turnRadS: 0.3 };

/** The vein's direction over this far each side of the tip (mm): smooth through bends, as a lead is. */
const DIRECTION_HALF_MM = 5;

export class WallContact {
  private readonly phase: number;
  private readonly dir = new Float64Array(3);
  private readonly a = new Float64Array(3);
  private readonly b = new Float64Array(3);

  constructor(private readonly twin: Twin, private readonly spec: WallContactSpec, seed: number) {
    this.phase = new Random(seed * 7727 + 3).range(0, 2 * Math.PI);
  }

  /** Moves `point` (on the centreline) to where the tip rests against the wall at time t. */
  apply(point: RoutePoint, t: number): void {
    const v = this.twin.veins;
    if (!branchDirection(v, v.branches[point.branch]!, point.arcLengthMm, DIRECTION_HALF_MM, this.dir, this.a, this.b)) return;
    const d = this.dir;
    // A direction fixed in the body turning about a tilted axis, made perpendicular to the vein.
    const th = this.phase + this.spec.turnRadS * t;
    const rx = Math.cos(th), ry = 0.6 * Math.sin(th), rz = 0.8 * Math.sin(th);
    const k = rx * d[0]! + ry * d[1]! + rz * d[2]!;
    let ux = rx - k * d[0]!, uy = ry - k * d[1]!, uz = rz - k * d[2]!;
    const length = Math.hypot(ux, uy, uz);
    if (!(length > 1e-6)) return;
    ux /= length; uy /= length; uz /= length;
    const off = this.spec.share * Math.max(0, radiusAt(v, point.segment, point.t) - this.spec.leadRadiusMm);
    point.x += off * ux; point.y += off * uy; point.z += off * uz;
  }
}
