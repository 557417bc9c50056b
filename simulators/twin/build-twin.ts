// The twin builder: heart surfaces in, a complete twin bundle out (veins, activation, UVC/AHA
// labels, sites with features and accessibility, an illustrative ONNX model and p at each site).
// Deterministic: the same surfaces, seed and options give a byte-identical file.

import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { TWIN_FORMAT, TwinguideError, type SiteJson, type TwinBundle } from '../../protocol/index.ts';
import { ahaSegment, angleOf, findAnatomicalFrame, heightOf, type AnatomicalFrame, type HeartSurfaces } from './anatomical-frame.ts';
import type { BuilderLandmarks } from './landmark-file.ts';
import { sampleField, type VertexField } from './vertex-fields.ts';
import { lbbbActivation, qrsDurationMs } from './activation.ts';
import { LOGISTIC_INPUT, LOGISTIC_OUTPUT, buildLogisticOnnx, logisticP } from './onnx-logistic.ts';
import { Random } from './random.ts';
import { FEATURE_NAMES, ILLUSTRATIVE_MODEL, MODEL_CARD } from './response-features.ts';
import { DEFAULT_SITE_OPTIONS, sampleSites } from './site-sampling.ts';
import { readSurface, SURFACE_EXTENSIONS, type SurfaceFile, type SurfaceReadOptions } from './surface-files.ts';
import { fitRealVeinTree, type CentrelineFile, type VeinFitReport } from './real-vein-tree.ts';
import { EpicardialProjector, synthesiseVeins, type SynthesisedVeins } from './vein-synthesis.ts';
import { vertex, type TriangleMesh, type Vec } from './triangle-mesh.ts';

export interface BuildOptions {
  seed: number;
  /** AHA segments (1–17) with scar. */
  scarSegments?: readonly number[];
  leadDiameterMm?: number;
  /** Calibre factor for posterior/posterolateral/lateral veins (< 1 for narrow veins). */
  lateralVeinScale?: number;
  id?: string;
  label?: string;
  /** ISO date-time written to meta.created (default: SOURCE_DATE_EPOCH, else the Unix epoch), so builds are reproducible. */
  created?: string;
  source?: string;
  /** A real centreline tree to place on the epicardium instead of synthesising one. */
  veins?: { file: CentrelineFile; source: string; format?: string; sameFrame?: boolean; ostium?: string };
  /** A point on the septum or in the RV (--septum), in the surfaces' coordinates (mm, LPS). */
  septum?: [number, number, number];
  /** Landmarks from a file (--landmarks). */
  landmarks?: BuilderLandmarks;
  /** Per-vertex fields on the epicardium used instead of the builder's illustrative ones. */
  activation?: VertexField;
  response?: VertexField;
  /** How the surfaces were read (units, frames), for meta.builder. */
  input?: Record<string, unknown>;
  /** Called at the start of each slow step. */
  progress?: (step: string, index: number, total: number) => void;
}

const SURFACE_NAMES = { epi: 'epi', lvEndo: 'lv_endo', rvEndo: 'rv_endo' } as const;

/** Find epi / lv_endo / rv_endo in a directory, in any supported format. */
export function findSurfaceFiles(dir: string): { epi: string; lvEndo?: string; rvEndo?: string } {
  const find = (name: string): string | undefined => SURFACE_EXTENSIONS.map((e) => join(dir, `${name}${e}`)).find((f) => existsSync(f));
  const epi = find(SURFACE_NAMES.epi);
  if (!epi) throw new TwinguideError('TG_ERR_SURFACE', `no epicardium in ${dir}: expected epi with one of ${SURFACE_EXTENSIONS.join(', ')}`);
  const lvEndo = find(SURFACE_NAMES.lvEndo);
  const rvEndo = find(SURFACE_NAMES.rvEndo);
  return { epi, ...(lvEndo ? { lvEndo } : {}), ...(rvEndo ? { rvEndo } : {}) };
}

export interface ReadHeart {
  surfaces: HeartSurfaces;
  files: { epi: string; lvEndo?: string; rvEndo?: string };
  /** The epicardium as read, with its point data (fields on the vertices). */
  epiFile: SurfaceFile;
  /** How each file's frame was known, for meta.builder. */
  frames: Record<string, string>;
}

export function readHeartSurfaces(dir: string, options: SurfaceReadOptions = {}): HeartSurfaces {
  return readHeart(findSurfaceFiles(dir), options).surfaces;
}

