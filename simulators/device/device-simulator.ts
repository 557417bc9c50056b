// The device simulator: a lead following a scenario on a twin, seen by an EAM system (3D points in
// its own frame, offset from the twin by a known rigid transform) or by fluoroscopy (2D detections
// in one or two C-arm views). Cardiac and respiratory motion, noise, dropouts, gaps, timing jitter
// and reordering are all configurable; every sample carries its ground truth on a side channel.

import type { CArmGeometry, FeedSample, Instruction, PhysioSignal, ZoneState } from '../../protocol/index.ts';
import { projectPoint } from '../../server/pipeline/carm-geometry.ts';
import type { LeadInfo } from '../../protocol/index.ts';
import { ARC, BRANCH, FIELDS, IN_TREE, LeadPlacer, SEGMENT } from '../../server/pipeline/lead-placement.ts';
import { ZoneRouter } from '../../server/pipeline/zone-guidance.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { forksAt, nearestJunctionMm, renamesAt } from '../../server/twin/vein-tree.ts';
import { Random } from '../twin/random.ts';
import { HandWarp, type HandSpec } from './hand.ts';
import { DEFAULT_MOTION, HeartMotion, type MotionSpec } from './heart-motion.ts';
import { Trajectory, type ScenarioPlan } from './scenarios.ts';
import type { RoutePoint } from './tree-route.ts';
import { WallContact, type WallContactSpec } from './wall-contact.ts';

export type FeedKind = 'eam' | 'fluoro-single' | 'fluoro-biplane';

export interface DeviceOptions {
  feed: FeedKind;
  rateHz: number;
  seed: number;
  motion: MotionSpec;
  /** Measurement noise, standard deviation per axis (mm; for fluoro, at the isocentre). */
  noiseMm: number;
  /** Fraction of samples lost at random. */
  dropoutFraction: number;
  /** Feed silences: [start s, duration s]. */
  gaps: [number, number][];
  /** Transport delay: base and random extra (s); the extra reorders samples that are close in time. */
  latencyS: number;
  jitterS: number;
  /** Row-major 4×4 twin → source (EAM frame / C-arm frame). */
  twinToSource: readonly number[];
  views: CArmGeometry[];
  /** Stop after this long (s); defaults to the scenario's duration (infinite scenarios need it). */
  durationS?: number;
  /** The physician's hand: pushes, pauses and pull-backs instead of a steady advance (see hand.ts). */
  hand?: HandSpec;
  /** The lab's physiological signals on the feed: ECG R waves, and a respiratory amplitude at respirationHz. */
  signals?: {
    ecg: boolean; respiration: boolean; respirationHz?: number; ecgDelayS?: number;
    /** The respiratory amplitude stops at this time (s): a belt unplugged, a lost link. */
    respirationStopS?: number;
    /** The R waves stop at this time (s): an ECG lead off. */
    ecgStopS?: number;
  };
  /** Sensor spikes: this fraction of samples is off by spikeMm (uniform in the range, random direction). */
  spikeFraction?: number;
  spikeMm?: [number, number];
  /** The lead's electrode offsets from the tip (mm): the truth then holds when any electrode is in a zone, as the guidance does. */
  lead?: LeadInfo;
  /** The tip rests against the vein's wall instead of on its centreline (see wall-contact.ts); the truth is where it rests. */
  wallContact?: WallContactSpec;
}

export interface GroundTruth {
  seq: number;
  t: number;
  p: [number, number, number];
  branch: string;
  arcLengthMm: number;
  segment: number;
  zoneState: ZoneState;
  instruction: Instruction;
  /** Along-tree distance to the nearest zone border (how ambiguous the zone state is here). */
  borderMm: number;
  /** Along-tree distance to the nearest junction (how ambiguous the branch is here). */
  junctionMm: number;
  /** With the tip resting on the wall (wallContact): its place on the centreline, where p is the tip itself. */
  centrelineP?: [number, number, number];
}

