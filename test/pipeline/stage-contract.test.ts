// Every pipeline stage as an RxJS operator obeys the same contract (marble tests): never → never,
// empty → empty, a single pass-through item → that item, an error → the error, an infinite source
// → values as they come, and an early unsubscribe leaves no subscription behind.
import { TestScheduler } from 'rxjs/testing';
import type { OperatorFunction } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../protocol/index.ts';
import { PipelineCounters, type Flow } from '../../server/pipeline/flow.ts';
import { assessResponse } from '../../server/pipeline/stages/assess-response.ts';
import { compensateMotion } from '../../server/pipeline/stages/compensate-motion.ts';
import { trackFeedState } from '../../server/pipeline/stages/feed-state.ts';
import { guide } from '../../server/pipeline/stages/guide.ts';
import { localise } from '../../server/pipeline/stages/localise.ts';
import { orderSamples } from '../../server/pipeline/stages/order-samples.ts';
import { trackOnTree } from '../../server/pipeline/stages/track-on-tree.ts';
import { buildTwin } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { makeMiniTwin } from '../fixtures/make-mini-twin.ts';

let twin: Twin;
beforeAll(async () => { twin = await buildTwin(makeMiniTwin(), { loadModel: false }); });
afterAll(async () => { await twin.close(); });

const stages: [string, () => OperatorFunction<Flow, Flow>][] = [
  ['orderSamples', () => orderSamples(DEFAULT_LIMITS, new PipelineCounters())],
  ['trackFeedState', () => trackFeedState(DEFAULT_LIMITS)],
  ['compensateMotion', () => compensateMotion(twin)],
  ['localise', () => localise(new PipelineCounters())],
  ['trackOnTree', () => trackOnTree(twin)],
  ['assessResponse', () => assessResponse(twin)],
  ['guide', () => guide(twin, 'p1', new PipelineCounters())],
];

// A tick at t = 0 passes every stage unchanged (feed state is already "lost" before any sample).
const values = { a: { kind: 'tick', t: 0 } as Flow };

const scheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

describe.each(stages)('%s', (_name, make) => {
  it('never → never', () => scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold<Flow>('-').pipe(make())).toBe('-');
  }));
  it('empty → empty', () => scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold<Flow>('|').pipe(make())).toBe('|');
  }));
  it('a single pass-through item → that item', () => scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold('a|', values).pipe(make())).toBe('a|', values);
  }));
  it('an error → the error', () => scheduler().run(({ cold, expectObservable }) => {
    expectObservable(cold<Flow>('a#', values, new Error('feed broke')).pipe(make())).toBe('a#', values, new Error('feed broke'));
  }));
  it('an infinite source, unsubscribed early: values until then, and the source is released', () => scheduler().run(({ cold, expectObservable, expectSubscriptions }) => {
    const source = cold('a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-a-', values);
    expectObservable(source.pipe(make()), '^------!').toBe('a-a-a-a-', values);
    expectSubscriptions(source.subscriptions).toBe('^------!');
  }));
});
