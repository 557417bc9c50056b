// What the procedure report says, read from a recording (every input and every message the
// displays got): the twin and the lead, the timeline, where each electrode ended with its p and
// zone, every measurement, the path the tip took, and (for a simulated procedure) how the
// guidance scored against the simulator's ground truth. Everything here is taken from what the
// displays were sent, so the report says what the physician saw.

import { viewName, type Exclusion, type Guidance, type LeadInfo, type MeasurementRecord, type TargetZoneInfo } from '../../protocol/index.ts';
import { DEFAULT_GUIDANCE_OPTIONS } from '../pipeline/zone-guidance.ts';
import type { Recording } from '../recording/procedure-recording.ts';
import { zoneInfo } from '../pipeline/zone-exclusions.ts';
import type { Twin } from '../twin/twin.ts';

/** The tip counts as in the coronary sinus once it is this far inside the ostium (arc length, mm). */
export const CS_ENTRY_MM = 5;
/** A gap between guidance messages longer than this (s) does not count toward time in zone. */
const MAX_STEP_S = 0.5;
/** The path is drawn from one guidance position every this long (s). */
const PATH_STEP_S = 0.1;

/** How the guidance scored against a simulator's ground truth (the accuracy bench's figures). */
export interface ReportAccuracy {
  samples: number;
  branchAccuracy: number;
  tipErrorMedianMm: number;
  tipErrorP95Mm: number;
  zoneAgreement: number;
  instructionAgreement: number;
  confidentlyWrongRate: number;
}

/**
 * One fluoroscopic view: how long it foreshortened the vein at the tip (the display's advice was up,
 * the place along the vein uncertain), of the time guided in one view, and the views it suggested.
 */
export interface ViewAdviceSummary {
  seconds: number;
  share: number;
  /** The suggested views, longest first: the lab's name and for how long (s). */
  suggested: { view: string; seconds: number }[];
}

export interface TimelineEntry {
  what: string;
  /** Seconds from the first sample (null: it never happened). */
  atS: number | null;
  detail?: string;
}

export interface ReportModel {
  procedureId: string;
  startedAt: string;
  twinguideVersion: string;
  source: string;
  twin: { id: string; label: string; zones: number; responseThreshold: number };
  /** Said first when true: the twin has no accessible responder site, or measurements ruled every zone out. */
  finding: string | null;
  lead: LeadInfo | null;
  timeline: TimelineEntry[];
  /** The first sample's time (procedure clock): the timeline counts from it. */
  t0: number;
  durationS: number;
  timeInZoneS: number;
  samples: number;
  guidanceMessages: number;
  final: Guidance | null;
  zones: TargetZoneInfo[];
  exclusions: Exclusion[];
  measurements: MeasurementRecord[];
  /** The tip's path as the guidance gave it (twin frame, mm), thinned to one point per PATH_STEP_S. */
  path: [number, number, number][];
  accuracy: ReportAccuracy | null;
  /** With one fluoroscopic view (null otherwise). */
  viewAdvice: ViewAdviceSummary | null;
  /** Recorded inputs, and whether the recording ended cleanly (a crash leaves it unfinished). */
  inputs: number;
  complete: boolean;
  segments: number;
}

