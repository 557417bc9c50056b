// A client of the live server that shares nothing with the device simulator the pipeline was tuned
// against: its own walks through the vein tree, its own hand, its own heartbeat and breath, its own
// source frame, landmark registration over REST and EAM over the feed WebSocket in real time,
// scored from what a display socket receives. It imports only the wire protocol: no simulators/,
// no server/. Used by bench:independent and by a test through the real transports.

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

function rotation(rng: Rng): { apply: (p: V3) => V3 } {
  const axis = unit([rng.gauss(), rng.gauss(), rng.gauss()]);
  const angle = rng.between(-0.7, 0.7);
  const c = Math.cos(angle), s = Math.sin(angle), C = 1 - c;
  const [x, y, z] = axis;
  const m = [c + x * x * C, x * y * C - z * s, x * z * C + y * s, y * x * C + z * s, c + y * y * C, y * z * C - x * s, z * x * C - y * s, z * y * C + x * s, c + z * z * C];
  const shift: V3 = [rng.between(-150, 150), rng.between(-150, 150), rng.between(-150, 150)];
  return { apply: (p) => [m[0]! * p[0] + m[1]! * p[1] + m[2]! * p[2] + shift[0], m[3]! * p[0] + m[4]! * p[1] + m[5]! * p[2] + shift[1], m[6]! * p[0] + m[7]! * p[1] + m[8]! * p[2] + shift[2]] };
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

/** How a walk is fed: EAM at rateHz for at most `seconds`, systole toward the apex or anywhere, each scored message to traceDir. */
export interface WalkOptions { rateHz: number; seconds: number; systoleAny?: boolean; traceDir?: string }

/** One walk as its own procedure on the server at `base` (http://…), scored from a display socket. */
export async function walk(base: string, bundle: TwinBundle, tree: Tree, condition: Condition, seed: number, options: WalkOptions): Promise<Scored> {
  const { rateHz, seconds } = options;
  const traceDir = options.traceDir ?? '';
  const rng = generator(seed);
  const legs = plan(tree, rng, seconds);
  const body = patient(seed, seconds + 5, condition, apexward(bundle), options.systoleAny ?? false);
  const frame = rotation(rng);
  const call = async (path: string, method: string, payload?: unknown) => {
    const r = await fetch(base + path, { method, headers: payload ? { 'content-type': 'application/json' } : {}, ...(payload ? { body: JSON.stringify(payload) } : {}) });
    const json = (await r.json()) as Record<string, unknown>;
    if (r.status >= 300) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(json)}`);
    return json;
  };
  const created = await call('/api/procedures', 'POST', { twinId: bundle.meta.id, source: 'eam' });
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
        let noise: V3 = [condition.noiseMm * rng.gauss(), condition.noiseMm * rng.gauss(), condition.noiseMm * rng.gauss()];
        if (condition.spikes && rng.next() < 0.004) noise = add(noise, scale(unit([rng.gauss(), rng.gauss(), rng.gauss()]), rng.between(3, 5)));
        if (condition.spikes && rng.next() < 0.01) continue; // a dropout
        truth.set(seq, { p: lead.p, branch: lead.branch, nearJunction: tree.junctions.some((j) => norm(sub(j, lead.p)) <= 2), sentAt: performance.now() });
        feed.send(encodeMessage({ type: 'tip', seq, t: origin + t, p: frame.apply(add(moved, noise)) }));
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
