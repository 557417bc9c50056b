// Helpers for twin tests: a fresh copy of the mini bundle to mutate, error-code capture, and a place's segment.
import { TwinguideError, type ErrorCode, type TwinBundle } from '../../protocol/index.ts';
import { buildTwin, type LoadTwinOptions } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { makeMiniTwin } from '../fixtures/make-mini-twin.ts';

export function mini(mutate?: (b: TwinBundle) => void): TwinBundle {
  const bundle = makeMiniTwin();
  mutate?.(bundle);
  return bundle;
}

export async function rejection(promise: Promise<unknown>): Promise<TwinguideError> {
  try {
    const value = await promise;
    if (value && typeof (value as Twin).close === 'function') await (value as Twin).close();
  } catch (e) {
    if (e instanceof TwinguideError) return e;
    throw new Error(`expected a TwinguideError, got ${String(e)}`);
  }
  throw new Error('expected the twin to be refused, but it loaded');
}

export async function codeOfBundle(bundle: unknown, options?: LoadTwinOptions): Promise<ErrorCode> {
  return (await rejection(buildTwin(bundle, options))).code;
}

export async function withTwin<T>(bundle: TwinBundle, fn: (twin: Twin) => T | Promise<T>, options?: LoadTwinOptions): Promise<T> {
  const twin = await buildTwin(bundle, options);
  try {
    return await fn(twin);
  } finally {
    await twin.close();
  }
}

/** The segment (its child node) of a branch at an arc length from the ostium. */
export function segmentAt(twin: Twin, branch: number, arcMm: number): number {
  const nodes = twin.veins.branches[branch]!.nodes;
  for (let k = 1; k < nodes.length; k++) if (twin.veins.arcLengthMm[nodes[k]!]! >= arcMm) return nodes[k]!;
  return nodes[nodes.length - 1]!;
}