export interface SimulatedSample {
  sample: FeedSample;
  /** When it reaches the server, s (same clock as t). */
  arrivalS: number;
  truth: GroundTruth;
}

export const LAO30: CArmGeometry = { alpha: 30, beta: 0, sid: 1000, sod: 750, pixelSpacing: [0.2, 0.2], size: [1024, 1024] };
export const RAO30: CArmGeometry = { alpha: -30, beta: 0, sid: 1000, sod: 750, pixelSpacing: [0.2, 0.2], size: [1024, 1024] };

/** Rotation about an axis by an angle, then a translation, as a row-major 4×4. */
export function rigidMatrix(axis: readonly [number, number, number], degrees: number, translation: readonly [number, number, number]): number[] {
  const n = Math.hypot(...axis);
  const [x, y, z] = [axis[0] / n, axis[1] / n, axis[2] / n];
  const a = (degrees * Math.PI) / 180, c = Math.cos(a), s = Math.sin(a), C = 1 - c;
  return [
    c + x * x * C, x * y * C - z * s, x * z * C + y * s, translation[0],
    y * x * C + z * s, c + y * y * C, y * z * C - x * s, translation[1],
    z * x * C - y * s, z * y * C + x * s, c + z * z * C, translation[2],
    0, 0, 0, 1,
  ];
}

export function invertRigid(m: readonly number[]): number[] {
  // Rᵀ and −Rᵀt (the rotation part may carry a uniform scale: divide it out twice).
  const s2 = m[0]! ** 2 + m[4]! ** 2 + m[8]! ** 2;
  const r = [m[0]!, m[4]!, m[8]!, m[1]!, m[5]!, m[9]!, m[2]!, m[6]!, m[10]!].map((v) => v / s2);
  const t = [m[3]!, m[7]!, m[11]!];
  return [r[0]!, r[1]!, r[2]!, -(r[0]! * t[0]! + r[1]! * t[1]! + r[2]! * t[2]!), r[3]!, r[4]!, r[5]!, -(r[3]! * t[0]! + r[4]! * t[1]! + r[5]! * t[2]!), r[6]!, r[7]!, r[8]!, -(r[6]! * t[0]! + r[7]! * t[1]! + r[8]! * t[2]!), 0, 0, 0, 1];
}

export function applyMatrix(m: readonly number[], p: readonly number[]): [number, number, number] {
  return [m[0]! * p[0]! + m[1]! * p[1]! + m[2]! * p[2]! + m[3]!, m[4]! * p[0]! + m[5]! * p[1]! + m[6]! * p[2]! + m[7]!, m[8]! * p[0]! + m[9]! * p[1]! + m[10]! * p[2]! + m[11]!];
}

/** Standard normal deviates (Box–Muller) from the seeded generator. */
export function gaussian(random: Random): number {
  const u = Math.max(1e-12, random.next());
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random.next());
}

/**
 * What a correct system would say at the true place: zone state and instruction, no hysteresis.
 * With a lead, the lead is in a zone when any electrode is (electrodes placed back along the true
 * path), and a zone the tip has passed is reached by whichever electrode needs the least movement.
 */
