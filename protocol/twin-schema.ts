// The twin bundle (`*.twin.json`, format "twinguide.twin/1") as a JSON Schema with its static type.
// protocol/schema/twin.schema.json is generated from this (npm run gen:schema) so an offline
// pipeline in any language can validate what it writes. Structural rules a schema cannot express
// (index ranges, the tree, sites on the veins, the model reproducing p) are checked by the loader.

import { Type, type Static } from '@sinclair/typebox';
import { ID_PATTERN } from './limits.ts';

export const TWIN_FORMAT = 'twinguide.twin/1';

const Num = (opts: { minimum?: number; maximum?: number; exclusiveMinimum?: number; description?: string } = {}) =>
  Type.Number(opts);
const Index = Type.Integer({ minimum: 0 });
const Vec3 = Type.Tuple([Num(), Num(), Num()], { description: 'x, y, z in mm, twin frame (LPS)' });
const Name = Type.String({ minLength: 1, maxLength: 128 });

export const SurfaceSchema = Type.Object(
  {
    vertices: Type.Array(Num(), { description: 'flat [x,y,z, x,y,z, …] in mm' }),
    triangles: Type.Array(Index, { description: 'flat [i,j,k, …], 0-based, counter-clockwise seen from outside' }),
  },
  { additionalProperties: false },
);

export const EpiSurfaceSchema = Type.Object(
  {
    vertices: Type.Array(Num()),
    triangles: Type.Array(Index),
    activationMs: Type.Optional(Type.Array(Num({ minimum: 0 }), { description: 'per vertex, ms after QRS onset' })),
    scar: Type.Optional(Type.Array(Num({ minimum: 0, maximum: 1 }), { description: 'per vertex, 0 healthy … 1 dense scar' })),
    uvc: Type.Optional(
      Type.Object(
        {
          z: Type.Array(Num({ minimum: 0, maximum: 1 }), { description: 'apico-basal: apex 0 → base 1' }),
          rho: Type.Array(Num({ minimum: 0, maximum: 1 }), { description: 'transmural: endo 0 → epi 1' }),
          phi: Type.Array(Num({ minimum: -Math.PI - 1e-9, maximum: Math.PI + 1e-9 }), { description: 'circumferential, rad, septum 0' }),
        },
        { additionalProperties: false },
      ),
    ),
    aha: Type.Optional(Type.Array(Type.Integer({ minimum: 1, maximum: 17 }), { description: 'AHA segment per vertex' })),
    response: Type.Optional(Type.Array(Num({ minimum: 0, maximum: 1 }), { description: 'precomputed responder probability per vertex' })),
  },
  { additionalProperties: false },
);

export const BranchKind = Type.Union(
  [
    Type.Literal('coronary-sinus'),
    Type.Literal('great-cardiac-vein'),
    Type.Literal('anterior-interventricular'),
    Type.Literal('lateral'),
    Type.Literal('posterolateral'),
    Type.Literal('posterior'),
    Type.Literal('middle-cardiac'),
    Type.Literal('other'),
  ],
  { description: 'anatomical kind of a vein branch' },
);
export type BranchKind = Static<typeof BranchKind>;

export const BranchSchema = Type.Object(
  {
    id: Type.String({ pattern: ID_PATTERN }),
    name: Name,
    kind: BranchKind,
    nodes: Type.Array(Index, {
      minItems: 2,
      description: 'a path in the tree, parent → child; a side branch starts at the junction node it shares with its parent branch',
    }),
  },
  { additionalProperties: false },
);

export const InaccessibleReason = Type.Union([
  Type.Literal('vein-too-narrow'),
  Type.Literal('vein-too-wide'),
  Type.Literal('apical'),
  Type.Literal('phrenic-nerve'),
  Type.Literal('tortuosity'),
  Type.Literal('other'),
]);
export type InaccessibleReason = Static<typeof InaccessibleReason>;

export const SiteSchema = Type.Object(
  {
    id: Type.String({ pattern: ID_PATTERN }),
    branch: Type.String({ description: 'branch id' }),
    arcLengthMm: Num({ minimum: 0, description: 'from the ostium along the tree' }),
    position: Vec3,
    features: Type.Array(Num(), { description: 'in the order of featureNames' }),
    p: Num({ minimum: 0, maximum: 1, description: 'predicted probability of CRT response when paced here' }),
    accessible: Type.Boolean(),
    reasons: Type.Optional(Type.Array(InaccessibleReason, { description: 'why the site is not accessible' })),
    qlvMs: Type.Optional(Num({ description: 'QRS onset to local LV activation, ms' })),
  },
  { additionalProperties: false },
);

export const ModelCardSchema = Type.Object(
  {
    summary: Type.String({ minLength: 1 }),
    illustrative: Type.Boolean({ description: 'true when the coefficients are not those of a clinical study' }),
    intendedUse: Type.String(),
    trainingData: Type.String(),
    metrics: Type.Optional(Type.Record(Type.String(), Num())),
  },
  { additionalProperties: true },
);

