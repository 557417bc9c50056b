// The tracker's latest place on the vein tree, handed back to motion compensation: the vessel there
// (a centreline point, its direction, the two directions across it). The lead can only move along
// the veins and sits within a vein's radius of the centreline, so the motion filter need not guess
// the catheter's turns and changes of speed, which are as slow as a breath (see motion-filter.ts).
// The stages run synchronously, one input at a time, so the place written after sample k is read
// for sample k+1: deterministic, no clocks.

import type { Twin } from '../twin/twin.ts';
import { forksAt, nearestJunctionMm } from '../twin/vein-tree.ts';
import type { VesselConstraint } from './motion-filter.ts';
import { hypot3 } from '../geometry/hypot.ts';

/** Nodes taken on each side of the tip's segment for the vessel's direction. */
const TANGENT_SPAN = 2;
/**
 * The lead is not held to the vessel this close to a junction (mm along the tree): it may be
 * entering either vein there, and holding it to the tracker's would hold the tracker there too.
 */
export const JUNCTION_CLEARANCE_MM = 12;

export class TrackFeedback {
  /** Twin frame, mm. */
  readonly vessel: VesselConstraint & { point: [number, number, number]; along: [number, number, number]; across: [number, number, number][] } = {
    hold: false,
    point: [0, 0, 0],
    along: [1, 0, 0],
    across: [
      [0, 1, 0],
      [0, 0, 1],
    ],
  };
  /** Sample time of that place; NaN when there is none. */
  private t = Number.NaN;
  /** Per segment (its child node), computed once per twin: the vessel's direction, and whether to hold to it. */
  private readonly along: Float64Array;
  private readonly hold: Uint8Array;

  /** The place is used only while it is this recent (s) and the tracker this confident. */
  constructor(
    private readonly twin: Twin,
    readonly maxAgeS = 0.3,
    readonly minConfidence = 0.3,
  ) {
    const v = twin.veins;
    this.along = new Float64Array(3 * v.nodeCount);
    this.hold = new Uint8Array(v.nodeCount);
    for (let s = 0; s < v.nodeCount; s++) if (v.parent[s]! >= 0) this.describe(s);
  }

  private describe(segment: number): void {
    const v = this.twin.veins;
    // The direction over a few millimetres of the branch, not one segment's: node-to-node directions
    // kink, and a direction that jumps as the tip crosses a node would shake the filter.
    const branch = v.segmentBranch[segment]!;
    let back = v.parent[segment]!;
    for (let k = 0; k < TANGENT_SPAN && v.parent[back]! >= 0 && v.segmentBranch[back] === branch; k++) back = v.parent[back]!;
    let ahead = segment;
    for (let k = 0; k < TANGENT_SPAN; k++) {
      let next = -1;
      for (let c = v.childStart[ahead]!; c < v.childStart[ahead + 1]!; c++) if (v.segmentBranch[v.children[c]!] === branch) next = v.children[c]!;
      if (next < 0) break;
      ahead = next;
    }
    const pos = v.positionsMm;
    const ax = pos[3 * ahead]! - pos[3 * back]!, ay = pos[3 * ahead + 1]! - pos[3 * back + 1]!, az = pos[3 * ahead + 2]! - pos[3 * back + 2]!;
    const len = hypot3(ax, ay, az);
    if (len < 1e-9) return; // left zero: no direction, never used
    this.along[3 * segment] = ax / len;
    this.along[3 * segment + 1] = ay / len;
    this.along[3 * segment + 2] = az / len;
    this.hold[segment] = nearestJunctionMm(v, segment, v.arcLengthMm[segment]!, (n) => forksAt(v, n), JUNCTION_CLEARANCE_MM) <= JUNCTION_CLEARANCE_MM ? 0 : 1;
  }

  set(t: number, segment: number, x: number, y: number, z: number, confidence: number): void {
    const v = this.twin.veins;
    if (confidence < this.minConfidence || v.parent[segment]! < 0) return this.clear();
    const ax = this.along[3 * segment]!, ay = this.along[3 * segment + 1]!, az = this.along[3 * segment + 2]!;
    if (ax === 0 && ay === 0 && az === 0) return this.clear();
    const c = this.vessel;
    c.hold = this.hold[segment] === 1;
    c.point[0] = x; c.point[1] = y; c.point[2] = z;
    c.along[0] = ax; c.along[1] = ay; c.along[2] = az;
    // Two directions across: any unit vector not along the vessel, made orthogonal, and their cross.
    const [hx, hy, hz] = Math.abs(ax) < 0.9 ? [1, 0, 0] : [0, 1, 0];
    const dot = hx * ax + hy * ay + hz * az;
    let ux = hx - dot * ax, uy = hy - dot * ay, uz = hz - dot * az;
    const ul = hypot3(ux, uy, uz);
    ux /= ul; uy /= ul; uz /= ul;
    const n1 = c.across[0]!, n2 = c.across[1]!;
    n1[0] = ux; n1[1] = uy; n1[2] = uz;
    n2[0] = ay * uz - az * uy; n2[1] = az * ux - ax * uz; n2[2] = ax * uy - ay * ux;
    this.t = t;
  }

  clear(): void {
    this.t = Number.NaN;
  }

  /** The vessel to constrain a measurement at time t with, or null. */
  at(t: number): VesselConstraint | null {
    return t - this.t <= this.maxAgeS ? this.vessel : null;
  }
}
