// A client of the live server that shares nothing with the device simulator the pipeline was tuned
// against: its own walks through the vein tree, its own hand, its own heartbeat and breath, its own
// source frame, landmark registration over REST and EAM over the feed WebSocket in real time, or
// fluoroscopic detections in one or two C-arm views of its own (projected as the README's wire
// protocol describes the C-arm geometry, not by the server's code), scored from what a display
// socket receives. It imports only the wire protocol: no simulators/, no server/. Used by
// bench:independent and by a test through the real transports.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { WebSocket } from 'ws';
import { decodeDisplayFrame, encodeMessage, type TwinBundle } from '../../protocol/index.ts';

/** A small deterministic generator of this client's own (mulberry32). */
export function generator(seed: number): { next: () => number; gauss: () => number; between: (a: number, b: number) => number } {
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const gauss = (): number => Math.sqrt(-2 * Math.log(1 - next())) * Math.cos(2 * Math.PI * next());
  return { next, gauss, between: (lo, hi) => lo + (hi - lo) * next() };
}
type Rng = ReturnType<typeof generator>;
type V3 = [number, number, number];
const add = (a: V3, b: V3): V3 => [a[0] + b[0], a[1] + b[1], a[2] + b[2]];
const sub = (a: V3, b: V3): V3 => [a[0] - b[0], a[1] - b[1], a[2] - b[2]];
const scale = (a: V3, k: number): V3 => [a[0] * k, a[1] * k, a[2] * k];
const norm = (a: V3): number => Math.sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]);
const unit = (a: V3): V3 => scale(a, 1 / norm(a));
const cross = (a: V3, b: V3): V3 => [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];
const dot = (a: V3, b: V3): number => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

// ---- The tree, read from the bundle as the wire protocol gives it ----

export interface Tree { points: V3[]; parent: number[]; branchOfEdge: Map<string, string>; junctions: V3[]; leaves: number[]; root: number }

export function readTree(bundle: TwinBundle): Tree {
  const points = bundle.veins.nodes.map((n) => [n[0], n[1], n[2]] as V3);
  const parent = points.map(() => -1);
  const children = points.map(() => 0);
  for (const [p, c] of bundle.veins.edges) { parent[c] = p; children[p]!++; }
  const branchOfEdge = new Map<string, string>();
  const starts = new Set<number>();
  for (const b of bundle.veins.branches) {
    starts.add(b.nodes[0]!);
    for (let i = 1; i < b.nodes.length; i++) branchOfEdge.set(`${b.nodes[i - 1]}-${b.nodes[i]}`, b.id);
  }
  const junctions = [...starts].filter((n) => n !== bundle.veins.root || children[n]! > 1).map((n) => points[n]!);
  const leaves = points.map((_, i) => i).filter((i) => children[i] === 0);
  return { points, parent, branchOfEdge, junctions, leaves, root: bundle.veins.root };
}

/** The nodes from the root to `leaf`, and their arc lengths. */
function pathTo(tree: Tree, leaf: number): { nodes: number[]; arc: number[] } {
  const nodes: number[] = [];
  for (let n = leaf; n >= 0; n = tree.parent[n]!) nodes.unshift(n);
  const arc = [0];
  for (let i = 1; i < nodes.length; i++) arc.push(arc[i - 1]! + norm(sub(tree.points[nodes[i]!]!, tree.points[nodes[i - 1]!]!)));
  return { nodes, arc };
}

/** Where a lead at arc length s along a root-to-leaf path is: the point and its branch. */
function along(tree: Tree, path: { nodes: number[]; arc: number[] }, s: number): { p: V3; branch: string } {
  const last = path.arc.length - 1;
  const c = Math.max(0, Math.min(path.arc[last]!, s));
  let i = 1;
  while (i < last && path.arc[i]! < c) i++;
  const a = tree.points[path.nodes[i - 1]!]!;
  const b = tree.points[path.nodes[i]!]!;
  const f = (c - path.arc[i - 1]!) / Math.max(1e-9, path.arc[i]! - path.arc[i - 1]!);
  return { p: add(a, scale(sub(b, a), f)), branch: tree.branchOfEdge.get(`${path.nodes[i - 1]}-${path.nodes[i]}`) ?? '?' };
}

