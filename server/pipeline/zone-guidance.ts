// From a tip position on the tree to target-zone guidance: the zone state (in, approaching,
// outside, none-accessible), the along-tree distance to the nearest target zone (withdrawing to a
// junction and entering another branch counts the whole path), the instruction with its text, dwell
// time in the zone, hysteresis so nothing flickers at a zone border, and honesty when confidence is
// low (the instruction says so instead of guessing).

import type { Instruction, ZoneState } from '../../protocol/index.ts';
import type { TargetZone } from '../twin/target-zones.ts';
import type { Twin } from '../twin/twin.ts';
import { junctionDistanceMm } from '../twin/vein-tree.ts';
import { ARC, BRANCH, FIELDS, IN_TREE, RESPONSE, SEGMENT, type LeadPlaces } from './lead-placement.ts';
import type { ExcludedSpan } from './zone-exclusions.ts';

export interface GuidanceOptions {
  /** Leave a zone only after being beyond the exit margin this long (residual cardiac motion along the vein), s. */
  exitHoldS: number;
  /**
   * A new instruction (advance ↔ withdraw, another zone or branch) shows only once it held this long, s.
   * A change of state alone (approaching ↔ outside) does not wait for a point observation's place:
   * the approach margins keep it from flickering, and waiting made it lag by this long at every turn
   * (zone agreement, training seeds 1–4, pooled EAM 0.9901 → 0.9923 demo, 0.9930 → 0.9942 second
   * heart; turns a minute unchanged).
   */
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
  /**
   * For a point observation's place (EAM, two views) the threshold has this band either side: an
   * instruction on screen is withheld below minConfidence − band, a withheld one shows again from
   * minConfidence + band. In motion the confidence hovers about the threshold, and without a band
   * the LOW CONFIDENCE banner came and went about once a second with the same instructions right
   * or wrong either side of it (training seeds 1–4, EAM, demo `physiological`: 67 → 30 turns a
   * minute at 0.05, right instructions shown 66.1 → 66.0 %, wrong ones 0.458 → 0.454 %).
   */
  confidenceBand: number;
  /**
   * ... unless the place could be off by clearMarginMm along the tree without changing what the
   * instruction says (no zone border, junction or equally near other target that close): then it
   * is withheld only below this. Never at or below a held place's claim (0.2: a miss, a spike, an
   * unconfirmed restart), nor when the registration is what lowered the confidence.
   */
  minConfidenceClear: number;
  clearMarginMm: number;
  /**
   * ... and only once the place has moved as a lead moves for this long (s): no jump along the
   * tree of more than clearJumpMm from one sample to the next, no change of branch. (A place that
   * jumped into a side branch is off by more than a few mm when it is wrong: demo EAM, seed 55,
   * the place sent 11 mm on into the posterior vein in one sample while the lead stayed in the
   * sinus, shown there for 2 s at confidence 0.25–0.39.)
   */
  clearSettledS: number;
  clearJumpMm: number;
  /** The distance shown in the text moves in whole mm and only when it changed by at least this. */
  textHysteresisMm: number;
  /** A phrenic capture rules out the vein this far either side of the electrode that captured, mm. */
  phrenicExclusionHalfMm: number;
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
  confidenceBand: 0.05,
  minConfidenceClear: 0.25,
  clearMarginMm: 12,
  clearSettledS: 2,
  clearJumpMm: 3,
  textHysteresisMm: 2,
  phrenicExclusionHalfMm: 5,
};

export interface ZoneRoute {
  zone: TargetZone;
  distanceMm: number;
  instruction: Exclude<Instruction, 'none'>;
  /** Withdrawal to the junction (for switch-branch), then the advance into the zone's branch. */
  withdrawMm: number;
  advanceMm: number;
  /** The electrode (0-based) this route brings into the zone; 0 for the tip. */
  electrode: number;
}

export interface ZoneDecision {
  state: ZoneState;
  zoneId?: string;
  distanceMm?: number;
  dwellS?: number;
  instruction: Instruction;
  targetBranch?: string;
  text: string;
  /** Why the zone is what it is, when a measurement changed it (e.g. a phrenic capture here). */
  note?: string;
  /** The electrode (0-based) in the zone or being brought to it; 0 for the tip. */
  electrode?: number;
}

