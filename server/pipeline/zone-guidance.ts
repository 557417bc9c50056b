// From a tip position on the tree to target-zone guidance: the zone state (in, approaching,
// outside, none-accessible), the along-tree distance to the nearest target zone (withdrawing to a
// junction and entering another branch counts the whole path), the instruction with its text, dwell
// time in the zone, hysteresis so nothing flickers at a zone border, and honesty when confidence is
// low (the instruction says so instead of guessing).

import type { Instruction, ZoneState } from '../../protocol/index.ts';
import type { TargetZone } from '../twin/target-zones.ts';
import type { Twin } from '../twin/twin.ts';

export interface GuidanceOptions {
  /** Leave a zone only after being beyond the exit margin this long (residual cardiac motion along the vein), s. */
  exitHoldS: number;
  /** A new state or instruction (advance ↔ withdraw, another branch) shows only once it held this long, s. */
  instructionHoldS: number;
  /** "approaching" within this along-tree distance of a zone, mm. */
  approachMm: number;
  /** Once approaching, "outside" again only beyond approachMm plus this, mm (hysteresis) ... */
  approachMarginMm: number;
  /** ... or plus this while the lead is being withdrawn steadily (receding at recedingMmS or more). */
  recedingMarginMm: number;
  recedingMmS: number;
  /** Enter a zone when inside it; leave only beyond this margin past its ends (hysteresis), mm. */
  exitMarginMm: number;
  /** A zero-length zone (a single site) counts this far either side, mm. */
  pointZoneHalfWidthMm: number;
  /** Below this tracking × registration confidence the instruction is withheld. */
  minConfidence: number;
  /** The distance shown in the text moves in whole mm and only when it changed by at least this. */
  textHysteresisMm: number;
}

export const DEFAULT_GUIDANCE_OPTIONS: GuidanceOptions = {
  exitHoldS: 0.1,
  instructionHoldS: 0.1,
  approachMm: 10,
  approachMarginMm: 3,
  recedingMarginMm: 1.5,
  recedingMmS: 6,
  exitMarginMm: 1.5,
  pointZoneHalfWidthMm: 2,
  minConfidence: 0.35,
  textHysteresisMm: 2,
};

export interface ZoneRoute {
  zone: TargetZone;
  distanceMm: number;
  instruction: Exclude<Instruction, 'none'>;
  /** Withdrawal to the junction (for switch-branch), then the advance into the zone's branch. */
  withdrawMm: number;
  advanceMm: number;
}

export interface ZoneDecision {
  state: ZoneState;
  zoneId?: string;
  distanceMm?: number;
  dwellS?: number;
  instruction: Instruction;
  targetBranch?: string;
  text: string;
}

/**
 * Routes from a point on the tree to each zone. For each zone the path goes up from the tip to
 * where the tip's root path meets the zone branch's root path (M, at arc m), then along it to the
 * nearest point of the zone interval: distance = (s − m) + |clamp(m, start, end) − m|.
 */
export class ZoneRouter {
  /** Per zone: nodes on the root path to the zone branch's last node. */
  private readonly onPath: Uint8Array[];

  constructor(private readonly twin: Twin) {
    const v = twin.veins;
    this.onPath = twin.zones.map((z) => {
      const mark = new Uint8Array(v.nodeCount);
      const nodes = v.branches[z.branch]!.nodes;
      for (let n = nodes[nodes.length - 1]!; n >= 0; n = v.parent[n]!) mark[n] = 1;
      return mark;
    });
  }

  route(zoneIndex: number, segment: number, arcMm: number): ZoneRoute {
    const v = this.twin.veins;
    const zone = this.twin.zones[zoneIndex]!;
    const mark = this.onPath[zoneIndex]!;
    // The segment's child on the path means the tip itself is on the zone branch's root path.
    let m = arcMm;
    if (!mark[segment]) {
      let n = v.parent[segment]!;
      while (n >= 0 && !mark[n]) n = v.parent[n]!;
      m = n >= 0 ? v.arcLengthMm[n]! : 0;
    }
    const up = arcMm - m;
    const q = Math.min(zone.endArcMm, Math.max(zone.startArcMm, m));
    const along = q - m;
    if (up <= 1e-9) {
      return along >= 0
        ? { zone, distanceMm: along, instruction: along > 0 ? 'advance' : 'hold', withdrawMm: 0, advanceMm: along }
        : { zone, distanceMm: -along, instruction: 'withdraw', withdrawMm: -along, advanceMm: 0 };
    }
    if (along > 1e-9) return { zone, distanceMm: up + along, instruction: 'switch-branch', withdrawMm: up, advanceMm: along };
    return { zone, distanceMm: up - along, instruction: 'withdraw', withdrawMm: up - along, advanceMm: 0 };
  }
}

