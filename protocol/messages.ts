// The wire contract: every message of DESIGN.md as a JSON Schema (TypeBox) with its static type.
// The schemas are the source of truth for runtime validation (protocol/validate.ts), the REST
// routes' schemas, and the TypeScript types used across the code base.

import { Type, type Static, type TSchema } from '@sinclair/typebox';
import { LeadInfo, LeadSpec, MAX_ELECTRODES, Measurement } from './lead.ts';
import { ID_PATTERN, PHYSICAL_BOUNDS as B } from './limits.ts';

/** A finite float64 (NaN and ±Infinity are rejected by the validator's strictNumbers). */
export const Finite = (opts: { minimum?: number; maximum?: number; exclusiveMinimum?: number; description?: string } = {}) =>
  Type.Number(opts);

/** A coordinate in mm, within a cath lab's reach (PHYSICAL_BOUNDS). */
const Coordinate = () => Finite({ minimum: -B.positionAbsMm, maximum: B.positionAbsMm });
export const Vec3 = Type.Tuple([Coordinate(), Coordinate(), Coordinate()], { description: 'x, y, z in mm' });
export type Vec3 = Static<typeof Vec3>;

const QuaternionComponent = () => Finite({ minimum: -B.quaternionAbs, maximum: B.quaternionAbs });
export const Quaternion = Type.Tuple([QuaternionComponent(), QuaternionComponent(), QuaternionComponent(), QuaternionComponent()], { description: 'x, y, z, w (unit)' });

export const Id = Type.String({ pattern: ID_PATTERN, description: 'letters, digits, . _ -; no leading dot; ≤ 64 chars' });

/** Sample sequence number: a non-negative integer that a feed increments per sample. */
export const Seq = Type.Integer({ minimum: 0, maximum: Number.MAX_SAFE_INTEGER });
/** Source acquisition time, seconds (float64). The pipeline reasons on this, never on wall-clock. */
export const SampleTime = Finite({ minimum: -B.sampleTimeAbsS, maximum: B.sampleTimeAbsS, description: 'source acquisition time, s (any origin, within ±2^32 s)' });
/**
 * A time in a procedure's clock, as displays get it: the feed's time, run on across clock resets
 * and silences (the ticks), so it may pass the feed's own range a little; still far inside what
 * a 64-bit ns count holds.
 */
export const ProcedureTime = Finite({ minimum: -(2 ** 34), maximum: 2 ** 34, description: "the procedure's time, s (the feed's, run on across resets)" });

/** PLUS-style sample status: a tracker reports missing or out-of-view samples rather than none. */
export const SampleQuality = Type.Union([Type.Literal('ok'), Type.Literal('missing'), Type.Literal('out-of-view')]);
export type SampleQuality = Static<typeof SampleQuality>;

// ---------------------------------------------------------------------------------------------
// Feed → server

export const TipSample = Type.Object(
  {
    type: Type.Literal('tip'),
    seq: Seq,
    t: SampleTime,
    p: Vec3,
    q: Type.Optional(Quaternion),
    quality: Type.Optional(SampleQuality),
  },
  { additionalProperties: false, description: 'EAM lead-tip sample in the source frame (mm)' },
);
export type TipSample = Static<typeof TipSample>;

export const CArmGeometry = Type.Object(
  {
    alpha: Finite({ minimum: -180, maximum: 180, description: 'primary angle (0018,1510), degrees, +LAO' }),
    beta: Finite({ minimum: -90, maximum: 90, description: 'secondary angle (0018,1511), degrees, +CRAN' }),
    sid: Finite({ minimum: B.sidMm[0], maximum: B.sidMm[1], description: 'source-to-image distance (0018,1110), mm' }),
    sod: Finite({ minimum: B.sodMm[0], maximum: B.sodMm[1], description: 'source-to-isocentre distance (0018,1111), mm; less than sid' }),
    pixelSpacing: Type.Tuple([Finite({ minimum: B.pixelSpacingMm[0], maximum: B.pixelSpacingMm[1] }), Finite({ minimum: B.pixelSpacingMm[0], maximum: B.pixelSpacingMm[1] })], {
      description: 'row, column spacing at the detector (0018,1164), mm',
    }),
    size: Type.Tuple([Type.Integer({ minimum: 1, maximum: 16384 }), Type.Integer({ minimum: 1, maximum: 16384 })], {
      description: 'image width, height in pixels',
    }),
  },
  { additionalProperties: false },
);
export type CArmGeometry = Static<typeof CArmGeometry>;