/**
 * Routes from a point on the tree to each zone. For each zone the path goes up from the tip to
 * where the tip's root path meets the zone branch's root path (M, at arc m), then along it to the
 * nearest point of the zone interval: distance = (s − m) + |clamp(m, start, end) − m|.
 */
export class ZoneRouter {
  /** Per zone: nodes on the root path to the zone branch's last node. */
  private readonly onPath: Uint8Array[];

  constructor(private readonly twin: Twin, private readonly zones: readonly TargetZone[] = twin.zones) {
    const v = twin.veins;
    this.onPath = zones.map((z) => {
      const mark = new Uint8Array(v.nodeCount);
      const nodes = v.branches[z.branch]!.nodes;
      for (let n = nodes[nodes.length - 1]!; n >= 0; n = v.parent[n]!) mark[n] = 1;
      return mark;
    });
  }

  route(zoneIndex: number, segment: number, arcMm: number): ZoneRoute {
    const v = this.twin.veins;
    const zone = this.zones[zoneIndex]!;
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
        ? { zone, distanceMm: along, instruction: along > 0 ? 'advance' : 'hold', withdrawMm: 0, advanceMm: along, electrode: 0 }
        : { zone, distanceMm: -along, instruction: 'withdraw', withdrawMm: -along, advanceMm: 0, electrode: 0 };
    }
    if (along > 1e-9) return { zone, distanceMm: up + along, instruction: 'switch-branch', withdrawMm: up, advanceMm: along, electrode: 0 };
    return { zone, distanceMm: up - along, instruction: 'withdraw', withdrawMm: up - along, advanceMm: 0, electrode: 0 };
  }
}

const upper = (s: string): string => s.toUpperCase();
const STATE_CODE: Record<ZoneState, number> = { in: 0, approaching: 1, outside: 2, 'none-accessible': 3 };
const INSTRUCTION_CODE: Record<Instruction, number> = { none: 0, hold: 1, advance: 2, withdraw: 3, 'switch-branch': 4 };
/** Scratch for one decision: the nearest zone's distance per instruction code (not state: never in a checkpoint). */
const NEAREST_BY_INSTRUCTION = new Float64Array(Object.keys(INSTRUCTION_CODE).length);
/** The receding speed is a moving average over this long (s): half a heartbeat or so. */
const RECEDING_AVERAGE_S = 0.5;

/** Per-procedure guidance state: zone membership with hysteresis, dwell, the shown distance. */
export class ZoneGuide {
  private readonly o: GuidanceOptions;
  private router: ZoneRouter;
  /** The zones this procedure can use: the twin's, less what measurements ruled out. */
  private zones: readonly TargetZone[];
  private excluded: readonly ExcludedSpan[] = [];
  private inZone = -1;
  /** Which electrode (0: the tip) holds the zone the lead is in. */
  private inElectrode = 0;
  private enteredAt = 0;
  /** When the tip was first seen beyond the exit margin of the zone it is in (NaN: it is not). */
  private outsideSince = NaN;
  /** The instruction on screen, and a different one waiting to have held for instructionHoldS. */
  /** Whether the last decision withheld the instruction (nothing shown yet counts: the first must clear the upper bar). */
  private withheld = true;
  private held: ZoneDecision | null = null;
  private approaching = false;
  private heldKey = -1;
  private pendingKey = -1;
  /** The last instruction text and what it said, reused while it says the same (no new string per sample). */
  private lastText = '';
  private lastTextKey = -1;
  private readonly upperNames: string[];
  private pendingSince = Number.NaN; // (set before it is read; a double from the start, so storing a time never changes the object's layout)
  private shownMm = -1;
  private shownKey = '';
  /** The place at the last decision, and since when it has moved as a lead moves (no jump, no branch change). */
  private lastBranch = -1;
  private lastArc = Number.NaN;
  private movedSince = Number.NaN;

  constructor(private readonly twin: Twin, options: Partial<GuidanceOptions> = {}) {
    this.o = { ...DEFAULT_GUIDANCE_OPTIONS, ...options };
    this.zones = twin.zones;
    this.router = new ZoneRouter(twin, this.zones);
    this.upperNames = twin.veins.branches.map((b) => upper(b.name));
  }

  get options(): Readonly<GuidanceOptions> {
    return this.o;
  }

  get usableZones(): readonly TargetZone[] {
    return this.zones;
  }