// ---- The hand: a walk to a leaf in pushes and pauses, a look into a side branch, back out ----

interface Leg { path: { nodes: number[]; arc: number[] }; from: number; to: number; speed: number; holdS: number }

function plan(tree: Tree, rng: Rng, seconds: number): Leg[] {
  const deep = tree.leaves.map((l) => pathTo(tree, l)).filter((p) => p.arc[p.arc.length - 1]! > 40);
  const target = deep[Math.floor(rng.next() * deep.length)]!;
  const end = target.arc[target.arc.length - 1]! * rng.between(0.55, 0.9);
  const legs: Leg[] = [];
  let s = rng.between(2, 8);
  let time = 0;
  const push = (path: Leg['path'], to: number, speed: number, holdS: number): void => {
    legs.push({ path, from: s, to, speed, holdS });
    time += Math.abs(to - s) / speed + holdS;
    s = to;
  };
  let detoured = false;
  while (s < end && time < seconds * 0.75) {
    // A side branch leaving near here: look into it once, then come back.
    if (!detoured && s > 15 && rng.next() < 0.25) {
      const here = target.nodes[target.arc.findIndex((a) => a >= s)] ?? target.nodes[0]!;
      const side = deep.find((p) => p !== target && p.nodes.includes(here) && p.nodes.indexOf(here) < p.nodes.length - 10);
      if (side) {
        const into = s + rng.between(6, 16);
        if (into < side.arc[side.arc.length - 1]!) {
          const back = s;
          push(side, into, rng.between(4, 9), rng.between(0.4, 1.5));
          push(side, back, rng.between(5, 10), rng.between(0.2, 0.8));
          detoured = true;
          continue;
        }
      }
    }
    const step = rng.between(2, 7);
    push(target, Math.min(end, s + step), rng.between(3, 12), rng.between(0.2, 1.8));
    if (rng.next() < 0.18) push(target, Math.max(1, s - rng.between(1.5, 5)), rng.between(3, 8), rng.between(0.2, 0.8));
  }
  push(target, s, 1, 3); // hold at the target
  push(target, Math.max(5, s * 0.4), rng.between(6, 10), 1); // and withdraw part of the way
  return legs;
}

function leadAt(tree: Tree, legs: Leg[], t: number): { p: V3; branch: string } | null {
  let start = 0;
  for (const leg of legs) {
    const moveS = Math.abs(leg.to - leg.from) / leg.speed;
    if (t < start + moveS) return along(tree, leg.path, leg.from + Math.sign(leg.to - leg.from) * leg.speed * (t - start));
    if (t < start + moveS + leg.holdS) return along(tree, leg.path, leg.to);
    start += moveS + leg.holdS;
  }
  return null;
}

// ---- The patient: a heartbeat with a quick systole and a still diastasis, an uneven breath ----

/** 0 at end-diastole (the twin's phase), 1 at end-systole; a dip for the atrial kick. */
function beatShape(x: number): number {
  if (x < 0.32) return 0.5 - 0.5 * Math.cos((Math.PI * x) / 0.32);
  if (x < 0.55) return 0.1 + 0.9 * (0.5 + 0.5 * Math.cos((Math.PI * (x - 0.32)) / 0.23));
  if (x < 0.86) return 0.1 * Math.exp(-(x - 0.55) / 0.08);
  if (x < 0.97) return -0.12 * Math.sin((Math.PI * (x - 0.86)) / 0.11);
  return 0;
}

/** What is left of the breath at the end of expiration, taken off so that the dwell starts at 0. */
const EXPIRED = Math.exp(-0.42 / 0.12);

interface Patient { motion(t: number, distFromOstiumMm: number): V3 }