export const FluoroView = Type.Object(
  {
    u: Finite({ minimum: -B.pixelAbs, maximum: B.pixelAbs, description: 'pixel column of the detected tip, right' }),
    v: Finite({ minimum: -B.pixelAbs, maximum: B.pixelAbs, description: 'pixel row of the detected tip, down' }),
    geometry: CArmGeometry,
  },
  { additionalProperties: false },
);
export type FluoroView = Static<typeof FluoroView>;

export const FluoroSample = Type.Object(
  {
    type: Type.Literal('fluoro'),
    seq: Seq,
    t: SampleTime,
    views: Type.Array(FluoroView, { minItems: 1, maxItems: 2 }),
    quality: Type.Optional(SampleQuality),
  },
  { additionalProperties: false, description: 'fluoroscopic tip detection in one (single plane) or two (biplane) views' },
);
export type FluoroSample = Static<typeof FluoroSample>;

export type FeedSample = TipSample | FluoroSample;

export const ClockReset = Type.Object(
  {
    type: Type.Literal('reset'),
    seq: Seq,
    t: SampleTime,
  },
  {
    additionalProperties: false,
    description: "the feed's clock or sequence restarted (a device reboot, a new tracker session): the next samples continue from this seq and t; the procedure keeps its own time running forward",
  },
);
export type ClockReset = Static<typeof ClockReset>;

/** An R wave detected on the ECG the mapping or X-ray system records, in the feed's clock. */
export const RWave = Type.Object(
  {
    type: Type.Literal('rwave'),
    t: SampleTime,
  },
  { additionalProperties: false, description: 'an R wave (end-diastole) at time t in the feed clock; used for the cardiac phase when present' },
);
export type RWave = Static<typeof RWave>;

/** Breathing as the lab measures it (a belt, impedance pneumography, the EAM system's own respiratory signal). */
export const Respiration = Type.Object(
  {
    type: Type.Literal('respiration'),
    t: SampleTime,
    /** Respiratory amplitude in the device's own units (larger = more inspired); any offset and scale. */
    amplitude: Finite({ minimum: -1e6, maximum: 1e6 }),
  },
  { additionalProperties: false, description: 'the respiratory amplitude at time t in the feed clock; used for the breathing motion when present' },
);
export type Respiration = Static<typeof Respiration>;

export type PhysioSignal = RWave | Respiration;

/** Anything a feed may send. */
export type FeedMessage = FeedSample | ClockReset | PhysioSignal | Measurement;

// ---------------------------------------------------------------------------------------------
// Server → any client

export const ErrorMessage = Type.Object(
  {
    type: Type.Literal('error'),
    code: Type.String({ pattern: '^TG_ERR_[A-Z0-9_]+$' }),
    message: Type.String({ maxLength: 2000 }),
    seq: Type.Optional(Seq),
  },
  { additionalProperties: false },
);
export type ErrorMessage = Static<typeof ErrorMessage>;

// ---------------------------------------------------------------------------------------------
// Server → display

export const FeedState = Type.Union([Type.Literal('live'), Type.Literal('stale'), Type.Literal('lost')]);
export type FeedState = Static<typeof FeedState>;

export const RegistrationState = Type.Union([Type.Literal('none'), Type.Literal('landmarks'), Type.Literal('refined')]);
export type RegistrationState = Static<typeof RegistrationState>;

export const ZoneState = Type.Union([
  Type.Literal('in'),
  Type.Literal('approaching'),
  Type.Literal('outside'),
  Type.Literal('none-accessible'),
]);
export type ZoneState = Static<typeof ZoneState>;

export const Instruction = Type.Union([
  Type.Literal('hold'),
  Type.Literal('advance'),
  Type.Literal('withdraw'),
  Type.Literal('switch-branch'),
  Type.Literal('none'),
]);
export type Instruction = Static<typeof Instruction>;

export const ResponseSource = Type.Union([Type.Literal('site'), Type.Literal('interpolated'), Type.Literal('model')]);