/** Heart surfaces in mm and LPS, each checked, the epicardium bigger than a coin and smaller than a torso. */
export function readHeart(files: { epi: string; lvEndo?: string; rvEndo?: string }, options: SurfaceReadOptions = {}): ReadHeart {
  const read = (file: string): SurfaceFile => {
    const surface = readSurface(file, options);
    checkSize(surface, file, options);
    return surface;
  };
  const epiFile = read(files.epi);
  const lv = files.lvEndo ? read(files.lvEndo) : undefined;
  const rv = files.rvEndo ? read(files.rvEndo) : undefined;
  const frames: Record<string, string> = {};
  for (const [name, s] of [['epi', epiFile], ['lvEndo', lv], ['rvEndo', rv]] as const) if (s) frames[name] = `${s.frame} (${s.frameFrom === 'file' ? 'as the file says' : s.frameFrom === 'option' ? '--frame' : 'assumed'})`;
  return {
    surfaces: { epi: epiFile.mesh, ...(lv ? { lvEndo: lv.mesh } : {}), ...(rv ? { rvEndo: rv.mesh } : {}) },
    files,
    epiFile,
    frames,
  };
}

/** A heart spans 50–200 mm: a surface a thousand times off is in the wrong units. */
function checkSize(surface: SurfaceFile, file: string, options: SurfaceReadOptions): void {
  const p = surface.mesh.positions;
  const min = [Infinity, Infinity, Infinity], max = [-Infinity, -Infinity, -Infinity];
  for (let i = 0; i < p.length; i += 3) for (let k = 0; k < 3; k++) { min[k] = Math.min(min[k]!, p[i + k]!); max[k] = Math.max(max[k]!, p[i + k]!); }
  const span = Math.max(max[0]! - min[0]!, max[1]! - min[1]!, max[2]! - min[2]!);
  const units = options.units ?? 'mm';
  if (span < 5) {
    throw new TwinguideError('TG_ERR_SURFACE', `${file}: spans ${span.toPrecision(3)} mm read as ${units}; a heart spans 50–200 mm${units === 'mm' ? ': are these metres? pass --units m' : ''}`);
  }
  if (span > 1000) {
    throw new TwinguideError('TG_ERR_SURFACE', `${file}: spans ${span.toPrecision(3)} mm read as ${units}; a heart spans 50–200 mm${units === 'm' ? ': are these millimetres? drop --units m' : ': are these micrometres?'}`);
  }
}

const r3 = (x: number): number => Math.round(x * 1000) / 1000 + 0; // + 0 turns -0 into 0
const r2 = (x: number): number => Math.round(x * 100) / 100 + 0;
const r6 = (x: number): number => Math.round(x * 1e6) / 1e6 + 0;

function surfaceJson(mesh: TriangleMesh): { vertices: number[]; triangles: number[] } {
  return { vertices: Array.from(mesh.positions, r3), triangles: Array.from(mesh.triangles) };
}

export interface BuiltTwin {
  bundle: TwinBundle;
  frame: AnatomicalFrame;
}

