// The command-line arguments the tuning diagnostics share (settling, error budget, view advice,
// breath axis): a twin file, conditions, seeds (the training seeds unless told otherwise: the
// held-out seeds are for the accuracy bench alone) and a feed kind. Bad values stop the bench
// with a message naming what is allowed.

import { fileURLToPath } from 'node:url';
import { CONDITION_NAMES, TRAINING_SEEDS, type ConditionName } from '../../simulators/device/conditions.ts';
import type { FeedKind } from '../../simulators/device/device-simulator.ts';

/** The value after `--name`, if given. */
export const arg = (name: string): string | undefined => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};

/** `--twin FILE`, or the demo twin. */
export const twinArg = (): string => arg('--twin') ?? fileURLToPath(new URL('../../data/twins/demo.twin.json', import.meta.url));

/** Condition names from `flag` (comma-separated), or the given ones. */
export function conditionsArg(defaults: readonly ConditionName[], flag = '--conditions'): ConditionName[] {
  const conditions = (arg(flag)?.split(',') ?? [...defaults]) as ConditionName[];
  for (const c of conditions) if (!CONDITION_NAMES.includes(c)) throw new Error(`unknown condition '${c}' (one of ${CONDITION_NAMES.join(', ')})`);
  return conditions;
}

/** `--seeds 1,2,3` (or ranges: `26-90`), or the given ones (the first four training seeds). */
export function seedsArg(defaults: readonly number[] = TRAINING_SEEDS.slice(0, 4)): number[] {
  const given = arg('--seeds');
  const seeds = given === undefined ? [...defaults] : given.split(',').flatMap((part) => {
    const range = /^(\d+)-(\d+)$/.exec(part);
    if (!range) return [Number(part)];
    const from = Number(range[1]), to = Number(range[2]);
    if (to < from || to - from >= 10_000) throw new Error(`--seeds range '${part}' must run upward, at most 10000 seeds`);
    return Array.from({ length: to - from + 1 }, (_, k) => from + k);
  });
  if (seeds.some((s) => !Number.isInteger(s) || s < 0)) throw new Error('--seeds takes whole numbers or ranges (26-90), comma-separated');
  return seeds;
}

const FEED_KINDS: readonly FeedKind[] = ['eam', 'fluoro-biplane', 'fluoro-single'];

/** `--feed KIND`, or EAM. */
export function feedArg(): FeedKind {
  const feed = (arg('--feed') ?? 'eam') as FeedKind;
  if (!FEED_KINDS.includes(feed)) throw new Error(`--feed takes one of ${FEED_KINDS.join(', ')}`);
  return feed;
}
