// sameEncoding (replay's comparison) answers exactly what comparing the two msgpack encodings answers:
// on real display messages, on their JSON round trips (what a recording gives back), and on
// mutants made to sit at the codec's edges.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, type DisplayMessage, type WireMessage } from '../../protocol/index.ts';
import { sameEncoding } from '../../server/recording/same-encoding.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { runScenario } from '../../simulators/device/run-scenario.ts';

const encodersAgree = (a: unknown, b: unknown): boolean => Buffer.from(encodeMessage(a as WireMessage)).equals(encodeMessage(b as WireMessage));

let twin: Twin;
let messages: DisplayMessage[] = [];
beforeAll(async () => {
  twin = await loadTwinFile('data/twins/demo.twin.json', { loadModel: false });
  messages = (await runScenario(twin, 'reach-lateral-zone', 'eam', { device: { seed: 3, durationS: 8 } })).messages;
});
afterAll(async () => { await twin.close(); });

/** Every path to a leaf of a JSON value, and a setter for it. */
function leaves(value: unknown, path: (string | number)[] = [], out: (string | number)[][] = []): (string | number)[][] {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) leaves(v, [...path, Array.isArray(value) ? Number(k) : k], out);
  } else out.push(path);
  return out;
}
function setAt(root: unknown, path: (string | number)[], v: unknown): void {
  let o = root as Record<string | number, unknown>;
  for (const k of path.slice(0, -1)) o = o[k] as Record<string | number, unknown>;
  o[path[path.length - 1]!] = v;
}
const copy = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

describe('sameEncoding', () => {
  it('agrees with the encoder on real messages, their JSON round trips and neighbours', () => {
    expect(messages.length).toBeGreaterThan(100);
    let same = 0;
    for (let i = 0; i < messages.length; i++) {
      const m = messages[i]!;
      const again = copy(m);
      expect(sameEncoding(m, again)).toBe(encodersAgree(m, again));
      if (encodersAgree(m, again)) same++;
      const next = messages[(i + 1) % messages.length]!;
      expect(sameEncoding(m, next)).toBe(encodersAgree(m, next));
    }
    expect(same).toBeGreaterThan(messages.length / 2); // (the comparison is not vacuous)
  });

  it('agrees with the encoder on mutants at the codec\'s edges', () => {
    const mutations: ((v: unknown) => unknown)[] = [
      (v) => (typeof v === 'number' ? v + (Math.abs(v) > 1 ? Math.abs(v) * Number.EPSILON : Number.MIN_VALUE) : v),
      (v) => (typeof v === 'number' ? (v === 0 ? -0 : -v) : v),
      (v) => (typeof v === 'number' ? Number.NaN : v),
      () => null,
      () => undefined,
      () => 0,
      () => -0,
      () => 1.0,
      () => 2 ** 40,
      () => 2 ** 53 + 2,
      () => '',
      () => 'x',
      () => '\uD800',
      () => '\uDC00',
      () => '😀',
      () => true,
      () => [],
      () => ({}),
      () => new Float64Array([1, 2]),
      () => [1, 2],
    ];
    let cases = 0, agreeSame = 0;
    for (const m of messages.filter((_, i) => i % 7 === 0).slice(0, 40)) {
      const paths = leaves(m);
      for (const path of paths) {
        for (const mutate of mutations) {
          const a = copy(m), b = copy(m);
          let original: unknown = a;
          for (const k of path) original = (original as Record<string | number, unknown>)[k];
          setAt(b, path, mutate(original));
          setAt(a, path, mutate === mutations[3] ? null : original);
          let expected: boolean;
          try { expected = encodersAgree(a, b); } catch { continue; }
          expect(sameEncoding(a as WireMessage, b as WireMessage), `${path.join('.')} ${String(mutate)}`).toBe(expected);
          expect(sameEncoding(b as WireMessage, a as WireMessage)).toBe(expected);
          cases++;
          if (expected) agreeSame++;
        }
      }
    }
    expect(cases).toBeGreaterThan(1000);
    expect(agreeSame).toBeGreaterThan(0);
    expect(agreeSame).toBeLessThan(cases);
  });

  it('agrees on key order, extra keys and NaN', () => {
    const pairs: [unknown, unknown][] = [
      [{ a: 1, b: 2 }, { b: 2, a: 1 }],
      [{ a: 1 }, { a: 1, b: undefined }],
      [{ a: Number.NaN }, { a: Number.NaN }],
      [{ a: Number.NaN }, { a: null }],
      [{ a: 0 }, { a: -0 }],
      [{ a: [1, [2, 3]] }, { a: [1, [2, 3]] }],
      [{ a: [1, [2, 3]] }, { a: [1, [2, 4]] }],
      [{ '1': 'x', b: 1 }, { b: 1, '1': 'x' }],
    ];
    for (const [a, b] of pairs) expect(sameEncoding(a as WireMessage, b as WireMessage)).toBe(encodersAgree(a, b));
  });
});