export class TruthOracle {
  private readonly router: ZoneRouter;
  private readonly placer: LeadPlacer;
  constructor(private readonly twin: Twin, private readonly approachMm = 10, private readonly pointZoneHalfWidthMm = 2, lead: LeadInfo | null = null) {
    this.router = new ZoneRouter(twin);
    this.placer = new LeadPlacer(twin);
    this.placer.lead = lead;
  }
  judge(point: RoutePoint): { zoneState: ZoneState; instruction: Instruction; borderMm: number; junctionMm: number } {
    const v = this.twin.veins;
    // Distance to the nearest junction along the tip's path (behind it toward the root, and ahead
    // of it down a single-child run): a node with two or more children, the ostium, or a node where
    // one branch's name gives way to the next (the CS becoming the great cardiac vein), since there
    // too the branch is told only by where along the vein the tip is.
    const junctionMm = nearestJunctionMm(v, point.segment, point.arcLengthMm, (n) => forksAt(v, n) || renamesAt(v, n), 30);
    if (this.twin.zones.length === 0) return { zoneState: 'none-accessible', instruction: 'none', borderMm: Infinity, junctionMm };
    let borderMm = Infinity;
    let inside = false;
    let best: ReturnType<ZoneRouter['route']> | null = null;
    this.twin.zones.forEach((z, k) => {
      const half = z.endArcMm - z.startArcMm < 1e-9 ? this.pointZoneHalfWidthMm : 0;
      if (z.branch === point.branch) {
        borderMm = Math.min(borderMm, Math.abs(point.arcLengthMm - (z.startArcMm - half)), Math.abs(point.arcLengthMm - (z.endArcMm + half)));
        if (point.arcLengthMm >= z.startArcMm - half && point.arcLengthMm <= z.endArcMm + half) inside = true;
      }
      const r = this.router.route(k, point.segment, point.arcLengthMm);
      if (!best || r.distanceMm < best.distanceMm - 1e-9) best = r;
      borderMm = Math.min(borderMm, Math.abs(r.distanceMm - this.approachMm));
    });
    if (inside) return { zoneState: 'in', instruction: 'hold', borderMm, junctionMm };
    let route = best!;
    const lead = this.placer.place(point.segment, point.arcLengthMm);
    if (lead) {
      const d = lead.data;
      for (let e = 1; e < lead.count; e++) {
        const o = e * FIELDS;
        const inTree = d[o + IN_TREE] === 1;
        const branch = d[o + BRANCH]!, arc = inTree ? d[o + ARC]! : 0;
        this.twin.zones.forEach((z, k) => {
          const half = z.endArcMm - z.startArcMm < 1e-9 ? this.pointZoneHalfWidthMm : 0;
          if (inTree && z.branch === branch) {
            borderMm = Math.min(borderMm, Math.abs(arc - (z.startArcMm - half)), Math.abs(arc - (z.endArcMm + half)));
            if (arc >= z.startArcMm - half && arc <= z.endArcMm + half) inside = true;
          }
          // Only a zone the tip has passed on its own path can be reached by an electrode behind it.
          if (this.router.route(k, point.segment, point.arcLengthMm).instruction !== 'withdraw') return;
          // Behind the ostium: its arc along the path is negative (the tip's arc less the electrode's offset).
          const r = inTree ? this.router.route(k, d[o + SEGMENT]!, arc) : this.router.route(k, this.twin.veins.root, point.arcLengthMm - this.placer.lead!.electrodeOffsetsMm[e]!);
          if (r.instruction !== 'switch-branch' && r.distanceMm < route.distanceMm - 1e-9) route = r;
        });
      }
      if (inside) return { zoneState: 'in', instruction: 'hold', borderMm, junctionMm };
    }
    return { zoneState: route.distanceMm <= this.approachMm ? 'approaching' : 'outside', instruction: route.instruction, borderMm, junctionMm };
  }
}

