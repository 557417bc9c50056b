// A pipeline's state captured mid-procedure and put into a freshly built pipeline gives, from there
// on, exactly the messages the uninterrupted pipeline gives: EAM and biplane fluoro, with ECG and
// respiration signals. And what cannot be captured is refused, not silently lost.
import { Subject } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, type DisplayMessage } from '../../protocol/index.ts';
import { CHECKPOINT_CLASSES } from '../../server/pipeline/checkpoint-classes.ts';
import { PipelineCounters, PipelineState, type PipelineInput } from '../../server/pipeline/flow.ts';
import { guidancePipeline } from '../../server/pipeline/procedure-pipeline.ts';
import { applyState, captureState, sharedObjects } from '../../server/pipeline/state-capture.ts';
import { TipTrail } from '../../server/pipeline/tip-trail.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { CONDITIONS } from '../../simulators/device/conditions.ts';
import { defaultDeviceOptions, simulateDevice, simulatePhysio } from '../../simulators/device/device-simulator.ts';
import { inputsFromSamples, simulateLandmarkRegistration } from '../../simulators/device/run-scenario.ts';
import { scenarioPlan } from '../../simulators/device/scenarios.ts';

let twin: Twin;
beforeAll(async () => { twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname); });
afterAll(async () => { await twin.close(); });

function pipeline(): { state: PipelineState; subject: Subject<PipelineInput>; out: DisplayMessage[] } {
  const state = new PipelineState();
  const counters = state.keep('counters', new PipelineCounters());
  const trail = state.keep('trail', new TipTrail());
  const subject = new Subject<PipelineInput>();
  const out: DisplayMessage[] = [];
  subject.pipe(guidancePipeline(twin, { procedureId: 'ckpt', state, counters, trail })).subscribe((m) => out.push(m));
  return { state, subject, out };
}

const bytesOf = (ms: readonly DisplayMessage[]): Buffer => Buffer.concat(ms.map((m) => Buffer.from(encodeMessage(m))));

describe('pipeline checkpoints', () => {
  for (const kind of ['eam', 'fluoro-biplane'] as const) {
    it(`${kind}: restored mid-procedure, the rest is byte for byte what the uninterrupted pipeline sends`, () => {
      const device = defaultDeviceOptions(kind, { durationS: 30, ...CONDITIONS['physiological-signals'].device(3) });
      const registration = simulateLandmarkRegistration(twin, device.twinToSource, 0.58, 1);
      const plan = scenarioPlan(twin, kind === 'eam' ? 'reach-lateral-zone' : 'fluoro-biplane');
      const { inputs } = inputsFromSamples(simulateDevice(twin, plan, device), registration, true, simulatePhysio(twin, device, 30));
      expect(inputs.some((i) => i.kind === 'signal')).toBe(true);
      for (const at of [0.3, 0.7]) {
        const a = pipeline();
        const k = Math.floor(inputs.length * at);
        for (const input of inputs.slice(0, k)) a.subject.next(input);
        const shared = sharedObjects({ twin });
        const checkpoint = captureState(a.state.roots, shared, CHECKPOINT_CLASSES);
        const b = pipeline();
        applyState(b.state.roots, checkpoint, shared, CHECKPOINT_CLASSES);
        const before = a.out.length;
        for (const input of inputs.slice(k)) { a.subject.next(input); b.subject.next(input); }
        const rest = a.out.slice(before);
        expect(rest.filter((m) => m.type === 'guidance').length).toBeGreaterThan(100);
        expect(bytesOf(b.out).equals(bytesOf(rest))).toBe(true);
      }
    });
  }

  it('refuses a function or an unknown class inside the state, and a checkpoint of another shape', () => {
    const shared = new Map<object, string>();
    expect(() => captureState(new Map([['x', { nested: { f: () => 1 } }]]), shared, CHECKPOINT_CLASSES)).toThrow(/function at x\.nested\.f/);
    class Stranger { v = 1; }
    expect(() => captureState(new Map([['x', { s: new Stranger() }]]), shared, CHECKPOINT_CLASSES)).toThrow(/instance of Stranger/);
    const bytes = captureState(new Map([['x', new PipelineCounters()]]), shared, CHECKPOINT_CLASSES);
    expect(() => applyState(new Map([['x', new TipTrail()]]), bytes, shared, CHECKPOINT_CLASSES)).toThrow(/PipelineCounters/);
  });
});