function patient(seed: number, seconds: number, condition: Condition, apexward: V3, systoleAny: boolean): Patient {
  // Each part of the patient draws from its own stream, so that changing one leaves the others as they were.
  const rng = generator(seed ^ 0x9e3779b9), beatRng = generator(seed ^ 0x85ebca6b), ectopyRng = generator(seed ^ 0xc2b2ae35), breathRng = generator(seed ^ 0x27d4eb2f);
  // Beats: RR around a rate of 55–95/min, ±6 % each beat, now and then an early beat and a pause.
  const rr = 60 / rng.between(55, 95);
  const beats: number[] = [0];
  while (beats[beats.length - 1]! < seconds + 2) {
    const early = ectopyRng.next() < 0.04;
    const last = beats[beats.length - 1]!;
    if (early) { beats.push(last + rr * 0.6); beats.push(last + rr * 2); } else beats.push(last + rr * (1 + 0.06 * beatRng.gauss()));
  }
  // Systole shortens the heart toward its apex (the AV groove, where the coronary sinus runs,
  // descends 10–15 mm) and draws the wall in: toward the apex, up to ~35° off it. With
  // systoleAny it points anywhere (not a heart; shows what the pipeline assumes).
  const off = scale(unit([rng.gauss(), rng.gauss(), rng.gauss()]), 0.6 * rng.next());
  const systole = scale(unit(systoleAny ? off : add(apexward, off)), rng.between(4, 8));
  const swirl = scale(unit([rng.gauss(), rng.gauss(), rng.gauss()]), rng.between(1, 2.5));
  // Breaths: 3–5.5 s each, depth 5–11 mm (a sigh 1.8× now and then), inspiration to the feet and a
  // little forward or back, 30° of spread between patients.
  const breaths: { at: number; period: number; depth: number }[] = [];
  for (let at = -breathRng.between(0, 3); at < seconds + 6;) {
    const period = breathRng.between(3, 5.5);
    breaths.push({ at, period, depth: breathRng.between(5, 11) * (breathRng.next() < 0.07 ? 1.8 : 1) });
    at += period;
  }
  const inspire = unit([rng.between(-0.3, 0.3), rng.between(-0.5, 0.3), -1]); // LPS: −z is to the feet
  // The beat and the breath at the last time asked: a walk asks in time order, so each search
  // goes on from there instead of from the first beat (from the start again if time goes back).
  let k = 0, b = 0;
  return {
    motion(t, dist) {
      if (t < beats[k]!) k = 0;
      while (k + 1 < beats.length && beats[k + 1]! <= t) k++;
      const x = (t - beats[k]!) / Math.max(0.2, beats[k + 1]! - beats[k]!);
      const reach = 0.6 + 0.8 * Math.min(1, dist / 80); // the lateral wall moves more than the ostium
      const heart: V3 = !condition.heart ? [0, 0, 0] : add(scale(systole, beatShape(x) * reach), scale(swirl, Math.sin(2 * Math.PI * x) * reach));
      if (t < breaths[b]!.at) b = 0;
      while (b + 1 < breaths.length && breaths[b + 1]!.at <= t) b++;
      const breath = breaths[b]!;
      const y = (t - breath.at) / breath.period;
      const lung = y < 0.38 ? Math.sin((Math.PI / 2) * (y / 0.38)) ** 2 : y < 0.8 ? (Math.exp(-(y - 0.38) / 0.12) - EXPIRED) / (1 - EXPIRED) : 0;
      return add(heart, scale(inspire, condition.breath ? breath.depth * Math.max(0, Math.min(1, lung)) : 0));
    },
  };
}

/** From the base toward the apex, from the bundle's landmarks (the base: every landmark named on it, and the CS ostium). */
function apexward(bundle: TwinBundle): V3 {
  const at = (name: string): V3 | undefined => bundle.landmarks.find((l) => l.name === name)?.position as V3 | undefined;
  const apex = at('lv-apex');
  const base = bundle.landmarks.filter((l) => l.name.includes('base') || l.name === 'cs-ostium').map((l) => l.position as V3);
  if (!apex || base.length === 0) throw new Error("the twin's landmarks name no LV apex and no base: cannot say which way systole goes");
  const centre = scale(base.reduce((a, b) => add(a, b), [0, 0, 0] as V3), 1 / base.length);
  return unit(sub(apex, centre));
}

// ---- A source frame of the mapping system's own ----

/**
 * Where a fluoroscopy lab puts the patient: the C-arm frame is the patient frame (LPS) with its
 * origin at the isocentre, so the twin's frame differs from it by how the patient lies on the table
 * against the CT (a few degrees) and where the table puts the heart (near the isocentre, within a
 * few cm).
 */
