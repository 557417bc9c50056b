// The whole lead on the twin: each electrode follows the tip back along the tree, the guidance
// holds when any electrode is in a zone, and a phrenic capture rules its stretch out (a zone cut
// in two, the instruction following). Driven through the real pipeline with a lead walked along
// the demo twin's veins (clean EAM samples, identity registration).
import { from, lastValueFrom, toArray } from 'rxjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DisplayMessage, Guidance, LeadSpec, Measurement, MeasurementMessage, MeasurementRequest, ZonesMessage } from '../../protocol/index.ts';
import { TwinguideError, checkMeasurementValues } from '../../protocol/index.ts';
import { resolveLead } from '../../server/lead/lead-catalogue.ts';
import type { PipelineInput } from '../../server/pipeline/flow.ts';
import { guidancePipeline } from '../../server/pipeline/procedure-pipeline.ts';
import { identityRegistration } from '../../server/pipeline/registration.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { placeOnBranch, pointAt, route } from '../../simulators/device/tree-route.ts';

let twin: Twin;
beforeAll(async () => {
  twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname);
});
afterAll(() => twin.close());

interface Drive {
  lead?: LeadSpec;
  /** Measurements taken this long (s) after the lead reached its place. */
  measurements?: { afterS: number; m: MeasurementRequest }[];
  holdS?: number;
}

/** From the ostium along the tree to (branch, arc) at 10 mm/s, then held there: every message. */
async function driveTo(branchId: string, arcMm: number, options: Drive = {}): Promise<DisplayMessage[]> {
  const start = placeOnBranch(twin, 'cs', 2);
  const path = route(twin, start, placeOnBranch(twin, branchId, arcMm), 0.1);
  const inputs: PipelineInput[] = [{ kind: 'registration', registration: identityRegistration() }, { kind: 'lead', lead: resolveLead(options.lead) }];
  let seq = 0;
  const sample = (p: { x: number; y: number; z: number }): void => {
    inputs.push({ kind: 'sample', sample: { type: 'tip', seq, t: seq * 0.01, p: [p.x, p.y, p.z] } });
    seq++;
  };
  for (const p of path) sample(p);
  const end = path[path.length - 1]!;
  const arrived = seq * 0.01;
  const pending = [...(options.measurements ?? [])].sort((a, b) => a.afterS - b.afterS);
  for (let k = 0; k < (options.holdS ?? 4) * 100; k++) {
    while (pending.length > 0 && seq * 0.01 >= arrived + pending[0]!.afterS) inputs.push({ kind: 'measurement', measurement: { ...pending.shift()!.m, t: seq * 0.01 } as Measurement });
    sample(end);
  }
  return lastValueFrom(from(inputs).pipe(guidancePipeline(twin, { procedureId: 'lead-test' }), toArray()));
}

const guidance = (messages: DisplayMessage[]): Guidance[] => messages.filter((m): m is Guidance => m.type === 'guidance');
const last = (messages: DisplayMessage[]): Guidance => guidance(messages).at(-1)!;

