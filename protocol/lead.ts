// The implanted lead and what the lab measures at its electrodes: the wire forms (TypeBox) and the
// plausible ranges of each measured value. A value outside its range is refused with
// TG_ERR_MEASUREMENT, naming the field and the range, so a console or a device driver can fix it.

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { TwinguideError } from './errors.ts';

/** Electrodes a lead may have (an octapolar lead is the most anyone sells today). */
export const MAX_ELECTRODES = 8;
/** The furthest an electrode may sit from the tip, mm (longer than any LV lead's electrode span). */
export const MAX_ELECTRODE_OFFSET_MM = 150;

/**
 * A lead as a procedure names it: a catalogue model by id, or `custom` with its electrodes'
 * distances from the tip (to each electrode's centre, along the lead, distal first).
 */
export const LeadSpec = Type.Object(
  {
    model: Type.String({ pattern: '^[a-z0-9][a-z0-9-]{0,63}$', description: "a catalogue id (GET /api/leads) or 'custom'" }),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
    electrodeOffsetsMm: Type.Optional(Type.Array(Type.Number({ minimum: 0, maximum: MAX_ELECTRODE_OFFSET_MM }), { minItems: 1, maxItems: MAX_ELECTRODES })),
    bodyDiameterMm: Type.Optional(Type.Number({ minimum: 0.5, maximum: 4 })),
  },
  { additionalProperties: false },
);
export type LeadSpec = Static<typeof LeadSpec>;

/** A lead resolved against the catalogue: what the pipeline and the displays use. */
export const LeadInfo = Type.Object(
  {
    model: Type.String(),
    name: Type.String(),
    electrodeOffsetsMm: Type.Array(Type.Number({ minimum: 0, maximum: MAX_ELECTRODE_OFFSET_MM }), { minItems: 1, maxItems: MAX_ELECTRODES }),
    bodyDiameterMm: Type.Number({ minimum: 0.5, maximum: 4 }),
    source: Type.String({ maxLength: 400, description: 'where the figures come from' }),
  },
  { additionalProperties: false },
);
export type LeadInfo = Static<typeof LeadInfo>;

const ElectrodeNumber = Type.Integer({ minimum: 1, maximum: MAX_ELECTRODES, description: 'electrode 1 is the distal (tip) electrode' });
const MeasurementTime = Type.Number({ minimum: -(2 ** 32), maximum: 2 ** 32, description: "when it was taken, in the feed's clock (s)" });

/** The four kinds; `t` required on the feed, optional over REST (then the procedure's newest time). */
function measurementKinds<T extends TSchema>(t: T) {
  const base = { type: Type.Literal('measurement'), t, electrode: ElectrodeNumber, ref: Type.Optional(Type.String({ minLength: 1, maxLength: 64, description: "the lab's own reference, echoed back" })) };
  return [
    Type.Object({ ...base, kind: Type.Literal('qlv'), qlvMs: Type.Number() }, { additionalProperties: false }),
    Type.Object({ ...base, kind: Type.Literal('threshold'), volts: Type.Number(), pulseWidthMs: Type.Number() }, { additionalProperties: false }),
    Type.Object({ ...base, kind: Type.Literal('phrenic'), captured: Type.Boolean(), volts: Type.Number(), pulseWidthMs: Type.Optional(Type.Number()) }, { additionalProperties: false }),
    Type.Object({ ...base, kind: Type.Literal('impedance'), ohms: Type.Number() }, { additionalProperties: false }),
  ] as const;
}

/** A measurement at one electrode, from the mapping system, the pacing system analyser or a console. */
export const Measurement = Type.Union([...measurementKinds(MeasurementTime)], {
  description: 'a measurement taken at an electrode: QLV, pacing threshold, phrenic capture or pacing impedance',
});
export type Measurement = Static<typeof Measurement>;
export type MeasurementKind = Measurement['kind'];

/** POST /api/procedures/:id/measurements: the same, `t` optional. */
export const MeasurementRequest = Type.Union([...measurementKinds(Type.Optional(MeasurementTime))]);
export type MeasurementRequest = Static<typeof MeasurementRequest>;

/**
 * What a lab can measure, per field ([min, max], inclusive). QLV: sensed LV delay from QRS onset
 * (it cannot exceed a QRS, which in CRT candidates runs up to ~250 ms); pacing analysers output up
 * to 10 V and pulse widths of 0.1–1.5 ms; LV lead pacing impedances lie in the low hundreds to the
 * low thousands of ohms (outside 100–4000 Ω a lead is open or shorted, and that is not a reading).
 */
export const MEASUREMENT_RANGES = {
  qlvMs: [0, 300],
  volts: [0, 10],
  pulseWidthMs: [0.05, 2],
  ohms: [100, 4000],
} as const;

const UNITS: Record<keyof typeof MEASUREMENT_RANGES, string> = { qlvMs: 'ms', volts: 'V', pulseWidthMs: 'ms', ohms: 'Ω' };

/** Refuse a value no lab would measure (TG_ERR_MEASUREMENT, naming the field and its range). */
export function checkMeasurementValues(m: Measurement, electrodes?: number): Measurement {
  for (const field of Object.keys(MEASUREMENT_RANGES) as (keyof typeof MEASUREMENT_RANGES)[]) {
    const value = (m as Record<string, unknown>)[field];
    if (value === undefined) continue;
    const [lo, hi] = MEASUREMENT_RANGES[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < lo || value > hi) {
      throw new TwinguideError('TG_ERR_MEASUREMENT', `${m.kind} measurement: ${field} ${String(value)} is outside ${lo}–${hi} ${UNITS[field]}`, { path: `/${field}` });
    }
  }
  if (electrodes !== undefined && m.electrode > electrodes) {
    throw new TwinguideError('TG_ERR_MEASUREMENT', `${m.kind} measurement at electrode ${m.electrode}, but the lead has ${electrodes} electrode${electrodes === 1 ? '' : 's'}`, { path: '/electrode' });
  }
  return m;
}