export const FeedStatus = Type.Object(
  { state: FeedState, rateHz: Finite({ minimum: 0 }) },
  { additionalProperties: false },
);
export type FeedStatus = Static<typeof FeedStatus>;

export const RegistrationStatus = Type.Object(
  { state: RegistrationState, rmsMm: Type.Optional(Finite({ minimum: 0 })) },
  { additionalProperties: false },
);
export type RegistrationStatus = Static<typeof RegistrationStatus>;

/** Where an electrode is against the target zones: in one, outside, in a stretch a measurement excluded, or proximal to the ostium (not in the veins yet). */
export const ElectrodeZone = Type.Union([Type.Literal('in'), Type.Literal('outside'), Type.Literal('excluded'), Type.Literal('proximal')]);
export type ElectrodeZone = Static<typeof ElectrodeZone>;

export const ElectrodeGuidance = Type.Object(
  {
    n: Type.Integer({ minimum: 1, maximum: MAX_ELECTRODES, description: 'electrode 1 is the distal (tip) electrode' }),
    p: Vec3,
    branch: Type.Optional(Type.String({ description: 'absent while the electrode is proximal to the ostium' })),
    arcLengthMm: Finite({ minimum: 0 }),
    response: Finite({ minimum: 0, maximum: 1, description: "the twin's p where the electrode is" }),
    zone: ElectrodeZone,
    zoneId: Type.Optional(Type.String()),
    accessible: Type.Boolean({ description: "the twin's accessibility there, and the vein wide enough for the lead's body" }),
  },
  { additionalProperties: false },
);
export type ElectrodeGuidance = Static<typeof ElectrodeGuidance>;

export const LeadGuidance = Type.Object(
  {
    electrodes: Type.Array(ElectrodeGuidance, { minItems: 1, maxItems: MAX_ELECTRODES }),
    best: Type.Optional(Type.Integer({ minimum: 1, maximum: MAX_ELECTRODES, description: 'the electrode to pace from: in a zone and usable, highest p' })),
  },
  { additionalProperties: false },
);
export type LeadGuidance = Static<typeof LeadGuidance>;

/**
 * With one fluoroscopic view, a vein at the tip shown less side-on than this (the sine of its angle
 * to the beam; 0.5: within 30° of it) is too foreshortened to place the tip along it: an error of the
 * image along the vein's projection is twice or more as long along the vein. Once it has been for a
 * moment, the server names a view that shows it side-on (`view.sideOn`) and the display says so.
 */
export const FORESHORTENED_BELOW = 0.5;

export const Guidance = Type.Object(
  {
    type: Type.Literal('guidance'),
    seq: Seq,
    t: ProcedureTime,
    tip: Type.Object(
      {
        p: Vec3,
        branch: Type.String({ description: "the twin's branch id" }),
        arcLengthMm: Finite({ minimum: 0 }),
        offCentrelineMm: Finite({ minimum: 0 }),
        confidence: Finite({ minimum: 0, maximum: 1 }),
      },
      { additionalProperties: false },
    ),
    response: Type.Object(
      { p: Finite({ minimum: 0, maximum: 1 }), source: ResponseSource },
      { additionalProperties: false },
    ),
    zone: Type.Object(
      {
        state: ZoneState,
        zoneId: Type.Optional(Type.String()),
        distanceMm: Type.Optional(Finite({ minimum: 0 })),
        dwellS: Type.Optional(Finite({ minimum: 0 })),
        instruction: Instruction,
        targetBranch: Type.Optional(Type.String()),
        text: Type.String({ maxLength: 200 }),
        note: Type.Optional(Type.String({ maxLength: 200, description: 'why the zone is what it is when a measurement changed it (a phrenic capture here)' })),
      },
      { additionalProperties: false },
    ),
    feed: FeedStatus,
    registration: RegistrationStatus,
    view: Type.Optional(
      Type.Object(
        {
          alpha: Finite({ minimum: -180, maximum: 180 }),
          beta: Finite({ minimum: -90, maximum: 90 }),
          veinShown: Type.Optional(Finite({ minimum: 0, maximum: 1, description: 'one view (single plane): how side-on it shows the vein at the tip, the sine of the angle between the vein and the beam; near 0 the place along the vein is all but unseen' })),
          sideOn: Type.Optional(
            Type.Object(
              { alpha: Finite({ minimum: -180, maximum: 180 }), beta: Finite({ minimum: -90, maximum: 90 }) },
              { additionalProperties: false, description: 'while the view foreshortens the vein at the tip (veinShown below 0.5 for 0.3 s, until it is 0.6 again and for 2 s at least): the C-arm angles nearest the active view that show it side-on (degrees, +LAO/+CRAN); displays then say the place along the vein is uncertain' },
            ),
          ),
        },
        { additionalProperties: false, description: 'the active C-arm view (fluoro feeds), degrees, +LAO/+CRAN: displays follow it' },
      ),
    ),
    lead: Type.Optional(LeadGuidance),
  },
  { additionalProperties: false, description: 'live guidance; seq and t are those of the newest sample it reflects' },
);
export type Guidance = Static<typeof Guidance>;