function carmPlacement(rng: Rng, heart: V3): { apply: (p: V3) => V3 } {
  const m = randomRotation(rng, 0.1);
  const offset: V3 = [rng.between(-30, 30), rng.between(-30, 30), rng.between(-30, 30)];
  // The heart (turned) at `offset` from the isocentre.
  return rigid(m, sub(offset, rotate(m, heart)));
}

// ---- C-arm views, as the README's wire protocol describes them ----

/** A view as the feed message carries it (DICOM names; angles in degrees, +LAO, +CRAN). */
export interface View { alpha: number; beta: number; sid: number; sod: number; pixelSpacing: [number, number]; size: [number, number] }


/**
 * The pixel (u right, v down) at which view `g` shows a point of the C-arm frame: the beam runs from
 * the source at −SOD·d through the isocentre to the detector at SID, d = (sin α cos β, −cos α cos β,
 * sin β); the image's u is superior × d (normalised; posterior × d where |d_z| > 0.999, within 2.6° of the head-foot
 * axis), v is u × d; the central ray meets the detector
 * at the image's centre; pixelSpacing is [row (along v), column (along u)] at the detector.
 */
export function projectToView(g: View, p: V3): [number, number] {
  const a = (g.alpha * Math.PI) / 180, b = (g.beta * Math.PI) / 180;
  const d: V3 = [Math.sin(a) * Math.cos(b), -Math.cos(a) * Math.cos(b), Math.sin(b)];
  const u = unit(cross(Math.abs(d[2]) > 0.999 ? [0, 1, 0] : [0, 0, 1], d));
  const v = cross(u, d);
  const fromSource = add(p, scale(d, g.sod));
  const depth = dot(fromSource, d);
  const onDetector = scale(fromSource, g.sid / depth); // from the source, on the detector plane
  const off = sub(onDetector, scale(d, g.sid)); // from the detector's centre
  return [g.size[0] / 2 + dot(off, u) / g.pixelSpacing[1], g.size[1] / 2 + dot(off, v) / g.pixelSpacing[0]];
}

/**
 * This client's own views: a biplane lab's frontal plane somewhere in RAO and lateral plane in LAO
 * (or one view for single plane), with some angulation, and detectors of their own.
 */
function views(rng: Rng, count: 1 | 2): View[] {
  const detector = (): Pick<View, 'sid' | 'sod' | 'pixelSpacing' | 'size'> => {
    const spacing = rng.between(0.15, 0.3);
    const side = rng.next() < 0.5 ? 1024 : 960;
    return { sid: rng.between(950, 1200), sod: rng.between(650, 800), pixelSpacing: [spacing, spacing], size: [side, side] };
  };
  const lao: View = { alpha: rng.between(25, 60), beta: rng.between(-15, 15), ...detector() };
  if (count === 1) return [lao];
  return [{ alpha: -rng.between(15, 40), beta: rng.between(-15, 15), ...detector() }, lao];
}

/** A rotation (row-major 3×3) about a random axis by up to ±`maxAngle` radians. */
function randomRotation(rng: Rng, maxAngle: number): number[] {
  const axis = unit([rng.gauss(), rng.gauss(), rng.gauss()]);
  const angle = rng.between(-maxAngle, maxAngle);
  const c = Math.cos(angle), s = Math.sin(angle), C = 1 - c;
  const [x, y, z] = axis;
  return [c + x * x * C, x * y * C - z * s, x * z * C + y * s, y * x * C + z * s, c + y * y * C, y * z * C - x * s, z * x * C - y * s, z * y * C + x * s, c + z * z * C];
}

/** m·p for a row-major 3×3 m. */
const rotate = (m: readonly number[], p: V3): V3 => [m[0]! * p[0] + m[1]! * p[1] + m[2]! * p[2], m[3]! * p[0] + m[4]! * p[1] + m[5]! * p[2], m[6]! * p[0] + m[7]! * p[1] + m[8]! * p[2]];

/** p ↦ m·p + shift. */
const rigid = (m: readonly number[], shift: V3): { apply: (p: V3) => V3 } => ({ apply: (p) => add(rotate(m, p), shift) });

