// Scripted implant scenarios on a twin: the lead enters at the CS ostium, advances, probes
// branches, reaches or misses target zones, pulls back. A scenario is a list of moves and dwells;
// its trajectory gives the lead's true place on the tree at any time.

import { TwinguideError } from '../../protocol/index.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { Random } from '../twin/random.ts';
import { placeOnBranch, route, type RoutePoint, type TreePlace } from './tree-route.ts';

export type ScenarioStep = { kind: 'move'; to: TreePlace; speedMmS: number; label: string } | { kind: 'dwell'; seconds: number; label: string };

export interface ScenarioPlan {
  name: string;
  description: string;
  steps: ScenarioStep[];
  /** The feed kind the scenario is meant for (a scenario can also be run with another). */
  feed: 'eam' | 'fluoro-single' | 'fluoro-biplane';
  /** Repeat forever (the `loop` demo). */
  loop: boolean;
}

export const SCENARIO_NAMES = ['reach-lateral-zone', 'wrong-branch-then-correct', 'no-accessible-site', 'dropout-and-recover', 'fluoro-single-plane', 'fluoro-biplane', 'tour', 'loop'] as const;
export type ScenarioName = (typeof SCENARIO_NAMES)[number];

const ADVANCE = 8; // mm/s: a steady advance of an LV lead
const WITHDRAW = 10;

function ostium(twin: Twin): TreePlace {
  const root = twin.veins.root;
  const first = twin.veins.branches.find((b) => b.nodes[0] === root)!;
  return { segment: first.nodes[1]!, t: 0 };
}

/** The target zone on the most lateral branch (the usual CRT target); null when there is none. */
function targetZone(twin: Twin): { place: TreePlace; label: string } | null {
  if (twin.zones.length === 0) return null;
  const rank = (kind: string): number => (kind === 'lateral' ? 0 : kind === 'posterolateral' ? 1 : 2);
  const zone = [...twin.zones].sort((a, b) => rank(twin.veins.branches[a.branch]!.kind) - rank(twin.veins.branches[b.branch]!.kind) || b.endArcMm - b.startArcMm - (a.endArcMm - a.startArcMm))[0]!;
  return { place: placeOnBranch(twin, zone.branchId, (zone.startArcMm + zone.endArcMm) / 2), label: `zone ${zone.id}` };
}

/** A tributary without a zone, `fraction` of the way along it. */
function otherBranch(twin: Twin, fraction: number, prefer: string[]): { place: TreePlace; label: string } {
  const zoneBranches = new Set(twin.zones.map((z) => z.branch));
  const candidates = twin.veins.branches.filter((b) => b.parentBranch >= 0 && !zoneBranches.has(b.index));
  candidates.sort((a, b) => (prefer.indexOf(a.kind) + 99) % 100 - ((prefer.indexOf(b.kind) + 99) % 100) || a.index - b.index);
  const b = candidates[0];
  if (!b) throw new TwinguideError('TG_ERR_USAGE', 'the twin has no tributary without a zone for this scenario');
  return { place: placeOnBranch(twin, b.id, b.startArcMm + fraction * b.lengthMm), label: b.name };
}

