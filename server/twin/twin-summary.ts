// What `twinguide twin info` prints and GET /api/twins/:id returns about a twin: counts, branches
// with their lengths, sites (accessible, and why not), target zones and the model card.

import { DEFAULT_ACQUISITION, describeAcquisition } from '../../protocol/index.ts';
import type { InaccessibleReason } from '../../protocol/index.ts';
import type { Twin } from './twin.ts';

export interface TwinSummary {
  id: string;
  label: string;
  created: string;
  source: string;
  /** When the images were taken (the phase the live tip is reported at), said in words. */
  acquisition: string;
  /** How the twin was made, from meta.builder ("not recorded" for bundles that do not say). */
  provenance: { orientation: string; veins: string; response: string; activation: string };
  fileBytes: number;
  counts: {
    epiVertices: number;
    epiTriangles: number;
    lvEndoVertices: number;
    rvEndoVertices: number;
    veinNodes: number;
    veinSegments: number;
    branches: number;
    sites: number;
    accessibleSites: number;
    responderSites: number;
    targetZones: number;
    landmarks: number;
  };
  veinLengthMm: number;
  branches: { id: string; name: string; kind: string; parent: string | null; lengthMm: number; startArcMm: number; minDiameterMm: number; sites: number; accessibleSites: number }[];
  sites: { total: number; accessible: number; inaccessibleByReason: Partial<Record<InaccessibleReason, number>>; pMin: number; pMax: number };
  targetZones: { id: string; branch: string; branchName: string; startArcMm: number; endArcMm: number; lengthMm: number; peakP: number; sites: string[] }[];
  noAccessibleResponderSite: boolean;
  responseThreshold: number;
  landmarks: string[];
  model: null | { inputName: string; outputName: string; featureNames: string[]; threshold: number; bytes: number; illustrative: boolean; summary: string; checkedSites: number; maxAbsError: number };
  featureNames: string[];
}

const round = (x: number, digits = 2): number => Number(x.toFixed(digits));

export function summariseTwin(twin: Twin): TwinSummary {
  const { veins, sites } = twin;
  const threshold = twin.guidance.responseThreshold;
  const inaccessibleByReason: Partial<Record<InaccessibleReason, number>> = {};
  let accessible = 0;
  let responders = 0;
  let pMin = Infinity;
  let pMax = -Infinity;
  for (let i = 0; i < sites.count; i++) {
    if (sites.accessible[i]) accessible++;
    else for (const r of sites.reasons[i]!) inaccessibleByReason[r] = (inaccessibleByReason[r] ?? 0) + 1;
    if (sites.p[i]! >= threshold) responders++;
    pMin = Math.min(pMin, sites.p[i]!);
    pMax = Math.max(pMax, sites.p[i]!);
  }
  return {
    id: twin.meta.id,
    label: twin.meta.label,
    created: twin.meta.created,
    source: twin.meta.source,
    provenance: provenanceOf(twin.meta as unknown as Record<string, unknown>),
    acquisition: `${describeAcquisition(twin.meta.acquisition ?? DEFAULT_ACQUISITION)}${twin.meta.acquisition ? '' : ' (the default: the bundle does not say)'}`,
    fileBytes: twin.fileBytes,
    counts: {
      epiVertices: twin.surfaces.epi.vertexCount,
      epiTriangles: twin.surfaces.epi.triangleCount,
      lvEndoVertices: twin.surfaces.lvEndo.vertexCount,
      rvEndoVertices: twin.surfaces.rvEndo.vertexCount,
      veinNodes: veins.nodeCount,
      veinSegments: veins.nodeCount - 1,
      branches: veins.branches.length,
      sites: sites.count,
      accessibleSites: accessible,
      responderSites: responders,
      targetZones: twin.zones.length,
      landmarks: twin.landmarks.length,
    },
    veinLengthMm: round(veins.totalLengthMm),
    branches: veins.branches.map((b) => {
      const list = sites.byBranch[b.index]!;
      let acc = 0;
      for (const s of list) acc += sites.accessible[s]!;
      return {
        id: b.id,
        name: b.name,
        kind: b.kind,
        parent: b.parentBranch >= 0 ? veins.branches[b.parentBranch]!.id : null,
        lengthMm: round(b.lengthMm),
        startArcMm: round(b.startArcMm),
        minDiameterMm: round(2 * b.minRadiusMm),
        sites: list.length,
        accessibleSites: acc,
      };
    }),
    sites: { total: sites.count, accessible, inaccessibleByReason, pMin: sites.count ? round(pMin, 4) : 0, pMax: sites.count ? round(pMax, 4) : 0 },
    targetZones: twin.zones.map((z) => ({
      id: z.id,
      branch: z.branchId,
      branchName: veins.branches[z.branch]!.name,
      startArcMm: round(z.startArcMm),
      endArcMm: round(z.endArcMm),
      lengthMm: round(z.endArcMm - z.startArcMm),
      peakP: round(z.peakP, 4),
      sites: Array.from(z.sites, (s) => sites.ids[s]!),
    })),
    noAccessibleResponderSite: twin.zones.length === 0,
    responseThreshold: threshold,
    landmarks: twin.landmarks.map((l) => l.name),
    model: twin.model
      ? {
          inputName: twin.model.inputName,
          outputName: twin.model.outputName,
          featureNames: [...twin.model.featureNames],
          threshold: twin.model.threshold,
          bytes: twin.model.modelBytes,
          illustrative: twin.model.card.illustrative,
          summary: twin.model.card.summary,
          checkedSites: twin.modelCheck?.sites ?? 0,
          maxAbsError: twin.modelCheck?.maxAbsError ?? 0,
        }
      : null,
    featureNames: [...twin.featureNames],
  };
}

/** meta.builder is an open object: read what the builder recorded, say "not recorded" otherwise. */
function provenanceOf(meta: Record<string, unknown>): TwinSummary['provenance'] {
  const builder = (meta['builder'] ?? {}) as Record<string, Record<string, unknown> | undefined>;
  const said = (x: unknown): string | null => (typeof x === 'string' && x.length > 0 ? x : null);
  const o = builder['orientation'];
  const orientationFrom = said(o?.['from']);
  const orientation = orientationFrom
    ? `${orientationFrom === 'geometry' ? 'from the geometry' : orientationFrom === 'user' ? 'from the user (--septum / landmarks)' : 'from the PATIENT FRAME (the geometry could not tell)'}: ${said(o?.['method']) ?? ''}`
    : said(builder['anatomicalFrame'] as unknown) ?? 'not recorded';
  const v = builder['veins'];
  const veins = v ? `${said(v['from']) ?? 'a centreline file'}${said(v['ostium']) ? ` (ostium: ${String(v['ostium'])})` : ''}${v['placement'] && v['placement'] !== 'synthesised' ? `, ${String(v['placement'])}` : ''}${typeof v['rmsToSurfaceMm'] === 'number' ? ` (RMS ${v['rmsToSurfaceMm']} mm to the epicardium before setting on it)` : ''}` : 'not recorded';
  return {
    orientation,
    veins,
    response: said(builder['response']?.['from']) ?? 'not recorded',
    activation: said(builder['activation']?.['from']) ?? 'not recorded',
  };
}