function rotation(rng: Rng): { apply: (p: V3) => V3 } {
  const m = randomRotation(rng, 0.7);
  const shift: V3 = [rng.between(-150, 150), rng.between(-150, 150), rng.between(-150, 150)];
  return rigid(m, shift);
}

// ---- One walk through the live server ----

export interface Condition { name: string; heart: boolean; breath: boolean; noiseMm: number; spikes: boolean }
export const INDEPENDENT_CONDITIONS: Condition[] = [
  { name: 'clean', heart: false, breath: false, noiseMm: 0, spikes: false },
  { name: 'gated', heart: false, breath: false, noiseMm: 0.5, spikes: false },
  { name: 'moving', heart: true, breath: true, noiseMm: 0.6, spikes: true },
  // Diagnostics: one motion at a time.
  { name: 'heart', heart: true, breath: false, noiseMm: 0.6, spikes: false },
  { name: 'breath', heart: false, breath: true, noiseMm: 0.6, spikes: false },
];

export interface Scored { errors: number[]; branchOk: number; sureWrong: number; sure: number; n: number; lateMs: number[] }

/** The feeds a walk can send: EAM tips, or fluoroscopic detections in two views or one. */
export const FEEDS = ['eam', 'fluoro-biplane', 'fluoro-single'] as const;
export type Feed = (typeof FEEDS)[number];

/** How a walk is fed: `feed` (EAM by default) at rateHz for at most `seconds`, systole toward the apex or anywhere, each scored message to traceDir. */
export interface WalkOptions { rateHz: number; seconds: number; feed?: Feed; systoleAny?: boolean; traceDir?: string }