export function scenarioPlan(twin: Twin, name: ScenarioName): ScenarioPlan {
  const start = ostium(twin);
  const zone = targetZone(twin);
  const needZone = (): { place: TreePlace; label: string } => {
    if (!zone) throw new TwinguideError('TG_ERR_USAGE', `scenario '${name}' needs a twin with a target zone; '${twin.meta.id}' has none (try no-accessible-site)`);
    return zone;
  };
  const reach = (): ScenarioStep[] => [
    { kind: 'dwell', seconds: 1.5, label: 'at the CS ostium' },
    { kind: 'move', to: needZone().place, speedMmS: ADVANCE, label: `advance to ${needZone().label}` },
    { kind: 'dwell', seconds: 6, label: 'hold in the zone' },
  ];
  switch (name) {
    case 'reach-lateral-zone':
      return { name, description: 'enter the CS, advance into the lateral target zone and hold there', steps: reach(), feed: 'eam', loop: false };
    case 'dropout-and-recover':
      return { name, description: 'as reach-lateral-zone, with the feed dropping out for 1.5 s during the advance', steps: reach(), feed: 'eam', loop: false };
    case 'fluoro-single-plane':
      return { name, description: 'reach the lateral zone seen in one fluoroscopic view (LAO 30)', steps: reach(), feed: 'fluoro-single', loop: false };
    case 'fluoro-biplane':
      return { name, description: 'reach the lateral zone seen in two views (LAO 30 / RAO 30)', steps: reach(), feed: 'fluoro-biplane', loop: false };
    case 'wrong-branch-then-correct': {
      const wrong = otherBranch(twin, 0.5, ['posterior', 'middle-cardiac', 'anterior-interventricular', 'other']);
      return {
        name,
        description: 'advance into a branch without a zone, withdraw to the junction, take the branch with the zone',
        steps: [
          { kind: 'dwell', seconds: 1, label: 'at the CS ostium' },
          { kind: 'move', to: wrong.place, speedMmS: ADVANCE, label: `advance into the ${wrong.label}` },
          { kind: 'dwell', seconds: 2, label: 'no zone here' },
          { kind: 'move', to: needZone().place, speedMmS: ADVANCE, label: `withdraw and take ${needZone().label}` },
          { kind: 'dwell', seconds: 5, label: 'hold in the zone' },
        ],
        feed: 'eam',
        loop: false,
      };
    }
    case 'no-accessible-site': {
      const lateral = twin.veins.branches.find((b) => b.kind === 'lateral') ?? twin.veins.branches.find((b) => b.kind === 'posterolateral') ?? twin.veins.branches[twin.veins.branches.length - 1]!;
      return {
        name,
        description: 'probe the lateral vein of a twin with no accessible responder site, then pull back',
        steps: [
          { kind: 'dwell', seconds: 1, label: 'at the CS ostium' },
          { kind: 'move', to: placeOnBranch(twin, lateral.id, lateral.startArcMm + 0.7 * lateral.lengthMm), speedMmS: ADVANCE, label: `probe the ${lateral.name}` },
          { kind: 'dwell', seconds: 3, label: 'nothing to gain here' },
          { kind: 'move', to: start, speedMmS: WITHDRAW, label: 'pull back to the ostium' },
        ],
        feed: 'eam',
        loop: false,
      };
    }
    case 'tour':
    case 'loop': {
      // Every tributary to 60 % of its length and back, then the zone (when there is one).
      const steps: ScenarioStep[] = [{ kind: 'dwell', seconds: 1, label: 'at the CS ostium' }];
      for (const b of twin.veins.branches.filter((x) => x.parentBranch >= 0)) {
        steps.push({ kind: 'move', to: placeOnBranch(twin, b.id, b.startArcMm + 0.6 * b.lengthMm), speedMmS: ADVANCE, label: `probe the ${b.name}` });
        steps.push({ kind: 'dwell', seconds: 1, label: 'look' });
      }
      if (zone) steps.push({ kind: 'move', to: zone.place, speedMmS: ADVANCE, label: `advance to ${zone.label}` }, { kind: 'dwell', seconds: 4, label: 'hold in the zone' });
      steps.push({ kind: 'move', to: start, speedMmS: WITHDRAW, label: 'back to the ostium' });
      return { name, description: name === 'loop' ? 'visit every branch and the zone, over and over (demo)' : 'visit every branch, then the zone', steps, feed: 'eam', loop: name === 'loop' };
    }
  }
}

/** The lead's true place over time for a plan. */
export class Trajectory {
  private readonly times: number[] = [];
  private readonly points: RoutePoint[] = [];
  readonly durationS: number;
  readonly phases: { t: number; label: string }[] = [];

