// Before the first procedure: a synthetic procedure through throwaway pipelines, so that V8 has
// compiled the pipeline's paths (a push, a pause, a pull-back, a change of branch, a full motion
// spectrum, one and two fluoroscopic views) before a patient's samples take them. Cold, the first
// minute of the first procedure runs rare paths in the interpreter and recompiles code that met a
// new case: measured with `npm run bench:pipeline`, a cold process's p99 per sample is about 1.5×
// a warmed one's. The pipeline is pure, so this changes no message, only when code is compiled.
//
// The procedure is made here, from the twin's own tree, not by the device simulator (the server does
// not depend on the simulators, and the bench that measures the effect runs the simulator's).

import type { CArmGeometry, FeedSample } from '../../protocol/index.ts';
import type { Twin } from '../twin/twin.ts';
import { CRANIAL, heartAxes } from '../twin/heart-axes.ts';
import { pointOnBranch, treeCentre } from '../twin/vein-tree.ts';
import { Subject } from 'rxjs';
import { projectPoint } from './carm-geometry.ts';
import { PipelineCounters, type PipelineInput } from './flow.ts';
import { guidancePipeline, type PipelineOptions } from './procedure-pipeline.ts';
import type { Registration } from './registration.ts';

/** How long the synthetic EAM procedure runs (s of its own time, at 100 Hz); each fluoro one runs a sixth of it at 15 fps. */
export const WARM_UP_S = 60;

export interface WarmUpReport {
  samples: number;
  ms: number;
  /** Why it was not run (the server decides: see app.ts). */
  skipped?: string;
}

/** A small deterministic generator (the same procedure every start). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 4294967296;
  };
}

/**
 * The lead's place over time: from the ostium into each of the three side branches nearest it in
 * turn, then along the trunk, in pushes of 5 mm at 12 mm/s with 0.4 s pauses and a 3 mm pull-back
 * every third push, to 2 mm short of the branch's end; then withdrawn at 20 mm/s to just before the
 * first branching. (branch, arc) per step.
 */
function route(twin: Twin, seconds: number, dt: number): { branch: number; arc: number }[] {
  const branches = twin.veins.branches;
  // Side branches the lead reaches within the time, nearest the ostium first; the trunk last.
  const leaves = branches.filter((b) => b.parentBranch >= 0 && b.lengthMm > 10).sort((a, b) => a.endArcMm - b.endArcMm).slice(0, 3);
  leaves.push(...branches.filter((b) => b.parentBranch < 0));
  const steps: { branch: number; arc: number }[] = [];
  const n = Math.round(seconds / dt);
  // (A tree whose branches are all too short to walk gives no steps: stop rather than go round.)
  for (let leaf = 0, idle = 0; leaves.length > 0 && steps.length < n && idle < leaves.length; leaf = (leaf + 1) % leaves.length) {
    const before = steps.length;
    // The branches from the ostium to this leaf, root first.
    const chain: number[] = [];
    for (let k = leaves[leaf]!.index, guard = 0; k >= 0 && guard <= branches.length; k = branches[k]!.parentBranch, guard++) chain.unshift(k);
    // Which branch holds an arc length along this path: the deepest one that starts at or before it.
    const at = (arc: number): number => {
      let b = chain[0]!;
      for (const k of chain) if (branches[k]!.startArcMm <= arc) b = k;
      return b;
    };
    const end = leaves[leaf]!.endArcMm - 2;
    let arc = branches[chain[0]!]!.startArcMm, pushes = 0;
    while (arc < end && steps.length < n) {
      const goal = Math.min(end, arc + 5);
      while (arc < goal && steps.length < n) { arc = Math.min(goal, arc + 12 * dt); steps.push({ branch: at(arc), arc }); }
      for (let p = 0; p < 0.4 / dt && steps.length < n; p++) steps.push({ branch: at(arc), arc });
      if (++pushes % 3 === 0) {
        const back = arc - 3;
        while (arc > back && steps.length < n) { arc -= 6 * dt; steps.push({ branch: at(arc), arc }); }
      }
    }
    // Back to just before the first branching off the trunk.
    const back = Math.max(branches[chain[0]!]!.startArcMm, branches[chain[Math.min(1, chain.length - 1)]!]!.startArcMm - 5);
    while (arc > back && steps.length < n) { arc = Math.max(back, arc - 20 * dt); steps.push({ branch: at(arc), arc }); }
    idle = steps.length === before ? idle + 1 : 0;
  }
  return steps;
}

/**
 * Twin-frame tip positions over the route, with a heartbeat (7 mm along the long axis, a peaked
 * systole), breathing (5 mm ± 20 % caudally, its rate ± 15 %, breath to breath) and 0.5 mm noise.
 */