/** One walk as its own procedure on the server at `base` (http://…), scored from a display socket. */
export async function walk(base: string, bundle: TwinBundle, tree: Tree, condition: Condition, seed: number, options: WalkOptions): Promise<Scored> {
  const { rateHz, seconds } = options;
  const traceDir = options.traceDir ?? '';
  const rng = generator(seed);
  const legs = plan(tree, rng, seconds);
  const body = patient(seed, seconds + 5, condition, apexward(bundle), options.systoleAny ?? false);
  const feedKind = options.feed ?? 'eam';
  const fluoro = feedKind !== 'eam';
  const centre = scale(tree.points.reduce((acc, q) => add(acc, q), [0, 0, 0] as V3), 1 / tree.points.length);
  const frame = fluoro ? carmPlacement(rng, centre) : rotation(rng);
  const lab = fluoro ? views(rng, feedKind === 'fluoro-biplane' ? 2 : 1) : [];
  const call = async (path: string, method: string, payload?: unknown) => {
    const r = await fetch(base + path, { method, headers: payload ? { 'content-type': 'application/json' } : {}, ...(payload ? { body: JSON.stringify(payload) } : {}) });
    const json = (await r.json()) as Record<string, unknown>;
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  const created = await call('/api/procedures', 'POST', { twinId: bundle.meta.id, source: fluoro ? 'fluoro' : 'eam' });
  const id = created['id'] as string;
  const pairs = bundle.landmarks.map((l) => ({ name: l.name, source: frame.apply(l.position as V3).map((v) => v + 0.6 * rng.gauss()) }));
  await call(`/api/procedures/${id}/registration`, 'POST', { method: 'landmarks', pairs });

  const truth = new Map<number, { p: V3; branch: string; nearJunction: boolean; sentAt: number }>();
  const scored: Scored = { errors: [], branchOk: 0, sureWrong: 0, sure: 0, n: 0, lateMs: [] };
  const trace: string[] = ['t,error,confidence,truthBranch,shownBranch,shownArc,tx,ty,tz,sx,sy,sz,instruction'];
  const ws = base.replace(/^http/, 'ws');
  const display = new WebSocket(`${ws}/ws/display?procedure=${id}`);
  display.binaryType = 'nodebuffer';
  display.on('message', (data: Buffer) => {
    const m = decodeDisplayFrame(data);
    if (m.type !== 'guidance') return;
    const real = truth.get(m.seq);
    if (!real) return;
    const error = norm(sub(m.tip.p as V3, real.p));
    const sameBranch = m.tip.branch === real.branch;
    const branchOk = sameBranch || real.nearJunction;
    scored.n++;
    scored.errors.push(error);
    scored.branchOk += branchOk ? 1 : 0;
    scored.lateMs.push(performance.now() - real.sentAt);
    if (traceDir) trace.push(`${m.seq / rateHz},${error.toFixed(3)},${m.tip.confidence.toFixed(3)},${real.branch},${m.tip.branch},${m.tip.arcLengthMm.toFixed(2)},${real.p.map((v) => v.toFixed(2)).join(',')},${(m.tip.p as V3).map((v) => v.toFixed(2)).join(',')},${m.zone.instruction}`);
    if (m.tip.confidence >= 0.8) {
      scored.sure++;
      if (error > 5 || (!sameBranch && !real.nearJunction)) scored.sureWrong++;
    }
  });
  const feed = new WebSocket(`${ws}/ws/feed?procedure=${id}`);
  await Promise.all([display, feed].map((s) => new Promise<void>((resolve, reject) => { s.once('open', () => resolve()); s.once('error', reject); })));

  const origin = 1000 + rng.between(0, 5000); // the device's clock: seconds since it started
  const started = performance.now();
  let seq = 0;
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      const dueSeq = Math.floor(((performance.now() - started) / 1000) * rateHz);
      for (; seq <= dueSeq; seq++) {
        const t = seq / rateHz;
        const lead = t < seconds ? leadAt(tree, legs, t) : null;
        if (!lead) { clearInterval(timer); resolve(); return; }
        const dist = norm(sub(lead.p, tree.points[tree.root]!));
        const moved = add(lead.p, body.motion(t, dist));
        // EAM: noise on the point. Fluoro: each view's detection has its own error (the noise at the
        // isocentre, magnified onto the detector), and a spike is a wrong detection in one view.
        let noise: V3 = fluoro ? [0, 0, 0] : [condition.noiseMm * rng.gauss(), condition.noiseMm * rng.gauss(), condition.noiseMm * rng.gauss()];
        const spiked = condition.spikes && rng.next() < 0.004;
        const spike = spiked ? scale(unit([rng.gauss(), rng.gauss(), rng.gauss()]), rng.between(3, 5)) : null;
        if (spike && !fluoro) noise = add(noise, spike);
        if (condition.spikes && rng.next() < 0.01) continue; // a dropout
        truth.set(seq, { p: lead.p, branch: lead.branch, nearJunction: tree.junctions.some((j) => norm(sub(j, lead.p)) <= 2), sentAt: performance.now() });
        if (!fluoro) feed.send(encodeMessage({ type: 'tip', seq, t: origin + t, p: frame.apply(add(moved, noise)) }));
        else {
          const seen = frame.apply(moved);
          const wrongView = spike ? Math.floor(rng.next() * lab.length) : -1;
          const detections = lab.map((g, k) => {
            const [u, v] = projectToView(g, k === wrongView ? frame.apply(add(moved, spike!)) : seen);
            const px = (condition.noiseMm * (g.sid / g.sod)) / g.pixelSpacing[1];
            return { u: u + px * rng.gauss(), v: v + px * rng.gauss(), geometry: g };
          });
          feed.send(encodeMessage({ type: 'fluoro', seq, t: origin + t, views: detections }));
        }
      }
    }, 5);
  });
  await new Promise((r) => setTimeout(r, 300));
  feed.close();
  display.close();
  await call(`/api/procedures/${id}`, 'DELETE');
  if (traceDir) {
    mkdirSync(traceDir, { recursive: true });
    writeFileSync(join(traceDir, `${condition.name}-${seed}.csv`), trace.join('\n') + '\n');
    if (fluoro) writeFileSync(join(traceDir, `${condition.name}-${seed}.views.json`), JSON.stringify(lab) + '\n');
  }
  return scored;
}

/** Several walks' scores as one (the messages of all of them). */
export function pooled(walks: readonly Scored[]): Scored {
  return {
    errors: walks.flatMap((w) => w.errors),
    lateMs: walks.flatMap((w) => w.lateMs),
    branchOk: walks.reduce((a, w) => a + w.branchOk, 0),
    sureWrong: walks.reduce((a, w) => a + w.sureWrong, 0),
    sure: walks.reduce((a, w) => a + w.sure, 0),
    n: walks.reduce((a, w) => a + w.n, 0),
  };
}
