// The server's start-up warm-up: a synthetic procedure through throwaway pipelines, so that the
// first patient's samples meet compiled code. It must be a valid procedure (what a feed may send),
// cover the paths a live feed takes, and change nothing: the pipeline is pure.
import { Subject } from 'rxjs';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { feedValidators, validateMessage, type DisplayMessage } from '../../protocol/index.ts';
import { PipelineCounters, type PipelineInput } from '../../server/pipeline/flow.ts';
import { guidancePipeline } from '../../server/pipeline/procedure-pipeline.ts';
import { warmUpInputs, warmUpPipeline } from '../../server/pipeline/warm-up.ts';
import { resolveConfig } from '../../server/config.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { runScenario } from '../../simulators/device/run-scenario.ts';

let twin: Twin;
beforeAll(async () => { twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname, { loadModel: false }); });
afterAll(() => twin.close());

const run = (inputs: readonly PipelineInput[]): { messages: DisplayMessage[]; counters: PipelineCounters } => {
  const counters = new PipelineCounters();
  const messages: DisplayMessage[] = [];
  const subject = new Subject<PipelineInput>();
  subject.pipe(guidancePipeline(twin, { procedureId: 'warm-up', counters })).subscribe((m) => messages.push(m));
  for (const input of inputs) subject.next(input);
  subject.complete();
  return { messages, counters };
};

it('is the same procedure every time, and every sample is one a feed may send', () => {
  for (const feed of ['eam', 'fluoro-single', 'fluoro-biplane'] as const) {
    const inputs = warmUpInputs(twin, feed, 20);
    expect(warmUpInputs(twin, feed, 20)).toEqual(inputs);
    const samples = inputs.filter((i) => i.kind === 'sample');
    expect(samples.length).toBeGreaterThan(feed === 'eam' ? 1500 : 200);
    for (const s of samples) expect(() => validateMessage(s.sample, feedValidators)).not.toThrow();
  }
});

it('takes the paths a live procedure takes: branch changes, a stale feed and back, a missing, a late and a duplicate sample', () => {
  const { messages, counters } = run(warmUpInputs(twin, 'eam'));
  const guidance = messages.filter((m) => m.type === 'guidance');
  const branches = guidance.map((g) => g.tip.branch).filter((b, k, all) => k === 0 || b !== all[k - 1]);
  expect(branches.length).toBeGreaterThanOrEqual(4); // into side branches and back
  expect(guidance.some((g) => g.tip.confidence >= 0.8)).toBe(true); // motion compensation settles
  const feedStates = messages.filter((m) => m.type === 'status').map((m) => m.feed.state);
  expect(feedStates).toContain('stale');
  expect(counters.dropped.duplicate).toBeGreaterThan(0);
  expect(counters.dropped['quality-missing']).toBeGreaterThan(0);
  expect(counters.samplesIn).toBeGreaterThan(guidance.length); // missing, duplicate samples give none
});

it('changes no message of a procedure run after it', async () => {
  const first = await runScenario(twin, 'wrong-branch-then-correct', 'eam', { device: { seed: 3 } });
  const report = warmUpPipeline(twin, {}, 10);
  expect(report.samples).toBeGreaterThan(800);
  const again = await runScenario(twin, 'wrong-branch-then-correct', 'eam', { device: { seed: 3 } });
  expect(again.messages).toEqual(first.messages);
}, 60_000);

it('is on by default, off with TWINGUIDE_WARM_UP=0', () => {
  expect(resolveConfig({}, {}).warmUp).toBe(true);
  expect(resolveConfig({}, { TWINGUIDE_WARM_UP: '0' }).warmUp).toBe(false);
});

it('ends on any twin the server may serve, even one whose veins are too short to walk', async () => {
  const mini = await loadTwinFile(new URL('../fixtures/mini.twin.json', import.meta.url).pathname, { loadModel: false });
  try {
    expect(warmUpPipeline(mini, {}, 5).samples).toBeGreaterThan(0);
    // Every branch shorter than the walk's 2 mm margin: no step anywhere, and it still returns.
    const shortVeins = { ...mini, veins: { ...mini.veins, branches: mini.veins.branches.map((b) => ({ ...b, endArcMm: b.startArcMm + 1, lengthMm: 1 })) } } as Twin;
    expect(warmUpInputs(shortVeins, 'eam', 5).filter((i) => i.kind === 'sample')).toHaveLength(0);
  } finally {
    await mini.close();
  }
});