function positions(twin: Twin, seconds: number, dt: number, seed: number): { t: number; p: [number, number, number] }[] {
  const next = random(seed);
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  // Base → apex (or a plausible direction where the twin has no long axis).
  const heart = heartAxes(twin).longAxis ?? [0.45, -0.35, -0.82];
  const out: { t: number; p: [number, number, number] }[] = [];
  const point = [0, 0, 0];
  let breathPhase = 0, breathDepth = 5, breathRate = 0.25;
  route(twin, seconds, dt).forEach((s, i) => {
    const t = i * dt;
    const before = breathPhase;
    breathPhase += 2 * Math.PI * breathRate * dt;
    if (Math.floor(breathPhase / (2 * Math.PI)) !== Math.floor(before / (2 * Math.PI))) {
      breathDepth = 5 * (0.8 + 0.4 * next());
      breathRate = 0.25 * (0.85 + 0.3 * next());
    }
    // From the twin's phases (the default acquisition: end-diastole, end-expiration): systole
    // carries the base toward the apex, inspiration carries the heart caudally.
    const cardiac = 7 * (0.5 * (1 - Math.cos(2 * Math.PI * 1.1 * t))) ** 1.5;
    const breath = -breathDepth * 0.5 * (1 - Math.cos(breathPhase));
    pointOnBranch(twin.veins, twin.veins.branches[s.branch]!, s.arc, point);
    out.push({ t, p: [0, 1, 2].map((k) => point[k]! + cardiac * heart[k]! + breath * CRANIAL[k]! + 0.5 * gauss()) as [number, number, number] });
  });
  return out;
}

/** The synthetic procedure's inputs for one feed kind (registration first, closed at the end). */
export function warmUpInputs(twin: Twin, feed: 'eam' | 'fluoro-single' | 'fluoro-biplane', seconds = WARM_UP_S): PipelineInput[] {
  const fluoro = feed !== 'eam';
  const dt = fluoro ? 1 / 15 : 0.01;
  const track = positions(twin, seconds, dt, fluoro ? 11 : 7);
  const centre = fluoro ? treeCentre(twin.veins) : [0, 0, 0];
  // Source (C-arm) → twin: the heart at the isocentre.
  const registration: Registration = { state: 'landmarks', matrix: [1, 0, 0, centre[0]!, 0, 1, 0, centre[1]!, 0, 0, 1, centre[2]!, 0, 0, 0, 1], rmsMm: 1 };
  const lao: CArmGeometry = { alpha: 30, beta: 0, sid: 1000, sod: 750, pixelSpacing: [0.2, 0.2], size: [1024, 1024] };
  const rao: CArmGeometry = { ...lao, alpha: -30 };
  const views = feed === 'fluoro-biplane' ? [lao, rao] : [lao];
  const inputs: PipelineInput[] = [{ kind: 'registration', registration }];
  // What a live feed also does, so that those paths are compiled too: a sample the tracker marks
  // missing, a duplicate, two samples swapped in arrival, and a gap of 0.6 s (the feed goes stale,
  // the server's ticks run on, then it is live again).
  const every = Math.round(3 / dt);
  let seq = 0, held: PipelineInput | null = null;
  for (let i = 0; i < track.length; i++) {
    const { t, p } = track[i]!;
    const k = i % every;
    if (k === Math.round(every / 2)) {
      // The gap: these samples never arrive; the server's 50 ms ticks do.
      for (let g = 0; g < 0.6; g += 0.05) inputs.push({ kind: 'tick', t: t + g });
      i += Math.round(0.6 / dt);
      continue;
    }
    let sample: FeedSample;
    if (!fluoro) sample = { type: 'tip', seq: seq++, t, p, ...(k === 7 ? { quality: 'missing' as const } : {}) };
    else {
      const inCarm = [p[0] - centre[0]!, p[1] - centre[1]!, p[2] - centre[2]!];
      const seen = views.map((geometry) => ({ geometry, at: projectPoint(geometry, inCarm) }));
      if (seen.some((s) => s.at === null)) continue;
      sample = { type: 'fluoro', seq: seq++, t, views: seen.map((s) => ({ u: s.at![0], v: s.at![1], geometry: s.geometry })), ...(k === 7 ? { quality: 'missing' as const } : {}) };
    }
    const input: PipelineInput = { kind: 'sample', sample };
    if (k === 3) { held = input; continue; } // arrives after the next one
    inputs.push(input);
    if (held) { inputs.push(held); held = null; }
    if (k === 11) inputs.push(input); // sent twice
  }
  inputs.push({ kind: 'closed', t: track.length * dt });
  return inputs;
}

/**
 * Run the synthetic procedures (one and two fluoroscopic views, then EAM) through throwaway
 * pipelines built as a procedure's are. Synchronous: call it before the server takes feeds.
 */
export function warmUpPipeline(twin: Twin, options: Partial<PipelineOptions> = {}, seconds = WARM_UP_S): WarmUpReport {
  const started = performance.now();
  let samples = 0;
  const feeds = [['fluoro-single', seconds / 6], ['fluoro-biplane', seconds / 6], ['eam', seconds]] as const;
  for (const [feed, s] of feeds) {
    const inputs = warmUpInputs(twin, feed, s);
    const subject = new Subject<PipelineInput>();
    subject.pipe(guidancePipeline(twin, { ...options, procedureId: 'warm-up', counters: new PipelineCounters() })).subscribe({ error: () => undefined });
    for (const input of inputs) {
      if (input.kind === 'sample') samples++;
      subject.next(input);
    }
    subject.complete();
  }
  return { samples, ms: performance.now() - started };
}