/** Samples in arrival order, each with its ground truth. */
export function* simulateDevice(twin: Twin, plan: ScenarioPlan, options: DeviceOptions): Generator<SimulatedSample> {
  const random = new Random(options.seed);
  const trajectory = new Trajectory(twin, plan);
  const motion = new HeartMotion(twin, { seed: options.seed, ...options.motion });
  const oracle = new TruthOracle(twin, 10, 2, options.lead ?? null);
  const hand = options.hand && !plan.loop ? new HandWarp(options.hand, options.seed, trajectory.durationS) : null;
  const duration = options.durationS ?? (plan.loop ? Infinity : hand ? hand.durationS : trajectory.durationS);
  const spikes = new Random(options.seed * 31337 + 5);
  const wall = options.wallContact ? new WallContact(twin, options.wallContact, options.seed) : null;
  const dt = 1 / options.rateHz;
  const displacement = [0, 0, 0];
  const pending: SimulatedSample[] = [];
  let seq = 0;
  for (let k = 0; ; k++) {
    const t = k * dt;
    if (t > duration) break;
    // (A lead resting on the wall moves a copy of the trajectory's point across the vein.)
    const onCentreline = trajectory.at(hand ? hand.planTime(t) : t);
    const truthPoint = wall ? { ...onCentreline } : onCentreline;
    wall?.apply(truthPoint, t);
    const inGap = options.gaps.some(([start, length]) => t >= start && t < start + length);
    const dropped = random.next() < options.dropoutFraction;
    const jitter = random.next() * options.jitterS;
    const noise = [gaussian(random), gaussian(random), gaussian(random), gaussian(random)];
    seq++; // seq counts acquisitions, so lost samples leave gaps the pipeline can see
    if (inGap || dropped) continue;
    motion.displacement([truthPoint.x, truthPoint.y, truthPoint.z], t, displacement);
    const moved = [truthPoint.x + displacement[0]!, truthPoint.y + displacement[1]!, truthPoint.z + displacement[2]!];
    if (spikes.next() < (options.spikeFraction ?? 0)) {
      // A sensor spike: a few mm off in a random direction, for this sample only.
      const [lo, hi] = options.spikeMm ?? [3, 5];
      const size = spikes.range(lo, hi);
      const d = [gaussian(spikes), gaussian(spikes), gaussian(spikes)];
      const n = Math.hypot(d[0]!, d[1]!, d[2]!) || 1;
      for (let i = 0; i < 3; i++) moved[i]! += (size * d[i]!) / n;
    }
    const judged = oracle.judge(onCentreline);
    const truth: GroundTruth = {
      ...(wall ? { centrelineP: [onCentreline.x, onCentreline.y, onCentreline.z] as [number, number, number] } : {}),
      seq, t, p: [truthPoint.x, truthPoint.y, truthPoint.z], branch: twin.veins.branches[truthPoint.branch]!.id, arcLengthMm: truthPoint.arcLengthMm, segment: truthPoint.segment, ...judged,
    };
    let sample: FeedSample;
    if (options.feed === 'eam') {
      const measured = moved.map((v, i) => v + options.noiseMm * noise[i]!);
      const p = applyMatrix(options.twinToSource, measured);
      sample = { type: 'tip', seq, t, p, quality: 'ok' };
    } else {
      const inCarm = applyMatrix(options.twinToSource, moved);
      const views = options.views.slice(0, options.feed === 'fluoro-biplane' ? 2 : 1).map((g, i) => {
        const uv = projectPoint(g, inCarm)!;
        // Detection noise: noiseMm at the isocentre, magnified onto the detector.
        const perPixel = (options.noiseMm * (g.sid / g.sod)) / g.pixelSpacing[1];
        return { u: uv[0] + perPixel * noise[i === 0 ? 0 : 2]!, v: uv[1] + perPixel * noise[i === 0 ? 1 : 3]!, geometry: g };
      });
      sample = { type: 'fluoro', seq, t, views, quality: 'ok' };
    }
    pending.push({ sample, arrivalS: t + options.latencyS + jitter, truth });
    // Release what can no longer be overtaken by a later sample (arrival order = delivery order).
    pending.sort((a, b) => a.arrivalS - b.arrivalS || a.sample.seq - b.sample.seq);
    while (pending.length > 0 && pending[0]!.arrivalS <= t + options.latencyS) yield pending.shift()!;
  }
  pending.sort((a, b) => a.arrivalS - b.arrivalS || a.sample.seq - b.sample.seq);
  yield* pending;
}

