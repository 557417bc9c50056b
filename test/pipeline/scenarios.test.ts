// The whole pipeline driven by the device simulator, on the demo twins, with the twins' ONNX model.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeMessage, type Guidance, type StatusMessage } from '../../protocol/index.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { runScenario } from '../../simulators/device/run-scenario.ts';
import { scoreGuidance } from '../../simulators/device/score.ts';

let demo: Twin;
let scar: Twin;
beforeAll(async () => {
  demo = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname);
  scar = await loadTwinFile(new URL('../../data/twins/demo-scar.twin.json', import.meta.url).pathname);
});
afterAll(async () => {
  await demo.close();
  await scar.close();
});

const last = (g: Guidance[]): Guidance => g[g.length - 1]!;

describe('guidance pipeline on simulated procedures', () => {
  it('is deterministic: the same samples give the same messages, byte for byte', async () => {
    const a = await runScenario(demo, 'wrong-branch-then-correct');
    const b = await runScenario(demo, 'wrong-branch-then-correct');
    expect(a.messages.length).toBeGreaterThan(1000);
    expect(b.messages.length).toBe(a.messages.length);
    const bytes = (run: typeof a): Buffer => Buffer.concat(run.messages.map((m) => Buffer.from(encodeMessage(m))));
    expect(bytes(b).equals(bytes(a))).toBe(true);
  });

  it('reach-lateral-zone: advances toward the zone, then holds in it, with p from the model', async () => {
    const run = await runScenario(demo, 'reach-lateral-zone');
    const final = last(run.guidance);
    const zone = demo.zones.find((z) => z.id === final.zone.zoneId)!;
    expect(final.zone.state).toBe('in');
    expect(final.zone.instruction).toBe('hold');
    expect(final.zone.text).toBe('IN TARGET ZONE');
    expect(final.tip.branch).toBe(zone.branchId);
    expect(final.zone.dwellS!).toBeGreaterThan(3);
    expect(run.guidance.some((g) => g.zone.instruction === 'advance' && /^ADVANCE \d+ mm/.test(g.zone.text))).toBe(true);
    expect(run.guidance.some((g) => g.response.source === 'model')).toBe(true);
    expect(final.response.p).toBeGreaterThanOrEqual(0.5);
    const figures = scoreGuidance(run.guidance, run.truths);
    expect(figures.branchAccuracy).toBeGreaterThan(0.95);
    expect(figures.zoneAgreement).toBeGreaterThan(0.95);
  });

  it('wrong-branch-then-correct: tells the physician to withdraw and take the other branch, then holds in the zone', async () => {
    const run = await runScenario(demo, 'wrong-branch-then-correct');
    const switching = run.guidance.filter((g) => g.zone.instruction === 'switch-branch');
    expect(switching.length).toBeGreaterThan(50);
    expect(switching.some((g) => /^WITHDRAW \d+ mm, THEN [A-Z ]+$/.test(g.zone.text))).toBe(true);
    expect(last(run.guidance).zone.state).toBe('in');
  });

  it('no-accessible-site: says plainly that this twin has no accessible responder site', async () => {
    const run = await runScenario(scar, 'no-accessible-site');
    expect(run.guidance.length).toBeGreaterThan(1000);
    for (const g of run.guidance) {
      expect(g.zone.state).toBe('none-accessible');
      expect(g.zone.text).toBe('NO ACCESSIBLE RESPONDER SITE IN THIS TWIN');
    }
  });

  it('dropout-and-recover: the feed goes stale during the dropout, then live again, and guidance resumes', async () => {
    const run = await runScenario(demo, 'dropout-and-recover');
    const states = run.messages.filter((m): m is StatusMessage => m.type === 'status').map((m) => m.feed.state);
    const stale = states.indexOf('stale');
    expect(stale).toBeGreaterThan(0);
    expect(states.slice(stale)).toContain('live');
    const gap = run.guidance.findIndex((g, k) => k > 0 && g.t - run.guidance[k - 1]!.t > 1);
    expect(gap).toBeGreaterThan(0);
    expect(run.guidance.length - gap).toBeGreaterThan(500);
    expect(last(run.guidance).zone.state).toBe('in');
  });

  it('does not flicker between branches while the lead is held still', async () => {
    const run = await runScenario(demo, 'reach-lateral-zone');
    const end = last(run.guidance).t;
    const held = run.guidance.filter((g) => g.t > end - 4);
    expect(new Set(held.map((g) => g.tip.branch)).size).toBe(1);
    expect(new Set(held.map((g) => g.zone.state)).size).toBe(1);
  });

  it('fluoro-biplane: reaches and holds the zone from two views', async () => {
    const run = await runScenario(demo, 'fluoro-biplane');
    expect(run.feed).toBe('fluoro-biplane');
    expect(last(run.guidance).zone.state).toBe('in');
    expect(scoreGuidance(run.guidance, run.truths).branchAccuracy).toBeGreaterThan(0.95);
  });

  it('fluoro guidance carries the active C-arm view, for displays that follow it; EAM guidance does not', async () => {
    const fluoro = await runScenario(demo, 'fluoro-single-plane');
    const angles = new Set(fluoro.guidance.map((g) => `${g.view?.alpha},${g.view?.beta}`));
    expect(fluoro.guidance.every((g) => g.view !== undefined)).toBe(true);
    expect([...angles].every((a) => /^-?\d+(\.\d+)?,-?\d+(\.\d+)?$/.test(a))).toBe(true);
    // The view is the first view of the newest sample: the simulator's C-arm is at LAO 30 or RAO 30.
    for (const a of angles) expect(Math.abs(Number(a.split(',')[0]))).toBe(30);
    const eam = await runScenario(demo, 'reach-lateral-zone', 'eam');
    expect(eam.guidance.some((g) => g.view !== undefined)).toBe(false);
  });

  it('collects the compensated tip trail, and refining with it brings a perturbed registration closer to the truth', async () => {
    const { TipTrail } = await import('../../server/pipeline/tip-trail.ts');
    const { refineRegistration } = await import('../../server/pipeline/registration.ts');
    const { registrationError } = await import('../../simulators/device/run-scenario.ts');
    const { defaultDeviceOptions } = await import('../../simulators/device/device-simulator.ts');
    const trail = new TipTrail();
    const run = await runScenario(demo, 'tour', 'eam', { pipeline: { trail }, landmarkNoiseMm: 2 });
    expect(trail.size).toBeGreaterThan(300);
    const twinToSource = defaultDeviceOptions('eam').twinToSource;
    const refined = refineRegistration(run.registration, trail.toArray(), demo.centrelines);
    expect(refined.afterMm).toBeLessThanOrEqual(refined.beforeMm);
    if (refined.accepted) expect(registrationError(demo, refined.registration, twinToSource)).toBeLessThan(run.registrationErrorMm + 0.5);
  });

  it('without a registration, confidence is low and the instruction says so instead of guessing', async () => {
    const run = await runScenario(demo, 'reach-lateral-zone', 'eam');
    // The runner registers first; run the same samples again without that registration.
    const { from, lastValueFrom, toArray } = await import('rxjs');
    const { guidancePipeline } = await import('../../server/pipeline/procedure-pipeline.ts');
    const inputs = run.inputs.filter((i) => i.kind !== 'registration');
    const messages = await lastValueFrom(from(inputs).pipe(guidancePipeline(demo, { procedureId: 'x' }), toArray()));
    const guidance = messages.filter((m): m is Guidance => m.type === 'guidance');
    expect(guidance.length).toBeGreaterThan(100);
    for (const g of guidance) {
      expect(g.registration.state).toBe('none');
      expect(g.zone.instruction).toBe('none');
      expect(g.zone.text).toBe('LOW CONFIDENCE: CHECK REGISTRATION');
    }
  });
});