describe('electrodes along the tree', () => {
  it('a tip 20 mm past a zone holds, with an electrode in the zone named, and that electrode the one to pace from', async () => {
    const zone = twin.zones.find((z) => z.branchId === 'plv')!;
    const g = last(await driveTo('plv', zone.endArcMm + 20));
    expect(g.tip.branch).toBe('plv');
    expect(g.tip.arcLengthMm).toBeGreaterThan(zone.endArcMm + 18);
    expect(g.zone.state).toBe('in');
    expect(g.zone.instruction).toBe('hold');
    const named = Number(/^HOLD: ELECTRODE (\d) IN TARGET ZONE$/.exec(g.zone.text)?.[1]);
    expect(named).toBeGreaterThan(1);
    const electrodes = g.lead!.electrodes;
    // Generic quadripolar: 0, 15, 30, 45 mm from the tip.
    expect(electrodes.map((e) => e.n)).toEqual([1, 2, 3, 4]);
    expect(electrodes.map((e) => e.zone)).toEqual(['outside', 'outside', 'in', 'in']);
    for (const [k, offset] of [0, 15, 30, 45].entries()) expect(electrodes[k]!.arcLengthMm).toBeCloseTo(g.tip.arcLengthMm - offset, 0);
    expect(electrodes[named - 1]!.zone).toBe('in');
    expect(g.lead!.best).toBeDefined();
    const best = electrodes[g.lead!.best! - 1]!;
    expect(best.zone).toBe('in');
    expect(best.response).toBe(Math.max(...electrodes.filter((e) => e.zone === 'in').map((e) => e.response)));
  });

  it('without a lead (a recording made before leads) the tip alone decides: 20 mm past the zone is WITHDRAW', async () => {
    const zone = twin.zones.find((z) => z.branchId === 'plv')!;
    const start = placeOnBranch(twin, 'cs', 2);
    const path = route(twin, start, placeOnBranch(twin, 'plv', zone.endArcMm + 20), 0.1);
    const end = path[path.length - 1]!;
    for (let k = 0; k < 400; k++) path.push(end);
    const inputs: PipelineInput[] = [{ kind: 'registration', registration: identityRegistration() }];
    path.forEach((p, seq) => inputs.push({ kind: 'sample', sample: { type: 'tip', seq, t: seq * 0.01, p: [p.x, p.y, p.z] } }));
    const g = last(await lastValueFrom(from(inputs).pipe(guidancePipeline(twin, { procedureId: 'no-lead' }), toArray())));
    expect(g.lead).toBeUndefined();
    expect(g.zone.instruction).toBe('withdraw');
  });

  it('a tip in a narrow branch with its proximal electrodes back in the coronary sinus reports each on its own vein', async () => {
    const pv = twin.veins.branches[twin.veins.branchById.get('pv')!]!;
    const tipArc = pv.startArcMm + 20; // electrodes 3 and 4 (30, 45 mm back) are proximal to the pv junction
    const g = last(await driveTo('pv', tipArc));
    const e = g.lead!.electrodes;
    expect(g.tip.branch).toBe('pv');
    expect(e.map((x) => x.branch)).toEqual(['pv', 'pv', 'cs', 'cs']);
    expect(e[2]!.arcLengthMm).toBeCloseTo(tipArc - 30, 0);
    expect(e[3]!.arcLengthMm).toBeCloseTo(tipArc - 45, 0);
    // Each electrode drawn on its own vein: its point lies on the centreline at its arc length.
    for (const x of e) {
      const at = pointAt(twin, placeOnBranch(twin, x.branch!, x.arcLengthMm));
      expect(Math.hypot(at.x - x.p[0], at.y - x.p[1], at.z - x.p[2])).toBeLessThan(0.3);
    }
    // The coronary sinus is too wide to hold a lead (the twin says so); the pv tip's stretch is the twin's call.
    expect(e[3]!.accessible).toBe(false);
    expect(e.every((x) => x.zone === 'outside')).toBe(true);
  });

  it('an electrode behind the ostium is proximal: in no vein, and never in a zone', async () => {
    const g = last(await driveTo('cs', 20));
    const e = g.lead!.electrodes;
    expect(e.map((x) => x.zone)).toEqual(['outside', 'outside', 'proximal', 'proximal']);
    expect(e[2]!.branch).toBeUndefined();
  });
});