export function buildTwinFromSurfaces(surfaces: HeartSurfaces, options: BuildOptions): BuiltTwin {
  const steps = ['orienting the heart', 'labelling the epicardium', 'activation map', 'vein tree', 'sites and features', 'responder model'];
  const progress = (i: number): void => options.progress?.(steps[i]!, i + 1, steps.length);
  const random = new Random(options.seed);
  const leadDiameterMm = options.leadDiameterMm ?? DEFAULT_SITE_OPTIONS.leadDiameterMm;
  const scarSegments = new Set(options.scarSegments ?? []);
  for (const s of scarSegments) if (!Number.isInteger(s) || s < 1 || s > 17) throw new TwinguideError('TG_ERR_USAGE', `scar segment ${s} is not an AHA segment 1–17`);

  progress(0);
  const landmarks = options.landmarks ?? {};
  const septum = options.septum ?? landmarks.septum;
  const frame = findAnatomicalFrame(surfaces, { ...(septum ? { septum } : {}), ...(landmarks.lvApex ? { apex: landmarks.lvApex } : {}) });
  const epi = surfaces.epi;
  for (const [name, field] of [['activation', options.activation], ['response', options.response]] as const) {
    if (field && field.values.length !== epi.vertexCount) throw new TwinguideError('TG_ERR_SURFACE', `--${name}: ${field.values.length} values for ${epi.vertexCount} epicardial vertices`);
  }

  progress(1);
  const n = epi.vertexCount;
  const heights = new Float64Array(n);
  const angles = new Float64Array(n);
  const aha: number[] = [];
  const scar = new Float64Array(n);
  const scarVertices: number[] = [];
  for (let i = 0; i < n; i++) {
    const p = vertex(epi, i);
    heights[i] = heightOf(frame, p);
    angles[i] = angleOf(frame, p);
    const segment = ahaSegment(heights[i]!, angles[i]!);
    aha.push(segment);
    if (scarSegments.has(segment)) { scar[i] = 1; scarVertices.push(i); }
  }

  progress(2);
  // A simulation's activation when given (its own scar, if any, is in it); else the illustrative LBBB map.
  const activationMs = options.activation ? Float64Array.from(options.activation.values) : lbbbActivation(epi, frame, scar);
  const qrsMs = qrsDurationMs(activationMs, scar);

  progress(3);
  let veins: SynthesisedVeins;
  let veinFit: VeinFitReport | null = null;
  const ostium = landmarks.csOstium;
  if (options.veins) {
    const fitted = fitRealVeinTree(options.veins.file, epi, frame, { ...(options.veins.sameFrame ? { sameFrame: true } : {}), ...(ostium ? { ostium } : {}) });
    veins = fitted.veins;
    veinFit = fitted.report;
  } else {
    veins = synthesiseVeins(epi, frame, random, {
      lateralVeinScale: options.lateralVeinScale ?? 1,
      nodeSpacingMm: 1.5,
      ...(ostium ? { ostium: surfaceCoordinates(new EpicardialProjector(epi, frame), frame, ostium) } : {}),
    });
  }

  progress(4);
  const sampled = sampleSites(veins, epi, frame, activationMs, qrsMs, scarVertices, { ...DEFAULT_SITE_OPTIONS, leadDiameterMm });

  progress(5);
  const sites: SiteJson[] = sampled.map(({ site, features }) => {
    const rounded = features.map(r6);
    return {
      ...site,
      arcLengthMm: r3(site.arcLengthMm),
      position: [r3(site.position[0]), r3(site.position[1]), r3(site.position[2])],
      features: rounded,
      // p from the study's response field when given (the model then stays out of the twin), else the illustrative model.
      p: r6(options.response ? sampleField(epi, options.response.values, site.position) : logisticP(ILLUSTRATIVE_MODEL, rounded)),
      ...(site.qlvMs !== undefined ? { qlvMs: r2(site.qlvMs) } : {}),
    };
  });

  const projector = new EpicardialProjector(epi, frame);
  const root = veins.nodes[veins.root]!;
  const rvApex = surfaces.rvEndo ? deepest(surfaces.rvEndo, frame) : projector.project(0.2, 0).point;
  const lateralBase = projector.project(0.85, Math.PI).point;
  const anteriorBase = projector.project(0.85, Math.PI / 2).point;
  const r3v = (p: readonly number[]): [number, number, number] => [r3(p[0]!), r3(p[1]!), r3(p[2]!)];

  const created = options.created ?? (process.env['SOURCE_DATE_EPOCH'] ? new Date(Number(process.env['SOURCE_DATE_EPOCH']) * 1000).toISOString() : new Date(0).toISOString());
  // meta and the model card are open objects in the schema: the builder records how it was run.
  const meta: TwinBundle['meta'] = Object.assign(
    {
      id: options.id ?? `twin-seed${options.seed}`,
      label: options.label ?? `Twin built from surfaces, seed ${options.seed}`,
      created,
      source: options.source ?? 'twinguide twin build',
      units: 'mm' as const,
      frame: 'LPS' as const,
    },
    {
      builder: {
        seed: options.seed,
        ...(options.input ? { input: options.input } : {}),
        orientation: { from: frame.orientation, method: frame.method },
        veins: veinFit && options.veins
          ? { from: `${options.veins.format ?? 'centreline file'} ${options.veins.source}`, ...(options.veins.ostium ? { ostium: options.veins.ostium } : {}), placement: veinFit.placement, icpIterations: veinFit.iterations, scale: r3(veinFit.scale), rmsToSurfaceMm: r2(veinFit.rmsToSurfaceMm) }
          : { from: `synthesised on the epicardium (seed ${options.seed})`, placement: 'synthesised' },
        activation: { from: options.activation ? options.activation.source : 'illustrative LBBB-like map (builder)' },
        response: { from: options.response ? `${options.response.source} (sampled at each site; no model in the twin)` : 'illustrative logistic model (ONNX, in the twin)' },
        ...(landmarks.csOstium || landmarks.lvApex || landmarks.septum ? { landmarks: Object.keys(landmarks) } : {}),
        // How near the tree's root came to a given ostium (the synthesised tree starts on the epicardium).
        ...(ostium ? { ostiumOffsetMm: r2(Math.hypot(root[0] - ostium[0], root[1] - ostium[1], root[2] - ostium[2])) } : {}),
        scarSegments: [...scarSegments].sort((a, b) => a - b),
        leadDiameterMm,
        lateralVeinScale: options.lateralVeinScale ?? 1,
        anatomicalFrame: frame.method,
        qrsMs: r2(qrsMs),
      },
    },
    // A tree from a share-alike source makes the twin a derivative work under the same licence.
    options.veins && !options.veins.sameFrame ? { licence: 'vein tree from a real centreline model: see its licence (BodyParts3D: CC BY-SA 2.1 JP); this twin is shared under the same terms' } : {},
  );
  const card: NonNullable<TwinBundle['model']>['card'] = Object.assign({ ...MODEL_CARD }, {
    coefficients: { mean: ILLUSTRATIVE_MODEL.mean, scale: ILLUSTRATIVE_MODEL.scale, weights: ILLUSTRATIVE_MODEL.weights, bias: ILLUSTRATIVE_MODEL.bias },
  });
  const bundle: TwinBundle = {
    format: TWIN_FORMAT,
    meta,
    surfaces: {
      lvEndo: surfaces.lvEndo ? surfaceJson(surfaces.lvEndo) : { vertices: [], triangles: [] },
      rvEndo: surfaces.rvEndo ? surfaceJson(surfaces.rvEndo) : { vertices: [], triangles: [] },
      epi: {
        ...surfaceJson(epi),
        activationMs: Array.from(activationMs, r2),
        scar: Array.from(scar),
        uvc: { z: Array.from(heights, r6), rho: Array.from({ length: n }, () => 1), phi: Array.from(angles, (a) => Math.max(-Math.PI, Math.min(Math.PI, r6(a)))) }, // rounding must not step past ±π
        aha,
        ...(options.response ? { response: Array.from(options.response.values, r6) } : {}),
      },
    },
    veins: {
      nodes: veins.nodes.map(([x, y, z, r]) => [r3(x), r3(y), r3(z), r3(r)]),
      edges: veins.edges,
      root: veins.root,
      branches: veins.branches,
    },
    featureNames: [...FEATURE_NAMES],
    sites,
    ...(options.response ? {} : { model: {
      format: 'onnx' as const,
      onnxBase64: Buffer.from(buildLogisticOnnx(ILLUSTRATIVE_MODEL)).toString('base64'),
      inputName: LOGISTIC_INPUT,
      outputName: LOGISTIC_OUTPUT,
      featureNames: [...FEATURE_NAMES],
      threshold: 0.5,
      card,
    } }),
    landmarks: [
      { name: 'cs-ostium', position: r3v(root), description: 'coronary sinus ostium (root of the vein tree)' },
      { name: 'lv-apex', position: r3v(landmarks.lvApex ?? frame.apex), description: `LV apex on the epicardium${landmarks.lvApex ? ' (as given)' : ''}` },
      { name: 'rv-apex', position: r3v(rvApex), description: 'RV apex' },
      { name: 'lv-lateral-base', position: r3v(lateralBase), description: 'basal lateral LV epicardium' },
      { name: 'lv-anterior-base', position: r3v(anteriorBase), description: 'basal anterior LV epicardium' },
    ],
    guidance: {
      responseThreshold: 0.5,
      leadDiameterMm,
      minVeinDiameterMm: r3(leadDiameterMm + DEFAULT_SITE_OPTIONS.diameterMarginMm),
      dwellTimeS: 3,
    },
  };
  return { bundle, frame };
}

