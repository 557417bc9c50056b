// A pipeline's state captured mid-procedure and put into a freshly built pipeline gives, from there
// on, exactly the messages the uninterrupted pipeline gives: EAM, biplane and single-plane fluoro, with ECG and
// respiration signals, a lead, and measurements (a QLV re-runs the twin's model: a restored model
// runner must read the features its restored evaluator writes). And what cannot be captured is
// refused, not silently lost.
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
import { resolveLead } from '../../server/lead/lead-catalogue.ts';
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

/** Until the pipeline has no model run in flight (the QLV measurement re-runs the twin's model). */
async function settled(state: PipelineState): Promise<void> {
  for (let k = 0; k < 500 && !state.quiescent; k++) await new Promise((r) => setTimeout(r, 2));
  expect(state.quiescent).toBe(true);
}

const bytesOf = (ms: readonly DisplayMessage[]): Buffer => Buffer.concat(ms.map((m) => Buffer.from(encodeMessage(m))));

describe('pipeline checkpoints', () => {
  // With the lab's signals (breathing follows them) and without (the free-form breath is in the state).
  for (const [kind, condition] of [['eam', 'physiological-signals'], ['fluoro-biplane', 'physiological-signals'], ['eam', 'variable-breathing'], ['fluoro-biplane', 'variable-breathing'], ['fluoro-single', 'variable-breathing']] as const) {
    it(`${kind}, ${condition}: restored mid-procedure, the rest is byte for byte what the uninterrupted pipeline sends`, async () => {
      const device = defaultDeviceOptions(kind, { durationS: 30, ...CONDITIONS[condition].device(3) });
      const registration = simulateLandmarkRegistration(twin, device.twinToSource, 0.58, 1);
      const plan = scenarioPlan(twin, kind === 'eam' ? 'reach-lateral-zone' : kind === 'fluoro-biplane' ? 'fluoro-biplane' : 'fluoro-single-plane');
      const { inputs } = inputsFromSamples(simulateDevice(twin, plan, device), registration, true, simulatePhysio(twin, device, 30), resolveLead(undefined));
      expect(inputs.some((i) => i.kind === 'signal')).toBe(condition === 'physiological-signals');
      // The lab's measurements too: a QLV (the model re-run) and a phrenic capture that cuts the zones.
      const half = Math.floor(inputs.length / 2);
      const tAt = (k: number): number => { for (let i = k; i >= 0; i--) { const x = inputs[i]!; if (x.kind === 'sample') return x.sample.t; } return 0; };
      inputs.splice(half, 0, { kind: 'measurement', measurement: { type: 'measurement', t: tAt(half), electrode: 1, kind: 'qlv', qlvMs: 150 } }, { kind: 'measurement', measurement: { type: 'measurement', t: tAt(half), electrode: 2, kind: 'phrenic', captured: true, volts: 4 } });
      for (const at of [0.3, 0.7]) {
        const a = pipeline();
        const k = Math.floor(inputs.length * at);
        for (const input of inputs.slice(0, k)) a.subject.next(input);
        await settled(a.state); // as a procedure does: no checkpoint while a model run is in flight
        const shared = sharedObjects({ twin });
        const checkpoint = captureState(a.state.roots, shared, CHECKPOINT_CLASSES);
        const b = pipeline();
        applyState(b.state.roots, checkpoint, shared, CHECKPOINT_CLASSES);
        const before = a.out.length;
        for (const input of inputs.slice(k)) { a.subject.next(input); b.subject.next(input); }
        await settled(a.state);
        await settled(b.state);
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