  /** The zones changed (a measurement ruled a stretch out): membership starts afresh. */
  setZones(zones: readonly TargetZone[], excluded: readonly ExcludedSpan[]): void {
    this.zones = zones;
    this.excluded = excluded;
    this.router = new ZoneRouter(this.twin, zones);
    this.reset();
  }

  reset(): void {
    this.lastDistanceT = Number.NaN;
    this.recedingMmS = 0;
    this.inZone = -1;
    this.inElectrode = 0;
    this.outsideSince = NaN;
    this.held = null;
    this.approaching = false;
    this.shownMm = -1;
    this.shownKey = '';
    this.lastBranch = -1;
    this.lastArc = Number.NaN;
    this.movedSince = Number.NaN;
    this.withheld = true;
  }

  private contains(zone: TargetZone, branch: number, arc: number, margin: number): boolean {
    if (zone.branch !== branch) return false;
    const half = zone.endArcMm - zone.startArcMm < 1e-9 ? this.o.pointZoneHalfWidthMm : 0;
    return arc >= zone.startArcMm - half - margin && arc <= zone.endArcMm + half + margin;
  }

  /** The zone (index) an electrode's place is in, -1 for none (entering: no margin). */
  zoneAt(branch: number, arc: number, margin = 0): number {
    for (let k = 0; k < this.zones.length; k++) if (this.contains(this.zones[k]!, branch, arc, margin)) return k;
    return -1;
  }

  /** Is this place in a stretch a measurement ruled out? */
  isExcluded(branch: number, arc: number): boolean {
    for (const s of this.excluded) if (s.branch === branch && arc >= s.startArcMm && arc <= s.endArcMm) return true;
    return false;
  }

  /** Along-tree distance from the tip to a zone (a single-site zone counts its half width). */
  private alongTreeMm(zone: number, segment: number, arcMm: number): number {
    const z = this.zones[zone]!;
    const half = z.endArcMm - z.startArcMm < 1e-9 ? this.o.pointZoneHalfWidthMm : 0;
    return Math.max(0, this.router.route(zone, segment, arcMm).distanceMm - half);
  }

  /** Where electrode e is (the tip itself when there is no lead, or for e = 0 without one). */
  private at(e: number, lead: LeadPlaces | null, branch: number, segment: number, arcMm: number): [inTree: boolean, branch: number, segment: number, arc: number] {
    if (!lead || e >= lead.count) return [true, branch, segment, arcMm];
    const d = lead.data, o = e * FIELDS;
    return [d[o + IN_TREE] === 1, d[o + BRANCH]!, d[o + SEGMENT]!, d[o + IN_TREE] === 1 ? d[o + ARC]! : -0];
  }

