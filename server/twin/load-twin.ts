// Loading a twin bundle: size limit, JSON, format, schema, then the structural checks the schema
// cannot express, the derived structures (tree, index, zones) and the model check. Every
// rejection is a TwinguideError with a stable code and, where it applies, the JSON path.

import { readFile, stat } from 'node:fs/promises';
import {
  TWIN_FORMAT,
  TwinBundleSchema,
  TwinguideError,
  assertValid,
  compileDocument,
  withLimits,
  type Limits,
  type TwinBundle,
} from '../../protocol/index.ts';
import { CentrelineIndex } from './centreline-index.ts';
import { checkLandmarks } from './landmarks.ts';
import { ResponseModel, type ModelCheck } from './response-model.ts';
import { ResponseMap } from './response-map.ts';
import { buildSiteTable } from './site-table.ts';
import { buildEpiSurface, buildSurface } from './surface-mesh.ts';
import { deriveTargetZones } from './target-zones.ts';
import type { Twin, TwinMeta } from './twin.ts';
import { buildVeinTree } from './vein-tree.ts';

export interface LoadTwinOptions {
  limits?: Partial<Limits>;
  /** Load the ONNX model and check it against every site (default true). */
  loadModel?: boolean;
}

const validateBundle = compileDocument<TwinBundle>(TwinBundleSchema);

export async function loadTwinFile(file: string, options: LoadTwinOptions = {}): Promise<Twin> {
  const limits = withLimits(options.limits);
  let size: number;
  try {
    const info = await stat(file);
    if (!info.isFile()) throw new Error('not a regular file');
    size = info.size;
  } catch (cause) {
    throw new TwinguideError('TG_ERR_TWIN_READ', `cannot read twin '${file}': ${(cause as Error).message}`, { cause });
  }
  if (size > limits.maxTwinFileBytes) {
    throw new TwinguideError('TG_ERR_TWIN_TOO_LARGE', `twin '${file}' is ${size} bytes; the limit is ${limits.maxTwinFileBytes}`);
  }
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new TwinguideError('TG_ERR_TWIN_READ', `cannot read twin '${file}': ${(cause as Error).message}`, { cause });
  }
  return parseTwin(text, { ...options, limits }, size);
}

export async function parseTwin(text: string, options: LoadTwinOptions = {}, fileBytes = Buffer.byteLength(text)): Promise<Twin> {
  const limits = withLimits(options.limits);
  if (fileBytes > limits.maxTwinFileBytes) {
    throw new TwinguideError('TG_ERR_TWIN_TOO_LARGE', `twin of ${fileBytes} bytes exceeds the ${limits.maxTwinFileBytes}-byte limit`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new TwinguideError('TG_ERR_TWIN_JSON', `the twin is not valid JSON: ${(cause as Error).message}`, { cause });
  }
  return buildTwin(json, { ...options, limits }, fileBytes);
}

export async function buildTwin(json: unknown, options: LoadTwinOptions = {}, fileBytes = 0): Promise<Twin> {
  const limits = withLimits(options.limits);
  const format = typeof json === 'object' && json !== null ? (json as { format?: unknown }).format : undefined;
  if (format !== TWIN_FORMAT) {
    throw new TwinguideError('TG_ERR_TWIN_FORMAT', `format is ${JSON.stringify(format) ?? 'missing'}; this reads "${TWIN_FORMAT}"`, { path: '/format' });
  }
  const bundle = assertValid(validateBundle, json, 'TG_ERR_TWIN_SCHEMA', 'the twin bundle does not match its schema');

  if (bundle.featureNames.length > limits.maxFeatures) {
    throw new TwinguideError('TG_ERR_TWIN_LIMIT', `${bundle.featureNames.length} features exceed the limit of ${limits.maxFeatures}`, { path: '/featureNames' });
  }
  if (new Set(bundle.featureNames).size !== bundle.featureNames.length) {
    throw new TwinguideError('TG_ERR_TWIN_FEATURES', 'featureNames has duplicates', { path: '/featureNames' });
  }
  const surfaces = {
    epi: buildEpiSurface(bundle.surfaces.epi, limits.maxSurfaceVertices),
    lvEndo: buildSurface(bundle.surfaces.lvEndo, '/surfaces/lvEndo', limits.maxSurfaceVertices),
    rvEndo: buildSurface(bundle.surfaces.rvEndo, '/surfaces/rvEndo', limits.maxSurfaceVertices),
  };
  const veins = buildVeinTree(bundle.veins, limits.maxVeinNodes);
  const centrelines = new CentrelineIndex(veins);
  const sites = buildSiteTable(bundle.sites, bundle.featureNames.length, veins, centrelines, limits);
  const landmarks = checkLandmarks(bundle.landmarks);
  const zones = deriveTargetZones(veins, sites, bundle.guidance.responseThreshold);

  let model: ResponseModel | null = null;
  let modelCheck: ModelCheck | null = null;
  let responseMap: ResponseMap | null = null;
  if (bundle.model && options.loadModel !== false) {
    const names = bundle.model.featureNames;
    if (names.length !== bundle.featureNames.length || names.some((name, i) => name !== bundle.featureNames[i])) {
      throw new TwinguideError('TG_ERR_TWIN_FEATURES', `the model takes features [${names.join(', ')}] but the sites carry [${bundle.featureNames.join(', ')}]`, {
        path: '/model/featureNames',
      });
    }
    model = await ResponseModel.load(bundle.model, limits);
    try {
      modelCheck = await model.checkAgainstSites(sites, limits.modelTolerance);
      responseMap = await ResponseMap.build(sites, model);
    } catch (e) {
      await model.close();
      throw e;
    }
  }

  const meta: TwinMeta = { ...bundle.meta };
  return {
    meta,
    surfaces,
    veins,
    centrelines,
    featureNames: bundle.featureNames,
    sites,
    zones,
    landmarks,
    guidance: bundle.guidance,
    model,
    modelCheck,
    responseMap,
    fileBytes,
    close: async () => { await model?.close(); },
  };
}