const upper = (s: string): string => s.toUpperCase();
const STATE_CODE: Record<ZoneState, number> = { in: 0, approaching: 1, outside: 2, 'none-accessible': 3 };
const INSTRUCTION_CODE: Record<Instruction, number> = { none: 0, hold: 1, advance: 2, withdraw: 3, 'switch-branch': 4 };
/** The receding speed is a moving average over this long (s): half a heartbeat or so. */
const RECEDING_AVERAGE_S = 0.5;

/** Per-procedure guidance state: zone membership with hysteresis, dwell, the shown distance. */
export class ZoneGuide {
  private readonly o: GuidanceOptions;
  private readonly router: ZoneRouter;
  private inZone = -1;
  private enteredAt = 0;
  /** When the tip was first seen beyond the exit margin of the zone it is in (NaN: it is not). */
  private outsideSince = NaN;
  /** The instruction on screen, and a different one waiting to have held for instructionHoldS. */
  private held: ZoneDecision | null = null;
  private approaching = false;
  private heldKey = -1;
  private pendingKey = -1;
  /** The last instruction text and what it said, reused while it says the same (no new string per sample). */
  private lastText = '';
  private lastTextKey = -1;
  private readonly upperNames: string[];
  private pendingSince = 0;
  private shownMm = -1;
  private shownKey = '';

  constructor(private readonly twin: Twin, options: Partial<GuidanceOptions> = {}) {
    this.o = { ...DEFAULT_GUIDANCE_OPTIONS, ...options };
    this.router = new ZoneRouter(twin);
    this.upperNames = twin.veins.branches.map((b) => upper(b.name));
  }

  reset(): void {
    this.lastDistanceT = Number.NaN;
    this.recedingMmS = 0;
    this.inZone = -1;
    this.outsideSince = NaN;
    this.held = null;
    this.approaching = false;
    this.shownMm = -1;
    this.shownKey = '';
  }

  private contains(zone: TargetZone, branch: number, arc: number, margin: number): boolean {
    if (zone.branch !== branch) return false;
    const half = zone.endArcMm - zone.startArcMm < 1e-9 ? this.o.pointZoneHalfWidthMm : 0;
    return arc >= zone.startArcMm - half - margin && arc <= zone.endArcMm + half + margin;
  }

  /** Along-tree distance from the tip to a zone (a single-site zone counts its half width). */
  private alongTreeMm(zone: number, segment: number, arcMm: number): number {
    const z = this.twin.zones[zone]!;
    const half = z.endArcMm - z.startArcMm < 1e-9 ? this.o.pointZoneHalfWidthMm : 0;
    return Math.max(0, this.router.route(zone, segment, arcMm).distanceMm - half);
  }