describe('measurements on the twin', () => {
  it('a phrenic capture in the middle of a zone splits it, and the instruction follows', async () => {
    const zone = twin.zones.find((z) => z.branchId === 'plv')!;
    const middle = (zone.startArcMm + zone.endArcMm) / 2;
    // A single-electrode lead: the tip alone decides, so the instruction must move it.
    const messages = await driveTo('plv', middle, {
      lead: { model: 'custom', electrodeOffsetsMm: [0] },
      measurements: [{ afterS: 0.5, m: { type: 'measurement', electrode: 1, kind: 'phrenic', captured: true, volts: 3.5, pulseWidthMs: 0.5 } }],
    });
    const zonesMessage = messages.find((m): m is ZonesMessage => m.type === 'zones')!;
    expect(zonesMessage).toBeDefined();
    const parts = zonesMessage.zones.filter((z) => z.branch === 'plv');
    expect(parts.map((z) => z.id)).toEqual([`${zone.id}a`, `${zone.id}b`]);
    expect(parts[0]!.startArcMm).toBeCloseTo(zone.startArcMm, 1);
    expect(parts[1]!.endArcMm).toBeCloseTo(zone.endArcMm, 1);
    expect(parts[0]!.endArcMm).toBeLessThan(middle);
    expect(parts[1]!.startArcMm).toBeGreaterThan(middle);
    expect(zonesMessage.exclusions).toEqual([expect.objectContaining({ branch: 'plv', reason: 'phrenic', electrode: 1, volts: 3.5 })]);
    const at = messages.indexOf(zonesMessage);
    const before = guidance(messages.slice(0, at)).at(-1)!;
    const after = last(messages);
    expect(before.zone.state).toBe('in');
    expect(after.zone.state).not.toBe('in');
    expect(['advance', 'withdraw']).toContain(after.zone.instruction);
    expect(after.zone.text).toMatch(/^(ADVANCE|WITHDRAW) \d+ mm$/);
    expect(after.zone.note).toMatch(/PHRENIC/);
    expect(after.lead!.electrodes[0]!.zone).toBe('excluded');
  });

  it('with a quadripolar lead the same capture leaves electrode 2 holding the zone', async () => {
    const zone = twin.zones.find((z) => z.branchId === 'plv')!;
    const messages = await driveTo('plv', zone.startArcMm + 18, {
      measurements: [{ afterS: 0.5, m: { type: 'measurement', electrode: 1, kind: 'phrenic', captured: true, volts: 3.5 } }],
    });
    const g = last(messages);
    expect(g.lead!.electrodes[0]!.zone).toBe('excluded');
    expect(g.lead!.electrodes[1]!.zone).toBe('in');
    expect(g.zone.text).toBe('HOLD: ELECTRODE 2 IN TARGET ZONE');
  });

  it('a capture that rules out every zone says so, and why', async () => {
    // The lmv1 zone is 41 mm long: captures at five electrodes 10 mm apart (each ruling out ±5 mm) cover it.
    const zone = twin.zones.find((z) => z.branchId === 'lmv1')!;
    const m = (electrode: number) => ({ afterS: 0.2 * electrode, m: { type: 'measurement' as const, electrode, kind: 'phrenic' as const, captured: true, volts: 2 } });
    const plv = twin.zones.find((z) => z.branchId === 'plv')!;
    const first = await driveTo('lmv1', zone.endArcMm + 2, { lead: { model: 'custom', electrodeOffsetsMm: [0, 10, 20, 30, 40] }, measurements: [1, 2, 3, 4, 5].map(m) });
    const zones = first.filter((x): x is ZonesMessage => x.type === 'zones').at(-1)!;
    expect(zones.zones.filter((z) => z.branch === 'lmv1')).toEqual([]);
    expect(zones.zones.some((z) => z.branch === plv.branchId)).toBe(true);
    expect(last(first).zone.targetBranch).toBe('plv');
  });

  it('a measured QLV is placed beside the twin\'s prediction there, with p re-run on the twin\'s model, labelled apart', async () => {
    const zone = twin.zones.find((z) => z.branchId === 'lmv1')!;
    const messages = await driveTo('lmv1', zone.startArcMm + 10, {
      measurements: [
        { afterS: 0.3, m: { type: 'measurement', electrode: 1, kind: 'qlv', qlvMs: 40 } },
        { afterS: 0.6, m: { type: 'measurement', electrode: 1, kind: 'qlv', qlvMs: 160 } },
        { afterS: 0.9, m: { type: 'measurement', electrode: 2, kind: 'threshold', volts: 1.2, pulseWidthMs: 0.5 } },
        { afterS: 1.0, m: { type: 'measurement', electrode: 2, kind: 'impedance', ohms: 640 } },
      ],
    });
    const records = messages.filter((m): m is MeasurementMessage => m.type === 'measurement').map((m) => m.record);
    expect(records.map((r) => r.measurement.kind)).toEqual(['qlv', 'qlv', 'threshold', 'impedance']);
    const [low, high, threshold] = records;
    expect(low!.at!.branch).toBe('lmv1');
    expect(low!.twinQlvMs).toBeGreaterThan(0);
    expect(low!.twinP).toBeGreaterThan(0);
    // The twin's model takes electrical delay as a feature: a later activation predicts more response.
    expect(high!.pWithMeasuredQlv!).toBeGreaterThan(low!.pWithMeasuredQlv!);
    expect(low!.twinP).toBe(high!.twinP); // the twin's own p is never replaced
    expect(threshold!.at!.arcLengthMm).toBeCloseTo(low!.at!.arcLengthMm - 15, 0);
    expect(threshold!.pWithMeasuredQlv).toBeUndefined();
    // Guidance goes on, in order, after every measurement.
    expect(messages.at(-1)!.type).toBe('guidance');
  });
});

