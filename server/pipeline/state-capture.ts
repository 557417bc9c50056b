// A pipeline's state, captured and put back exactly, for checkpoints (a procedure resumed after a
// crash starts from its newest checkpoint instead of replaying every input since the start).
// The stages register their state objects as named roots. Capture walks them: numbers (NaN, -0
// and infinities included), typed arrays, arrays, maps and sets as they are (v8's serializer keeps
// them, and keeps objects shared where they were shared); class instances tagged with their class
// (from the CLASSES the caller allows); anything of the twin (shared, immutable) by reference. A
// function is refused, except in a root, where the fresh root keeps its own (a constructor's
// closure). Apply writes into a freshly built pipeline's roots in place, so the stages' closures
// that hold them see the restored state.

import { deserialize, serialize } from 'node:v8';

export type ClassTable = Readonly<Record<string, abstract new (...args: never[]) => object>>;

interface Tagged { $c: string | null; f: Record<string, unknown> }
interface SharedRef { $s: string }
interface RootFunction { $fn: true }

const isTyped = (v: object): boolean => ArrayBuffer.isView(v) || v instanceof ArrayBuffer;

/** Objects reachable from `roots` (objects, not elements of typed arrays), by a path: shared, never copied. */
export function sharedObjects(roots: Record<string, unknown>): Map<object, string> {
  const out = new Map<object, string>();
  const stack: [unknown, string][] = Object.entries(roots).map(([k, v]) => [v, k]);
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (v === null || (typeof v !== 'object' && typeof v !== 'function') || out.has(v as object)) continue;
    out.set(v as object, path);
    if (isTyped(v as object) || typeof v === 'function') continue;
    if (v instanceof Map) { let i = 0; for (const [k, x] of v) { stack.push([k, `${path}<k${i}>`], [x, `${path}<v${i++}>`]); } continue; }
    if (v instanceof Set) { let i = 0; for (const x of v) stack.push([x, `${path}<${i++}>`]); continue; }
    for (const k of Object.keys(v as object)) stack.push([(v as Record<string, unknown>)[k], `${path}.${k}`]);
  }
  return out;
}

export function captureState(roots: ReadonlyMap<string, object>, shared: ReadonlyMap<object, string>, classes: ClassTable): Buffer {
  const names = new Map<abstract new (...args: never[]) => object, string>(Object.entries(classes).map(([n, c]) => [c, n]));
  const memo = new Map<object, unknown>();
  // A function is allowed only as a field of a root (depth 1): the fresh root has its own.
  const tag = (v: unknown, path: string, depth: number): unknown => {
    if (v === null || v === undefined || typeof v === 'number' || typeof v === 'string' || typeof v === 'boolean' || typeof v === 'bigint') return v;
    if (typeof v === 'function') {
      if (depth === 1) return { $fn: true } satisfies RootFunction;
      throw new Error(`not checkpointable: a function at ${path}`);
    }
    if (typeof v !== 'object') throw new Error(`not checkpointable: a ${typeof v} at ${path}`);
    const s = shared.get(v);
    if (s !== undefined) return { $s: s } satisfies SharedRef;
    const seen = memo.get(v);
    if (seen !== undefined) return seen;
    if (isTyped(v)) { memo.set(v, v); return v; }
    if (Array.isArray(v)) {
      const out: unknown[] = [];
      memo.set(v, out);
      for (let i = 0; i < v.length; i++) out.push(tag(v[i], `${path}[${i}]`, depth + 1));
      return out;
    }
    if (v instanceof Map) {
      const out = new Map<unknown, unknown>();
      memo.set(v, out);
      for (const [k, x] of v) out.set(tag(k, `${path}<key>`, depth + 1), tag(x, `${path}<value>`, depth + 1));
      return out;
    }
    if (v instanceof Set) {
      const out = new Set<unknown>();
      memo.set(v, out);
      for (const x of v) out.add(tag(x, `${path}<item>`, depth + 1));
      return out;
    }
    const proto = Object.getPrototypeOf(v) as { constructor?: abstract new (...args: never[]) => object } | null;
    let $c: string | null = null;
    if (proto !== Object.prototype && proto !== null) {
      const name = proto.constructor ? names.get(proto.constructor) : undefined;
      if (!name) throw new Error(`not checkpointable: an instance of ${proto.constructor?.name ?? 'an unknown class'} at ${path}`);
      $c = name;
    }
    const node: Tagged = { $c, f: {} };
    memo.set(v, node);
    for (const k of Object.keys(v)) node.f[k] = tag((v as Record<string, unknown>)[k], `${path}.${k}`, depth + 1);
    return node;
  };
  const out: Record<string, unknown> = {};
  for (const [name, root] of roots) out[name] = tag(root, name, 0);
  return serialize(out);
}