  /**
   * `lowBecause`: what lowered the confidence when it is low: a poor registration (the twin and
   * the feed do not line up) or the tracking itself (the tip's place is uncertain: motion not yet
   * learnt, beside a fork, a spike): the physician's remedy differs.
   * `lead`: where the lead's electrodes are; any of them in a zone holds the lead there, and a
   * zone the lead has passed is reached by the electrode that needs the least movement.
   * `fromPoint`: the place comes from a point observation (EAM or two views), whose error is a few
   * mm along the vessel at most: an instruction clear of every boundary by clearMarginMm may show
   * down to minConfidenceClear, and a change of state alone shows at once. One view's place can
   * swing along its vein by more: neither.
   */
  decide(t: number, branch: number, segment: number, arcMm: number, confidence: number, lowBecause: 'registration' | 'tracking' = 'tracking', lead: LeadPlaces | null = null, fromPoint = true): ZoneDecision {
    const lowText = lowBecause === 'registration' ? 'LOW CONFIDENCE: CHECK REGISTRATION' : 'LOW CONFIDENCE: TIP POSITION UNCERTAIN';
    const zones = this.zones;
    if (zones.length === 0) {
      if (this.twin.zones.length > 0) return { state: 'none-accessible', instruction: 'none', text: 'NO USABLE TARGET ZONE LEFT', note: 'PHRENIC CAPTURE RULED OUT EVERY TARGET ZONE' };
      return { state: 'none-accessible', instruction: 'none', text: 'NO ACCESSIBLE RESPONDER SITE IN THIS TWIN' };
    }
    const electrodes = lead ? lead.count : 1;
    // Membership with hysteresis in space and time: enter when inside; leave only after staying
    // beyond the exit margin for exitHoldS (a heartbeat's residual swing along the vein is not an exit).
    if (this.inZone >= 0) {
      const [inTree, b, seg, arc] = this.at(this.inElectrode, lead, branch, segment, arcMm);
      // Near: within the exit margin along the tree, so a tip the tracker puts a millimetre up the
      // parent branch at the zone's junction has not left the zone.
      if (inTree && (this.contains(zones[this.inZone]!, b, arc, this.o.exitMarginMm) || this.alongTreeMm(this.inZone, seg, arc) <= this.o.exitMarginMm)) this.outsideSince = NaN;
      else if (Number.isNaN(this.outsideSince)) this.outsideSince = t;
      if (!Number.isNaN(this.outsideSince) && t - this.outsideSince >= this.o.exitHoldS) {
        this.inZone = -1;
        this.outsideSince = NaN;
      }
    }
    if (this.inZone < 0 || this.inElectrode !== 0) {
      // The tip first (it is what the physician steers); else the electrode in a zone with the highest p.
      let k = this.zoneAt(branch, arcMm);
      let e = 0;
      if (k < 0 && lead) {
        let bestP = -1;
        for (let i = 0; i < lead.count; i++) {
          const o = i * FIELDS;
          if (lead.data[o + IN_TREE] !== 1) continue;
          const z = this.zoneAt(lead.data[o + BRANCH]!, lead.data[o + ARC]!);
          if (z >= 0 && lead.data[o + RESPONSE]! > bestP) { bestP = lead.data[o + RESPONSE]!; k = z; e = i; }
        }
      }
      // An electrode already holding a zone keeps it until it leaves (no flicker between electrodes); the tip takes over.
      if (k >= 0 && (this.inZone < 0 || e === 0)) {
        if (this.inZone !== k) this.enteredAt = t;
        this.inZone = k;
        this.inElectrode = e;
        this.outsideSince = NaN;
      }
    }
    // The stricter threshold unless the place is clear of everything a few mm would change.
    if (branch !== this.lastBranch || !(Math.abs(arcMm - this.lastArc) <= this.o.clearJumpMm)) this.movedSince = t;
    this.lastBranch = branch;
    this.lastArc = arcMm;
    const band = fromPoint ? (this.withheld ? this.o.confidenceBand : -this.o.confidenceBand) : 0;
    const threshold = this.o.minConfidence + band;
    const mayRelax = fromPoint && t - this.movedSince >= this.o.clearSettledS && lowBecause === 'tracking' && confidence < threshold && confidence >= this.o.minConfidenceClear;
    let low = confidence < threshold;
    const note = this.isExcluded(branch, arcMm) ? 'PHRENIC CAPTURE HERE: THIS STRETCH IS RULED OUT' : undefined;
    if (this.inZone >= 0) {
      this.held = null;
      this.approaching = true; // leaving a zone, the tip is next to it
      const zone = zones[this.inZone]!;
      const dwellS = Math.max(0, t - this.enteredAt);
      const e = this.inElectrode;
      if (mayRelax && e === 0 && zone.branch === branch && Math.min(arcMm - zone.startArcMm, zone.endArcMm - arcMm, junctionDistanceMm(this.twin.veins, branch, arcMm)) >= this.o.clearMarginMm) low = false;
      this.withheld = low;
      return {
        state: 'in',
        zoneId: zone.id,
        distanceMm: 0,
        dwellS,
        instruction: low ? 'none' : 'hold',
        text: low ? lowText : e === 0 ? 'IN TARGET ZONE' : this.holdText(e),
        electrode: e,
        ...(note ? { note } : {}),
      };
    }
    let best: ZoneRoute | null = null;
    const nearest = NEAREST_BY_INSTRUCTION.fill(Infinity);
    for (let k = 0; k < zones.length; k++) {
      const r = this.router.route(k, segment, arcMm);
      const code = INSTRUCTION_CODE[r.instruction];
      if (r.distanceMm < nearest[code]!) nearest[code] = r.distanceMm;
      if (!best || r.distanceMm < best.distanceMm - 1e-9) best = r;
      // A zone the tip has passed on its own path: an electrode behind the tip may reach it with less movement.
      if (r.instruction !== 'withdraw' || !lead) continue;
      for (let e = 1; e < electrodes; e++) {
        const [inTree, , seg, arc] = this.at(e, lead, branch, segment, arcMm);
        const re = inTree ? this.router.route(k, seg, arc) : this.router.route(k, this.twin.veins.root, arc);
        if (re.instruction === 'switch-branch') continue;
        if (re.distanceMm < best.distanceMm - 1e-9) best = { ...re, electrode: e };
      }
    }
    const route = best!;
    const zoneBranch = this.twin.veins.branches[route.zone.branch]!;
    // A lead being withdrawn steadily is leaving, not swinging with the heartbeat: its margin is
    // the narrow one. The heartbeat's swing, averaged over half a second, never looks that steady.
    const receding = this.recedingSpeed(t, route.distanceMm) >= this.o.recedingMmS;
    const margin = receding ? this.o.recedingMarginMm : this.o.approachMarginMm;
    this.approaching = route.distanceMm <= this.o.approachMm + (this.approaching ? margin : 0);
    const state: ZoneState = this.approaching ? 'approaching' : 'outside';
    const decision: ZoneDecision = { state, zoneId: route.zone.id, distanceMm: Math.round(route.distanceMm * 10) / 10, instruction: route.instruction, targetBranch: zoneBranch.id, text: '', electrode: route.electrode };
    if (note) decision.note = note;
    // The nearest other target that says another instruction: a place off by half the difference names it.
    let rival = Infinity;
    const code = INSTRUCTION_CODE[route.instruction];
    for (let c = 0; c < nearest.length; c++) if (c !== code) rival = Math.min(rival, nearest[c]!);
    // Outside a zone: the way there holds while the place is off by less than the distance to the
    // zone, to the nearest junction, and to the point where another target with another
    // instruction is as near. (Only the tip's own route: an electrode's is left strict.)
    if (mayRelax && route.electrode === 0 && Math.min(route.distanceMm, junctionDistanceMm(this.twin.veins, branch, arcMm), (rival - route.distanceMm) / 2) >= this.o.clearMarginMm) low = false;
    this.withheld = low;
    if (low) {
      // Saying that confidence is low is never delayed (only its threshold has a band).
      this.held = null;
      decision.instruction = 'none';
      decision.text = lowText;
      return decision;
    }
    const mm = this.shown(route);
    decision.text = this.textFor(route, zoneBranch.index === branch, route.instruction === 'switch-branch' ? Math.max(1, Math.round(route.withdrawMm)) : mm);
    // At a junction the tracked tip can sit a millimetre either side of it from one sample to the
    // next ("ADVANCE 2 mm INTO …" ↔ "WITHDRAW 1 mm, THEN …"): a changed instruction waits until it
    // held (and keeps the state it was shown with meanwhile). For a point observation the state
    // alone is not in the key: the approach margins hold it. One view's place jumps further, and
    // its state waits too (validation seeds 7–10, single plane, without: turns 5.1 → 6.3 a minute).
    // (A number, not a string: this runs for every sample.)
    const key = ((((fromPoint ? 0 : STATE_CODE[state] * 1024) + zones.indexOf(route.zone)) * 8 + INSTRUCTION_CODE[route.instruction]) * 65536 + zoneBranch.index) * 16 + route.electrode;
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

  private readonly holdTexts: string[] = [];
  private holdText(e: number): string {
    return (this.holdTexts[e] ??= `HOLD: ELECTRODE ${e + 1} IN TARGET ZONE`);
  }

  private textFor(route: ZoneRoute, onZoneBranch: boolean, mm: number): string {
    const branch = route.zone.branch;
    const key = (((INSTRUCTION_CODE[route.instruction] * 2 + (onZoneBranch ? 1 : 0)) * 65536 + branch) * 100000 + mm) * 16 + route.electrode;
    if (key === this.lastTextKey) return this.lastText;
    const name = this.upperNames[branch]!;
    let text: string;
    if (route.electrode > 0) text = `${route.instruction === 'advance' ? 'ADVANCE' : 'WITHDRAW'} ${mm} mm: ELECTRODE ${route.electrode + 1} TO ZONE`;
    else if (route.instruction === 'advance') text = onZoneBranch ? `ADVANCE ${mm} mm` : `ADVANCE ${mm} mm INTO ${name}`;
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
    const key = `${route.zone.id}/${route.instruction}/${route.electrode}`;
    const d = route.distanceMm;
    if (key !== this.shownKey || Math.abs(d - this.shownMm) >= this.o.textHysteresisMm) {
      this.shownKey = key;
      this.shownMm = Math.max(1, Math.round(d));
    }
    return this.shownMm;
  }
}