export const TargetZoneInfo = Type.Object(
  {
    id: Type.String(),
    branch: Type.String(),
    startArcMm: Finite({ minimum: 0 }),
    endArcMm: Finite({ minimum: 0 }),
    peakP: Finite({ minimum: 0, maximum: 1 }),
    siteIds: Type.Array(Type.String()),
  },
  { additionalProperties: false },
);
export type TargetZoneInfo = Static<typeof TargetZoneInfo>;

/** A stretch of vein a measurement made unusable for this procedure (a phrenic capture there). */
export const Exclusion = Type.Object(
  {
    branch: Type.String(),
    startArcMm: Finite({ minimum: 0 }),
    endArcMm: Finite({ minimum: 0 }),
    reason: Type.Literal('phrenic'),
    electrode: Type.Integer({ minimum: 1, maximum: MAX_ELECTRODES }),
    volts: Finite({ minimum: 0 }),
    t: ProcedureTime,
  },
  { additionalProperties: false },
);
export type Exclusion = Static<typeof Exclusion>;

/** A measurement as the procedure keeps it: where it was taken on the twin, and the twin's own prediction there. */
export const MeasurementRecord = Type.Object(
  {
    measurement: Measurement,
    /** The procedure's time when it was taken. */
    t: ProcedureTime,
    at: Type.Optional(Type.Object({ p: Vec3, branch: Type.String(), arcLengthMm: Finite({ minimum: 0 }) }, { additionalProperties: false })),
    twinP: Type.Optional(Finite({ minimum: 0, maximum: 1 })),
    twinQlvMs: Type.Optional(Finite({ minimum: 0 })),
    pWithMeasuredQlv: Type.Optional(Finite({ minimum: 0, maximum: 1, description: "the twin's model re-run with the measured QLV: shown beside the twin's p, never instead of it" })),
  },
  { additionalProperties: false },
);
export type MeasurementRecord = Static<typeof MeasurementRecord>;

export const MeasurementMessage = Type.Object(
  { type: Type.Literal('measurement'), procedureId: Id, record: MeasurementRecord },
  { additionalProperties: false, description: 'a measurement was taken (sent once, and kept in the snapshot)' },
);
export type MeasurementMessage = Static<typeof MeasurementMessage>;

export const ZonesMessage = Type.Object(
  { type: Type.Literal('zones'), procedureId: Id, t: Type.Optional(ProcedureTime), zones: Type.Array(TargetZoneInfo), exclusions: Type.Array(Exclusion) },
  { additionalProperties: false, description: "the procedure's usable target zones changed (a measurement excluded a stretch)" },
);
export type ZonesMessage = Static<typeof ZonesMessage>;

export const LeadMessage = Type.Object(
  { type: Type.Literal('lead'), procedureId: Id, lead: LeadInfo },
  { additionalProperties: false, description: "the procedure's lead (at the start, and when it is changed)" },
);
export type LeadMessage = Static<typeof LeadMessage>;

export const RegistrationInfo = Type.Object(
  {
    state: RegistrationState,
    transform: Type.Optional(Type.Array(Finite(), { minItems: 16, maxItems: 16, description: 'row-major 4×4, source → twin' })),
    rmsMm: Type.Optional(Finite({ minimum: 0 })),
    treMm: Type.Optional(Finite({ minimum: 0 })),
  },
  { additionalProperties: false },
);
export type RegistrationInfo = Static<typeof RegistrationInfo>;