  /**
   * `lowBecause`: what lowered the confidence when it is low: a poor registration (the twin and
   * the feed do not line up) or the tracking itself (the tip's place is uncertain: motion not yet
   * learnt, beside a fork, a spike): the physician's remedy differs.
   */
  decide(t: number, branch: number, segment: number, arcMm: number, confidence: number, lowBecause: 'registration' | 'tracking' = 'tracking'): ZoneDecision {
    const lowText = lowBecause === 'registration' ? 'LOW CONFIDENCE: CHECK REGISTRATION' : 'LOW CONFIDENCE: TIP POSITION UNCERTAIN';
    const zones = this.twin.zones;
    if (zones.length === 0) {
      return { state: 'none-accessible', instruction: 'none', text: 'NO ACCESSIBLE RESPONDER SITE IN THIS TWIN' };
    }
    // Membership with hysteresis in space and time: enter when inside; leave only after staying
    // beyond the exit margin for exitHoldS (a heartbeat's residual swing along the vein is not an exit).
    if (this.inZone >= 0) {
      // Near: within the exit margin along the tree, so a tip the tracker puts a millimetre up the
      // parent branch at the zone's junction has not left the zone.
      if (this.contains(zones[this.inZone]!, branch, arcMm, this.o.exitMarginMm) || this.alongTreeMm(this.inZone, segment, arcMm) <= this.o.exitMarginMm) this.outsideSince = NaN;
      else if (Number.isNaN(this.outsideSince)) this.outsideSince = t;
      if (!Number.isNaN(this.outsideSince) && t - this.outsideSince >= this.o.exitHoldS) {
        this.inZone = -1;
        this.outsideSince = NaN;
      }
    }
    if (this.inZone < 0) {
      const k = zones.findIndex((z) => this.contains(z, branch, arcMm, 0));
      if (k >= 0) {
        this.inZone = k;
        this.enteredAt = t;
        this.outsideSince = NaN;
      }
    }
    const low = confidence < this.o.minConfidence;
    if (this.inZone >= 0) {
      this.held = null;
      this.approaching = true; // leaving a zone, the tip is next to it
      const zone = zones[this.inZone]!;
      const dwellS = Math.max(0, t - this.enteredAt);
      return {
        state: 'in',
        zoneId: zone.id,
        distanceMm: 0,
        dwellS,
        instruction: low ? 'none' : 'hold',
        text: low ? lowText : 'IN TARGET ZONE',
      };
    }
    let best: ZoneRoute | null = null;
    for (let k = 0; k < zones.length; k++) {
      const r = this.router.route(k, segment, arcMm);
      if (!best || r.distanceMm < best.distanceMm - 1e-9) best = r;
    }
    const route = best!;
    const zoneBranch = this.twin.veins.branches[route.zone.branch]!;
    // A lead being withdrawn steadily is leaving, not swinging with the heartbeat: its margin is
    // the narrow one. The heartbeat's swing, averaged over half a second, never looks that steady.
    const receding = this.recedingSpeed(t, route.distanceMm) >= this.o.recedingMmS;
    const margin = receding ? this.o.recedingMarginMm : this.o.approachMarginMm;
    this.approaching = route.distanceMm <= this.o.approachMm + (this.approaching ? margin : 0);
    const state: ZoneState = this.approaching ? 'approaching' : 'outside';
    const decision: ZoneDecision = { state, zoneId: route.zone.id, distanceMm: Math.round(route.distanceMm * 10) / 10, instruction: route.instruction, targetBranch: zoneBranch.id, text: '' };
    if (low) {
      // Saying that confidence is low is never delayed.
      this.held = null;
      decision.instruction = 'none';
      decision.text = lowText;
      return decision;
    }
    const mm = this.shown(route);
    decision.text = this.textFor(route, zoneBranch.index === branch, route.instruction === 'switch-branch' ? Math.max(1, Math.round(route.withdrawMm)) : mm);
    // At a junction the tracked tip can sit a millimetre either side of it from one sample to the
    // next ("ADVANCE 2 mm INTO …" ↔ "WITHDRAW 1 mm, THEN …"), and at the approach distance the
    // heartbeat swings it across: a changed state or instruction waits until it held. (A number,
    // not a string: this runs for every sample.)
    const key = ((STATE_CODE[state] * 1024 + zones.indexOf(route.zone)) * 8 + INSTRUCTION_CODE[route.instruction]) * 65536 + zoneBranch.index;
    if (this.held && key !== this.heldKey) {
      if (key !== this.pendingKey) {
        this.pendingKey = key;
        this.pendingSince = t;
      }
      if (t - this.pendingSince < this.o.instructionHoldS) return { ...this.held };
    }
    this.held = decision;
    this.heldKey = key;
    this.pendingKey = key;
    return decision;
  }

  private textFor(route: ZoneRoute, onZoneBranch: boolean, mm: number): string {
    const branch = route.zone.branch;
    const key = ((INSTRUCTION_CODE[route.instruction] * 2 + (onZoneBranch ? 1 : 0)) * 65536 + branch) * 100000 + mm;
    if (key === this.lastTextKey) return this.lastText;
    const name = this.upperNames[branch]!;
    let text: string;
    if (route.instruction === 'advance') text = onZoneBranch ? `ADVANCE ${mm} mm` : `ADVANCE ${mm} mm INTO ${name}`;
    else if (route.instruction === 'withdraw') text = `WITHDRAW ${mm} mm`;
    else if (route.instruction === 'switch-branch') text = `WITHDRAW ${mm} mm, THEN ${name}`;
    else text = 'IN TARGET ZONE';
    this.lastTextKey = key;
    this.lastText = text;
    return text;
  }

  private lastDistanceMm = Number.NaN;
  private lastDistanceT = Number.NaN;
  private recedingMmS = 0;

  /** How fast the distance to the nearest zone grows, averaged over RECEDING_AVERAGE_S (mm/s). */
  private recedingSpeed(t: number, d: number): number {
    const dt = t - this.lastDistanceT;
    if (dt > 0 && dt < 0.5) this.recedingMmS += Math.min(1, dt / RECEDING_AVERAGE_S) * ((d - this.lastDistanceMm) / dt - this.recedingMmS);
    else if (!(dt >= 0)) this.recedingMmS = 0; // first sample, or after a gap: unknown
    this.lastDistanceMm = d;
    this.lastDistanceT = t;
    return this.recedingMmS;
  }

  /** The distance in the text: whole mm, changing only by at least the text hysteresis. */
  private shown(route: ZoneRoute): number {
    const key = `${route.zone.id}/${route.instruction}`;
    const d = route.distanceMm;
    if (key !== this.shownKey || Math.abs(d - this.shownMm) >= this.o.textHysteresisMm) {
      this.shownKey = key;
      this.shownMm = Math.max(1, Math.round(d));
    }
    return this.shownMm;
  }
}