export function applyState(roots: ReadonlyMap<string, object>, bytes: Buffer, shared: ReadonlyMap<object, string>, classes: ClassTable): void {
  const byPath = new Map<string, object>([...shared].map(([o, p]) => [p, o]));
  const data = deserialize(bytes) as Record<string, unknown>;
  const memo = new Map<unknown, unknown>();
  const revive = (node: unknown): unknown => {
    if (node === null || typeof node !== 'object') return node;
    const seen = memo.get(node);
    if (seen !== undefined) return seen;
    if (isTyped(node)) { memo.set(node, node); return node; }
    if (Array.isArray(node)) {
      const out: unknown[] = [];
      memo.set(node, out);
      for (const x of node) out.push(revive(x));
      return out;
    }
    if (node instanceof Map) {
      const out = new Map<unknown, unknown>();
      memo.set(node, out);
      for (const [k, x] of node) out.set(revive(k), revive(x));
      return out;
    }
    if (node instanceof Set) {
      const out = new Set<unknown>();
      memo.set(node, out);
      for (const x of node) out.add(revive(x));
      return out;
    }
    if ('$s' in node) {
      const o = byPath.get((node as SharedRef).$s);
      if (!o) throw new Error(`checkpoint refers to ${(node as SharedRef).$s}, which this twin does not have`);
      return o;
    }
    if ('$fn' in node) throw new Error('checkpoint holds a function outside a root');
    const t = node as Tagged;
    const cls = t.$c === null ? null : classes[t.$c];
    if (t.$c !== null && !cls) throw new Error(`checkpoint holds a ${t.$c}, not a known class`);
    const out = (cls ? Object.create(cls.prototype) : {}) as Record<string, unknown>;
    memo.set(node, out);
    for (const [k, x] of Object.entries(t.f)) out[k] = revive(x);
    return out;
  };
  // Roots first, in place: objects inside that refer back to a root get the live one.
  for (const [name, root] of roots) {
    const node = data[name];
    if (node === undefined) throw new Error(`checkpoint has no state for ${name}`);
    memo.set(node, root);
  }
  // A root's typed array is restored into the fresh root's own (same kind and length): a closure the
  // fresh root made may hold it (a model runner reads the features its evaluator writes).
  for (const [name, root] of roots) {
    const node = data[name] as Tagged | unknown[];
    if (Array.isArray(root) || Array.isArray(node)) continue;
    for (const [k, x] of Object.entries(node.f)) {
      const own = (root as Record<string, unknown>)[k];
      if (x !== null && typeof x === 'object' && ArrayBuffer.isView(x) && ArrayBuffer.isView(own) && own.constructor === x.constructor && own.byteLength === x.byteLength) {
        new Uint8Array(own.buffer, own.byteOffset, own.byteLength).set(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
        memo.set(x, own);
      }
    }
  }
  for (const [name, root] of roots) {
    const node = data[name]!;
    if (Array.isArray(root)) {
      if (!Array.isArray(node)) throw new Error(`checkpoint's ${name} is not an array`);
      root.length = 0;
      for (const x of node) root.push(revive(x));
      continue;
    }
    const t = node as Tagged;
    const proto = Object.getPrototypeOf(root) as { constructor?: unknown } | null;
    const expected = t.$c === null ? null : classes[t.$c];
    if ((expected ?? Object) !== (proto === null ? Object : proto.constructor)) throw new Error(`checkpoint's ${name} is a ${t.$c ?? 'plain object'}, the pipeline's is not`);
    for (const [k, x] of Object.entries(t.f)) {
      if (x !== null && typeof x === 'object' && '$fn' in x) continue; // the fresh root's own function stays
      if (memo.get(x as object) === (root as Record<string, unknown>)[k]) continue; // restored in place above
      (root as Record<string, unknown>)[k] = revive(x);
    }
  }
}

/** What a checkpoint may refer to without copying it: the twin (immutable), one map per twin. */
const sharedByTwin = new WeakMap<object, Map<object, string>>();
export function sharedOfTwin(twin: object): Map<object, string> {
  let shared = sharedByTwin.get(twin);
  if (!shared) sharedByTwin.set(twin, (shared = sharedObjects({ twin })));
  return shared;
}