export function defaultDeviceOptions(feed: FeedKind, overrides: Partial<DeviceOptions> = {}): DeviceOptions {
  const fluoro = feed !== 'eam';
  return {
    feed,
    rateHz: fluoro ? 15 : 100,
    seed: 1,
    motion: DEFAULT_MOTION,
    noiseMm: 0.6, // per axis: ≈ 1 mm RMS in 3D
    dropoutFraction: 0.02,
    gaps: [],
    latencyS: 0.002,
    jitterS: fluoro ? 0.004 : 0.015,
    twinToSource: fluoro ? rigidMatrix([0, 0, 1], 0, [0, 0, 0]) : rigidMatrix([0.3, -0.5, 0.8], 25, [120, -60, 40]),
    views: [LAO30, RAO30],
    ...overrides,
  };
}

/** A physiological signal as the feed sends it, with its arrival time. */
export interface SimulatedSignal {
  signal: PhysioSignal;
  arrivalS: number;
}

/** A belt reads in its own units: an offset, and this much for a breath of depth 1 (the pipeline must depend on neither). */
export const BELT_OFFSET = 512;
export const BELT_UNITS = 300;

/** The belt's reading at t, arriving after the feed's latency. */
function beltReading(motion: HeartMotion, t: number, options: DeviceOptions): SimulatedSignal {
  return { signal: { type: 'respiration', t, amplitude: BELT_OFFSET + BELT_UNITS * motion.breathing(t) }, arrivalS: t + options.latencyS };
}

/** An R wave at t, arriving after QRS detection's delay. */
function rWaveReading(t: number, options: DeviceOptions): SimulatedSignal {
  return { signal: { type: 'rwave', t }, arrivalS: t + (options.signals?.ecgDelayS ?? 0.04) };
}

/**
 * The lab's signals in one window of time, appended to `out` unsorted: R waves in [from, to), belt
 * readings from `belt.t` on (a cursor carried from window to window, stepped by adding the interval)
 * while before `to`, or up to `to` itself with `lastWindow`. Each stops at its own stop time.
 */
function physioWindow(motion: HeartMotion, options: DeviceOptions, from: number, to: number, belt: { t: number }, lastWindow: boolean, out: SimulatedSignal[]): void {
  const signals = options.signals!;
  if (signals.ecg) for (const t of motion.rWaves(from, Math.min(to, signals.ecgStopS ?? Infinity))) out.push(rWaveReading(t, options));
  if (!signals.respiration) return;
  const dt = 1 / (signals.respirationHz ?? 25), stop = signals.respirationStopS ?? Infinity;
  for (; belt.t <= stop && (belt.t < to || (lastWindow && belt.t === to)); belt.t += dt) out.push(beltReading(motion, belt.t, options));
}

/**
 * The same signals as simulatePhysio, without an end (a live feed that loops): produced a window at a
 * time, each window in arrival order (an item's delay is well under a window, so across windows the
 * order holds to within that delay).
 */
export function* physioStream(twin: Twin, options: DeviceOptions, windowS = 10): Generator<SimulatedSignal> {
  if (!options.signals) return;
  const motion = new HeartMotion(twin, { seed: options.seed, ...options.motion });
  const belt = { t: 0 };
  for (let from = 0; ; from += windowS) {
    const out: SimulatedSignal[] = [];
    physioWindow(motion, options, from, from + windowS, belt, false, out);
    yield* out.sort((a, b) => a.arrivalS - b.arrivalS);
  }
}

/**
 * The ECG's R waves and the respiratory amplitude that the same simulated heart and breathing
 * (same seed and spec as simulateDevice) produce over [0, durationS], in arrival order. R waves
 * arrive ecgDelayS after they happen (QRS detection), the amplitude as it is sampled.
 */
export function simulatePhysio(twin: Twin, options: DeviceOptions, durationS: number): SimulatedSignal[] {
  const out: SimulatedSignal[] = [];
  if (!options.signals) return out;
  physioWindow(new HeartMotion(twin, { seed: options.seed, ...options.motion }), options, 0, durationS, { t: 0 }, true, out);
  return out.sort((a, b) => a.arrivalS - b.arrivalS);
}