export function buildReport(recording: Recording, twin: Twin, accuracy: ReportAccuracy | null = null): ReportModel {
  const guidance = recording.outputs.filter((m): m is Guidance => m.type === 'guidance');
  const samples = recording.inputs.filter((i) => i.kind === 'sample');
  const t0 = samples.length > 0 ? Math.min(...samples.slice(0, 50).map((i) => (i.kind === 'sample' ? i.sample.t : Infinity))) : guidance[0]?.t ?? 0;
  let lastT = t0;
  for (const i of recording.inputs) if (i.kind === 'sample' || i.kind === 'tick' || i.kind === 'closed') lastT = Math.max(lastT, i.kind === 'sample' ? i.sample.t : i.t);
  const rel = (t: number): number => Math.max(0, t - t0);

  let lead: LeadInfo | null = null;
  let zones: TargetZoneInfo[] = twin.zones.map((z) => zoneInfo(twin, z));
  let exclusions: Exclusion[] = [];
  const measurements: MeasurementRecord[] = [];
  for (const m of recording.outputs) {
    if (m.type === 'lead') lead = m.lead;
    else if (m.type === 'zones') { zones = m.zones; exclusions = m.exclusions; }
    else if (m.type === 'measurement') measurements.push(m.record);
  }

  const confident = DEFAULT_GUIDANCE_OPTIONS.minConfidence;
  const csEntry = guidance.find((g) => g.tip.arcLengthMm >= CS_ENTRY_MM && g.tip.confidence >= confident);
  const zoneEntry = guidance.find((g) => g.zone.state === 'in');
  let timeInZoneS = 0;
  /** The time guidance message k stands for: up to the next, MAX_STEP_S at most. */
  const heldFor = (k: number): number => Math.min(MAX_STEP_S, Math.max(0, guidance[k + 1]!.t - guidance[k]!.t));
  for (let k = 0; k + 1 < guidance.length; k++) if (guidance[k]!.zone.state === 'in') timeInZoneS += heldFor(k);
  const final = guidance.at(-1) ?? null;

  const branchName = (id: string): string => twin.veins.branches[twin.veins.branchById.get(id) ?? -1]?.name ?? id;
  const timeline: TimelineEntry[] = [
    { what: 'first sample', atS: samples.length > 0 ? 0 : null, detail: `${samples.length} samples from the ${recording.meta.source === 'fluoro' ? 'fluoroscopy' : 'mapping system'} feed` },
    { what: 'coronary sinus entered', atS: csEntry ? rel(csEntry.t) : null, detail: csEntry ? `tip ${CS_ENTRY_MM} mm inside the ostium (${branchName(csEntry.tip.branch)})` : 'the tip was never tracked inside the ostium' },
    {
      what: 'first target-zone entry',
      atS: zoneEntry ? rel(zoneEntry.t) : null,
      detail: zoneEntry ? `zone ${zoneEntry.zone.zoneId ?? ''} (${zoneEntry.zone.text.toLowerCase()})` : zones.length === 0 ? 'the twin has no usable target zone' : 'no electrode reached a target zone',
    },
    ...measurements.map((r) => ({ what: `measurement: ${r.measurement.kind} at electrode ${r.measurement.electrode}`, atS: rel(r.t) })),
    ...exclusions.map((x) => ({ what: `stretch ruled out (phrenic capture at electrode ${x.electrode}, ${x.volts} V)`, atS: rel(x.t), detail: `${branchName(x.branch)} ${x.startArcMm.toFixed(0)}–${x.endArcMm.toFixed(0)} mm` })),
    { what: 'end', atS: rel(lastT), detail: final ? `last guidance: ${final.zone.text}` : 'no guidance was given' },
  ].sort((a, b) => (a.atS ?? Infinity) - (b.atS ?? Infinity));

  const path: [number, number, number][] = [];
  let nextT = -Infinity;
  for (const g of guidance) {
    if (g.t < nextT) continue;
    path.push([g.tip.p[0], g.tip.p[1], g.tip.p[2]]);
    nextT = g.t + PATH_STEP_S;
  }
  if (final && path.length > 0) path.push([final.tip.p[0], final.tip.p[1], final.tip.p[2]]);

  // One view: the time each message stands for, foreshortened or not.
  let oneView = 0, foreshortenedS = 0;
  const suggested = new Map<string, number>();
  for (let k = 0; k + 1 < guidance.length; k++) {
    const v = guidance[k]!.view;
    if (v?.veinShown === undefined) continue;
    const dt = heldFor(k);
    oneView += dt;
    if (!v.sideOn) continue;
    foreshortenedS += dt;
    suggested.set(viewName(v.sideOn), (suggested.get(viewName(v.sideOn)) ?? 0) + dt);
  }
  const viewAdvice: ViewAdviceSummary | null = oneView > 0 ? { seconds: foreshortenedS, share: foreshortenedS / oneView, suggested: [...suggested].map(([view, seconds]) => ({ view, seconds })).sort((a, b) => b.seconds - a.seconds) } : null;

  let finding: string | null = null;
  if (twin.zones.length === 0) finding = 'NO ACCESSIBLE RESPONDER SITE IN THIS TWIN: no stretch of accessible vein reaches the response threshold, so no target zone could be offered.';
  else if (zones.length === 0) finding = 'NO USABLE TARGET ZONE LEFT: phrenic capture ruled out every target zone of this twin during the procedure.';

  return {
    procedureId: recording.meta.procedureId,
    startedAt: recording.meta.startedAt,
    twinguideVersion: recording.meta.twinguideVersion,
    source: recording.meta.source,
    twin: { id: twin.meta.id, label: twin.meta.label, zones: twin.zones.length, responseThreshold: twin.guidance.responseThreshold },
    finding,
    lead,
    timeline,
    t0,
    durationS: rel(lastT),
    timeInZoneS,
    samples: samples.length,
    guidanceMessages: guidance.length,
    final,
    zones,
    exclusions,
    measurements,
    path,
    accuracy,
    viewAdvice,
    inputs: recording.inputs.length,
    complete: recording.indexed,
    segments: recording.segments?.length ?? 1,
  };
}