export const ModelSchema = Type.Object(
  {
    format: Type.Literal('onnx'),
    onnxBase64: Type.String({ minLength: 1 }),
    inputName: Type.String({ minLength: 1 }),
    outputName: Type.String({ minLength: 1 }),
    featureNames: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    threshold: Num({ minimum: 0, maximum: 1 }),
    card: ModelCardSchema,
  },
  { additionalProperties: false },
);

export const LandmarkSchema = Type.Object(
  { name: Type.String({ minLength: 1, maxLength: 64 }), position: Vec3, description: Type.Optional(Type.String()) },
  { additionalProperties: false },
);

export const GuidanceDefaultsSchema = Type.Object(
  {
    responseThreshold: Num({ minimum: 0, maximum: 1 }),
    leadDiameterMm: Num({ exclusiveMinimum: 0 }),
    minVeinDiameterMm: Num({ exclusiveMinimum: 0 }),
    dwellTimeS: Num({ minimum: 0 }),
  },
  { additionalProperties: false },
);

/**
 * When the images behind the twin were taken: its geometry is the heart at this cardiac and
 * respiratory phase, and the live tip is reported at the same phase. Default: end-diastole,
 * end-expiration (what ECG- and respiratory-gated CT and MRI usually reconstruct).
 */
export const AcquisitionSchema = Type.Object(
  {
    cardiac: Type.Union([
      Type.Literal('end-diastole'),
      Type.Literal('mean'),
      Type.Object({ percentRR: Num({ minimum: 0, maximum: 100, description: 'reconstruction phase, % of the RR interval after the R wave (0: end-diastole)' }) }, { additionalProperties: false }),
    ]),
    respiratory: Type.Union([Type.Literal('end-expiration'), Type.Literal('end-inspiration'), Type.Literal('mean')]),
  },
  { additionalProperties: false },
);
export type Acquisition = Static<typeof AcquisitionSchema>;
export const DEFAULT_ACQUISITION: Acquisition = Object.freeze({ cardiac: 'end-diastole', respiratory: 'end-expiration' }) as Acquisition;

/** "end-diastole, end-expiration", "75 % RR, mean breathing", … */
export function describeAcquisition(a: Acquisition): string {
  const cardiac = typeof a.cardiac === 'string' ? (a.cardiac === 'mean' ? 'mean cardiac phase' : a.cardiac) : `${a.cardiac.percentRR} % RR`;
  const respiratory = a.respiratory === 'mean' ? 'mean breathing' : a.respiratory;
  return `${cardiac}, ${respiratory}`;
}

export const TwinBundleSchema = Type.Object(
  {
    format: Type.Literal(TWIN_FORMAT),
    meta: Type.Object(
      {
        id: Type.String({ pattern: ID_PATTERN }),
        label: Name,
        created: Type.String({ description: 'ISO 8601 date-time' }),
        source: Type.String({ description: 'where the anatomy and maps come from' }),
        units: Type.Literal('mm'),
        frame: Type.Literal('LPS'),
        acquisition: Type.Optional(AcquisitionSchema),
      },
      { additionalProperties: true },
    ),
    surfaces: Type.Object(
      { lvEndo: SurfaceSchema, rvEndo: SurfaceSchema, epi: EpiSurfaceSchema },
      { additionalProperties: false },
    ),
    veins: Type.Object(
      {
        nodes: Type.Array(Type.Tuple([Num(), Num(), Num(), Num({ exclusiveMinimum: 0, description: 'radius, mm' })]), {
          minItems: 2,
          description: '[x, y, z, radiusMm] per centreline node',
        }),
        edges: Type.Array(Type.Tuple([Index, Index]), { description: '[parent, child]' }),
        root: Index,
        branches: Type.Array(BranchSchema, { minItems: 1 }),
      },
      { additionalProperties: false },
    ),
    featureNames: Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }),
    sites: Type.Array(SiteSchema),
    model: Type.Optional(ModelSchema),
    landmarks: Type.Array(LandmarkSchema, { minItems: 4 }),
    guidance: GuidanceDefaultsSchema,
  },
  {
    $id: 'https://twinguide.invalid/schema/twin.schema.json',
    title: 'twinguide twin bundle',
    description: 'A patient digital twin for CRT lead guidance: surfaces, coronary-sinus vein tree, pacing sites with responder probability. Units mm, frame DICOM LPS.',
    additionalProperties: false,
  },
);

export type TwinBundle = Static<typeof TwinBundleSchema>;
export type SurfaceJson = Static<typeof SurfaceSchema>;
export type EpiSurfaceJson = Static<typeof EpiSurfaceSchema>;
export type BranchJson = Static<typeof BranchSchema>;
export type SiteJson = Static<typeof SiteSchema>;
export type ModelJson = Static<typeof ModelSchema>;
export type LandmarkJson = Static<typeof LandmarkSchema>;
export type GuidanceDefaults = Static<typeof GuidanceDefaultsSchema>;