/** Height and angle whose epicardial point lies nearest p (the base is oblique: p's own height and angle may land elsewhere). */
function surfaceCoordinates(projector: EpicardialProjector, frame: AnatomicalFrame, p: Vec): { h: number; phi: number } {
  const h0 = heightOf(frame, p), phi0 = angleOf(frame, p);
  let best = { h: h0, phi: phi0 }, bestD = Infinity;
  for (let h = Math.max(0.6, h0 - 0.25); h <= Math.min(0.995, h0 + 0.1) + 1e-9; h += 0.005) {
    for (let dphi = -15; dphi <= 15; dphi += 1) {
      const phi = phi0 + (dphi * Math.PI) / 180;
      const q = projector.project(h, phi).point;
      const d = Math.hypot(q[0] - p[0], q[1] - p[1], q[2] - p[2]);
      if (d < bestD) { bestD = d; best = { h, phi }; }
    }
  }
  return best;
}

function deepest(mesh: TriangleMesh, frame: AnatomicalFrame): number[] {
  let best = vertex(mesh, 0);
  let depth = -Infinity;
  for (let i = 0; i < mesh.vertexCount; i++) {
    const p = vertex(mesh, i);
    const d = (p[0] - frame.baseCentre[0]) * frame.longAxis[0] + (p[1] - frame.baseCentre[1]) * frame.longAxis[1] + (p[2] - frame.baseCentre[2]) * frame.longAxis[2];
    if (d > depth) { depth = d; best = p; }
  }
  return best;
}

/** Serialised form: one line per top-level section keeps diffs of regenerated twins readable. */
export function serialiseTwin(bundle: TwinBundle): string {
  return `${JSON.stringify(bundle)}\n`;
}

export function defaultTwinId(dir: string, seed: number): string {
  return `${basename(resolve(dir)).replace(/[^A-Za-z0-9._-]/g, '-').replace(/^[^A-Za-z0-9]+/, '') || 'twin'}-seed${seed}`.slice(0, 64);
}