  constructor(twin: Twin, readonly plan: ScenarioPlan, start?: TreePlace) {
    let t = 0;
    let at = start ?? ostium(twin);
    const first = route(twin, at, at)[0]!;
    this.times.push(0);
    this.points.push(first);
    for (const step of plan.steps) {
      this.phases.push({ t, label: step.label });
      if (step.kind === 'dwell') {
        t += step.seconds;
        this.times.push(t);
        this.points.push(this.points[this.points.length - 1]!);
        continue;
      }
      const path = route(twin, at, step.to);
      for (let k = 1; k < path.length; k++) {
        const prev = path[k - 1]!, p = path[k]!;
        t += Math.hypot(p.x - prev.x, p.y - prev.y, p.z - prev.z) / step.speedMmS;
        this.times.push(t);
        this.points.push(p);
      }
      at = step.to;
    }
    this.durationS = t;
  }

  /** The true place at time t (loops when the plan loops; holds the end otherwise). */
  at(t: number): RoutePoint {
    let time = t;
    if (this.plan.loop && this.durationS > 0) time = t % this.durationS;
    if (time <= 0) return this.points[0]!;
    if (time >= this.durationS) return this.points[this.points.length - 1]!;
    let lo = 0, hi = this.times.length - 1;
    while (hi - lo > 1) {
      const mid = (lo + hi) >> 1;
      if (this.times[mid]! <= time) lo = mid;
      else hi = mid;
    }
    const a = this.points[lo]!, b = this.points[hi]!;
    const span = this.times[hi]! - this.times[lo]!;
    const f = span > 0 ? (time - this.times[lo]!) / span : 0;
    if (a.segment === b.segment || f < 0.5) {
      return { ...a, x: a.x + f * (b.x - a.x), y: a.y + f * (b.y - a.y), z: a.z + f * (b.z - a.z), arcLengthMm: a.segment === b.segment ? a.arcLengthMm + f * (b.arcLengthMm - a.arcLengthMm) : a.arcLengthMm };
    }
    return b;
  }
}

/**
 * The same plan with the lead straying into the wrong vein at forks, as it often does: at a fork
 * the route advances through, with probability `chance`, it first goes 5–25 mm into another vein
 * there and comes back. Deterministic for a seed.
 */
export function withExcursions(twin: Twin, plan: ScenarioPlan, seed: number, lengthMm: [number, number] = [5, 25], chance = 0.7): ScenarioPlan {
  const v = twin.veins;
  const random = new Random(seed * 7907 + 3);
  const steps: ScenarioStep[] = [];
  let at = ostium(twin);
  for (const step of plan.steps) {
    if (step.kind !== 'move') {
      steps.push(step);
      continue;
    }
    const path = route(twin, at, step.to);
    for (let k = 1; k < path.length; k++) {
      const prev = path[k - 1]!.segment, next = path[k]!.segment;
      // Advancing through node `prev` into its child `next`, where `prev` has other children.
      if (next === prev || v.parent[next] !== prev) continue;
      const others: number[] = [];
      for (let c = v.childStart[prev]!; c < v.childStart[prev + 1]!; c++) if (v.children[c] !== next) others.push(v.children[c]!);
      if (others.length === 0 || random.next() >= chance) continue;
      const other = others[Math.floor(random.next() * others.length)]!;
      const branch = v.branches[v.segmentBranch[other]!]!;
      const fork: TreePlace = { segment: next, t: 0 };
      const stray = placeOnBranch(twin, branch.id, v.arcLengthMm[prev]! + random.range(lengthMm[0], lengthMm[1]));
      steps.push(
        { kind: 'move', to: fork, speedMmS: step.speedMmS, label: `${step.label}: at the fork` },
        { kind: 'move', to: stray, speedMmS: step.speedMmS, label: `astray into the ${branch.name}` },
        { kind: 'move', to: fork, speedMmS: step.speedMmS, label: 'back to the fork' },
      );
    }
    steps.push(step);
    at = step.to;
  }
  return { ...plan, name: `${plan.name}+excursions`, description: `${plan.description}, straying into the wrong vein at forks`, steps };
}