export const Snapshot = Type.Object(
  {
    type: Type.Literal('snapshot'),
    procedureId: Id,
    twinId: Id,
    source: Type.Union([Type.Literal('eam'), Type.Literal('fluoro')]),
    registration: RegistrationInfo,
    zones: Type.Array(TargetZoneInfo),
    guidance: Type.Union([Guidance, Type.Null()]),
    feed: FeedStatus,
    failed: Type.Optional(Type.String({ maxLength: 2000, description: "why this procedure's guidance failed, when it did (it then guides no more)" })),
    lead: Type.Optional(LeadInfo),
    measurements: Type.Optional(Type.Array(MeasurementRecord, { maxItems: 1000 })),
    exclusions: Type.Optional(Type.Array(Exclusion)),
  },
  { additionalProperties: false, description: 'sent first to every display, so late joiners see the current state at once' },
);
export type Snapshot = Static<typeof Snapshot>;

export const StatusMessage = Type.Object(
  {
    type: Type.Literal('status'),
    procedureId: Id,
    t: Type.Optional(ProcedureTime),
    feed: FeedStatus,
    registration: RegistrationStatus,
  },
  { additionalProperties: false },
);
export type StatusMessage = Static<typeof StatusMessage>;

export const EventMessage = Type.Object(
  {
    type: Type.Literal('event'),
    procedureId: Id,
    t: Type.Optional(ProcedureTime),
    kind: Type.String({ pattern: '^[a-z][a-z0-9.-]{0,63}$' }),
    message: Type.String({ maxLength: 2000 }),
    code: Type.Optional(Type.String({ pattern: '^TG_ERR_[A-Z0-9_]+$' })),
  },
  { additionalProperties: false },
);
export type EventMessage = Static<typeof EventMessage>;

// ---------------------------------------------------------------------------------------------
// REST bodies (the routes reuse these schemas)

export const FeedKind = Type.Union([Type.Literal('eam'), Type.Literal('fluoro')]);
export type FeedKind = Static<typeof FeedKind>;

export const CreateProcedureRequest = Type.Object(
  {
    /** The procedure's id, when the caller names it (a case number); else the server makes one. */
    id: Type.Optional(Id),
    twinId: Id,
    source: FeedKind,
    igtlDevice: Type.Optional(Type.String({ minLength: 1, maxLength: 20, pattern: '^[\\x20-\\x7e]+$' })),
    /** The LV lead (default: a generic quadripolar); PUT /api/procedures/:id/lead changes it. */
    lead: Type.Optional(LeadSpec),
  },
  { additionalProperties: false },
);
export type CreateProcedureRequest = Static<typeof CreateProcedureRequest>;

export const LandmarkPair = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }), source: Vec3, twin: Type.Optional(Vec3) },
  { additionalProperties: false },
);

export const RegistrationRequest = Type.Union([
  Type.Object(
    {
      method: Type.Literal('landmarks'),
      pairs: Type.Array(LandmarkPair, { minItems: 3, maxItems: 64 }),
      scaling: Type.Optional(Type.Boolean()),
    },
    { additionalProperties: false },
  ),
  Type.Object({ method: Type.Literal('refine') }, { additionalProperties: false }),
  Type.Object({ method: Type.Literal('identity') }, { additionalProperties: false }),
]);
export type RegistrationRequest = Static<typeof RegistrationRequest>;

/** Messages a feed may send, keyed by `type`. */
export const FEED_MESSAGES = { tip: TipSample, fluoro: FluoroSample, reset: ClockReset, rwave: RWave, respiration: Respiration, measurement: Measurement } as const satisfies Record<string, TSchema>;
/** Messages a display receives, keyed by `type`. */
export const DISPLAY_MESSAGES = {
  snapshot: Snapshot,
  guidance: Guidance,
  status: StatusMessage,
  event: EventMessage,
  error: ErrorMessage,
  measurement: MeasurementMessage,
  zones: ZonesMessage,
  lead: LeadMessage,
} as const satisfies Record<string, TSchema>;
/** Messages the server sends back to a feed. */
export const FEED_REPLY_MESSAGES = { error: ErrorMessage } as const satisfies Record<string, TSchema>;

export type DisplayMessage = Snapshot | Guidance | StatusMessage | EventMessage | ErrorMessage | MeasurementMessage | ZonesMessage | LeadMessage;
export type WireMessage = FeedMessage | DisplayMessage;