describe('what is refused', () => {
  it('measurement values no lab measures, and electrodes the lead lacks, have a stable code', () => {
    const code = (m: unknown, electrodes?: number): string => {
      try {
        checkMeasurementValues(m as Measurement, electrodes);
        return 'accepted';
      } catch (e) {
        return (e as TwinguideError).code;
      }
    };
    const base = { type: 'measurement', t: 1, electrode: 1 };
    expect(code({ ...base, kind: 'qlv', qlvMs: 120 })).toBe('accepted');
    expect(code({ ...base, kind: 'qlv', qlvMs: -5 })).toBe('TG_ERR_MEASUREMENT');
    expect(code({ ...base, kind: 'qlv', qlvMs: 900 })).toBe('TG_ERR_MEASUREMENT');
    expect(code({ ...base, kind: 'threshold', volts: 25, pulseWidthMs: 0.5 })).toBe('TG_ERR_MEASUREMENT');
    expect(code({ ...base, kind: 'threshold', volts: 1, pulseWidthMs: 0 })).toBe('TG_ERR_MEASUREMENT');
    expect(code({ ...base, kind: 'impedance', ohms: 20 })).toBe('TG_ERR_MEASUREMENT');
    expect(code({ ...base, kind: 'phrenic', captured: true, volts: 11 })).toBe('TG_ERR_MEASUREMENT');
    expect(code({ ...base, electrode: 4, kind: 'impedance', ohms: 500 }, 2)).toBe('TG_ERR_MEASUREMENT');
  });

  it('leads: unknown models and bad custom offsets are TG_ERR_LEAD; the default is the generic quadripolar', () => {
    const code = (spec: LeadSpec): string => {
      try {
        resolveLead(spec);
        return 'accepted';
      } catch (e) {
        return (e as TwinguideError).code;
      }
    };
    expect(resolveLead(undefined).electrodeOffsetsMm).toEqual([0, 15, 30, 45]);
    expect(code({ model: 'no-such-lead' })).toBe('TG_ERR_LEAD');
    expect(code({ model: 'custom' })).toBe('TG_ERR_LEAD');
    expect(code({ model: 'custom', electrodeOffsetsMm: [0, 20, 10] })).toBe('TG_ERR_LEAD');
    expect(code({ model: 'generic-quadripolar', electrodeOffsetsMm: [0, 5] })).toBe('TG_ERR_LEAD');
    expect(code({ model: 'custom', electrodeOffsetsMm: [0, 21, 31, 47], name: 'From its manual' })).toBe('accepted');
  });
});
