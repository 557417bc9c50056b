// The last stage: guidance messages for assessed positions, status messages when the feed or the
// registration changes. Confidence combines tracking, registration quality and (for fluoro) how
// well the two views agreed; with poor confidence the instruction says so instead of guessing.

import { FORESHORTENED_BELOW, type ElectrodeGuidance, type Exclusion, type FeedState, type FeedStatus, type Guidance, type LeadGuidance, type MeasurementRecord, type RegistrationStatus, type StatusMessage } from '../../../protocol/index.ts';
import type { Twin } from '../../twin/twin.ts';
import { kept, stage, type Flow, type PipelineCounters, type PipelineState } from '../flow.ts';
import { NO_REGISTRATION, rotateToSource, type Registration } from '../registration.ts';
import { ACCESSIBLE, ARC, BRANCH, FIELDS, IN_TREE, RESPONSE, X, Y, Z, type LeadPlaces } from '../lead-placement.ts';
import { usableZones, zoneInfo, type ExcludedSpan } from '../zone-exclusions.ts';
import { ZoneGuide, type GuidanceOptions } from '../zone-guidance.ts';
import { shownInView, sideOnView } from '../carm-geometry.ts';
import { VEIN_CHORD_HALF_MM, type TrackEstimate } from '../tree-tracker.ts';
import { branchDirection } from '../../twin/vein-tree.ts';

const r1 = (x: number): number => Math.round(x * 10) / 10 + 0;
const r2 = (x: number): number => Math.round(x * 100) / 100 + 0;
const r3 = (x: number): number => Math.round(x * 1000) / 1000 + 0;

/** How much a registration can be trusted: RMS ≤ 2 mm fully, falling to 0.25 at 8 mm; none: barely. */
export function registrationConfidence(r: Registration): number {
  if (r.state === 'none') return 0.1;
  const rms = r.rmsMm ?? 0;
  return Math.max(0.25, Math.min(1, 1 - (rms - 2) / 8));
}

/** Foreshortened until the vein at the tip is shown at least this side-on again (hysteresis above FORESHORTENED_BELOW). */
const FORESHORTENED_LEFT = 0.6;
/** A suggested view is kept while it shows the vein at the tip at least this side-on. */
const SIDE_ON_KEPT = 0.6;
/** Once given, the advice stays at least this long (s) after the vein was last foreshortened: it does not blink. */
const SIDE_ON_HOLD_S = 2;
/** The advice comes once the vein has been foreshortened this long (s): not for one frame (a biplane frame with one view, a tip passing a bend). */
const SIDE_ON_AFTER_S = 0.3;

export function guide(twin: Twin, procedureId: string, counters: PipelineCounters, options: Partial<GuidanceOptions> = {}, initial: Registration = NO_REGISTRATION, state?: PipelineState) {
  return stage<Flow, Flow>((emit) => {
    const zones = kept(state, 'guide.zones', new ZoneGuide(twin, options));
    const st = kept(state, 'guide', {
      registration: initial,
      feed: { state: 'lost', rateHz: 0 } as { state: FeedState; rateHz: number },
      view: null as { alpha: number; beta: number } | null,
      /** The view suggested while one view foreshortens the vein at the tip (see viewFor). */
      sideOn: null as { alpha: number; beta: number } | null,
      /** Until when (procedure time) that advice stays, however the tip moves. */
      sideOnUntil: Number.NaN, // (a double from the start: storing a time never changes the object's layout)
      /** Since when (procedure time) the vein at the tip has been foreshortened without a break (NaN: it is not). */
      foreshortenedSince: Number.NaN,
      /** Stretches measurements ruled out, as displays get them and as the zone guide uses them. */
      exclusions: [] as Exclusion[],
      spans: [] as ExcludedSpan[],
    });
    /** The electrodes for a guidance message: place, p, zone, accessibility; and the one to pace from. */
    const leadGuidance = (lead: LeadPlaces): LeadGuidance => {
      const d = lead.data;
      const electrodes: ElectrodeGuidance[] = [];
      let best = -1, bestP = -1;
      for (let e = 0; e < lead.count; e++) {
        const o = e * FIELDS;
        const inTree = d[o + IN_TREE] === 1;
        const branch = d[o + BRANCH]!, arc = d[o + ARC]!;
        const electrode: ElectrodeGuidance = { n: e + 1, p: [r1(d[o + X]!), r1(d[o + Y]!), r1(d[o + Z]!)], arcLengthMm: inTree ? r1(arc) : 0, response: inTree ? r3(d[o + RESPONSE]!) : 0, zone: 'proximal', accessible: d[o + ACCESSIBLE] === 1 };
        if (inTree) {
          electrode.branch = twin.veins.branches[branch]!.id;
          const k = zones.zoneAt(branch, arc, zones.options.exitMarginMm);
          if (k >= 0) {
            electrode.zone = 'in';
            electrode.zoneId = zones.usableZones[k]!.id;
            if (electrode.accessible && d[o + RESPONSE]! > bestP) { bestP = d[o + RESPONSE]!; best = e; }
          } else electrode.zone = zones.isExcluded(branch, arc) ? 'excluded' : 'outside';
        }
        electrodes.push(electrode);
      }
      return best >= 0 ? { electrodes, best: best + 1 } : { electrodes };
    };
    /** A measurement placed on the twin; a phrenic capture rules its stretch out and the zones change. */
    const measured = (item: Extract<Flow, { kind: 'measured' }>): void => {
      const m = item.measurement;
      const record: MeasurementRecord = { measurement: m, t: m.t };
      const place = item.place, o = item.electrode * FIELDS;
      const inTree = place !== null && item.electrode < place.count && place.data[o + IN_TREE] === 1;
      if (inTree) {
        const d = place.data;
        record.at = { p: [r1(d[o + X]!), r1(d[o + Y]!), r1(d[o + Z]!)], branch: twin.veins.branches[d[o + BRANCH]!]!.id, arcLengthMm: r1(d[o + ARC]!) };
        record.twinP = r3(d[o + RESPONSE]!);
        if (item.twinQlvMs !== undefined) record.twinQlvMs = r1(item.twinQlvMs);
        if (item.pWithMeasuredQlv !== undefined) record.pWithMeasuredQlv = r3(item.pWithMeasuredQlv);
      }
      emit({ kind: 'message', message: { type: 'measurement', procedureId, record } });
      if (m.kind !== 'phrenic' || !m.captured || !inTree) return;
      const d = place.data, branch = d[o + BRANCH]!, arc = d[o + ARC]!, half = zones.options.phrenicExclusionHalfMm;
      const span = { branch, startArcMm: Math.max(0, arc - half), endArcMm: arc + half };
      st.spans.push(span);
      st.exclusions.push({ branch: twin.veins.branches[branch]!.id, startArcMm: r1(span.startArcMm), endArcMm: r1(span.endArcMm), reason: 'phrenic', electrode: m.electrode, volts: m.volts, t: m.t });
      const usable = usableZones(twin, st.spans);
      zones.setZones(usable, st.spans);
      emit({ kind: 'message', message: { type: 'zones', procedureId, t: m.t, zones: usable.map((z) => zoneInfo(twin, z)), exclusions: st.exclusions.map((x) => ({ ...x })) } });
    };
    const veinDir = new Float64Array(3), veinInCarm = new Float64Array(3), chordA = new Float64Array(3), chordB = new Float64Array(3);
    /**
     * The active view, and with one view how side-on it shows the vein at the tip; while that is
     * foreshortened (below FORESHORTENED_BELOW for SIDE_ON_AFTER_S; until it is back above
     * FORESHORTENED_LEFT, and for SIDE_ON_HOLD_S at least), the nearest view that shows it side-on,
     * kept while it still shows it well (a calm display: the advice does not blink, and the
     * suggestion does not hop between neighbouring angles as the tip moves).
     */
    const viewFor = (t: number, view: { alpha: number; beta: number }, track: TrackEstimate): NonNullable<Guidance['view']> => {
      const out: NonNullable<Guidance['view']> = { alpha: view.alpha, beta: view.beta };
      const shown = track.shownInView;
      if (!Number.isFinite(shown)) { st.sideOn = null; st.foreshortenedSince = Number.NaN; return out; }
      out.veinShown = r2(shown);
      const below = shown < FORESHORTENED_BELOW;
      st.foreshortenedSince = !below ? Number.NaN : Number.isNaN(st.foreshortenedSince) ? t : st.foreshortenedSince;
      if (below) st.sideOnUntil = t + SIDE_ON_HOLD_S;
      const foreshortened = st.sideOn !== null ? shown < FORESHORTENED_LEFT || t < st.sideOnUntil : below && t - st.foreshortenedSince >= SIDE_ON_AFTER_S;
      if (!foreshortened || !branchDirection(twin.veins, twin.veins.branches[track.branch]!, track.arcLengthMm, VEIN_CHORD_HALF_MM, veinDir, chordA, chordB)) {
        st.sideOn = null;
        return out;
      }
      const inCarm = veinInCarm;
      rotateToSource(st.registration.matrix, veinDir[0]!, veinDir[1]!, veinDir[2]!, inCarm);
      if (!st.sideOn || shownInView(inCarm, st.sideOn.alpha, st.sideOn.beta) < SIDE_ON_KEPT) {
        const better = sideOnView(inCarm, view);
        st.sideOn = better.shown > shown ? { alpha: better.alpha, beta: better.beta } : null;
      }
      if (st.sideOn) out.sideOn = { ...st.sideOn };
      return out;
    };
    const registrationStatus = (): RegistrationStatus => (st.registration.rmsMm === undefined ? { state: st.registration.state } : { state: st.registration.state, rmsMm: r2(st.registration.rmsMm) });
    const status = (t: number | undefined): StatusMessage => {
      const message: StatusMessage = { type: 'status', procedureId, feed: { ...st.feed }, registration: registrationStatus() };
      if (t !== undefined) message.t = t;
      return message;
    };
    return {
      next(item) {
        if (item.kind === 'feed') {
          st.feed = { state: item.state, rateHz: item.rateHz };
          emit({ kind: 'message', message: status(item.t) });
          return;
        }
        if (item.kind === 'registration') {
          st.registration = item.registration;
          zones.reset();
          emit({ kind: 'message', message: status(undefined) });
          return;
        }
        if (item.kind === 'lead') {
          emit({ kind: 'message', message: { type: 'lead', procedureId, lead: item.lead } });
          return;
        }
        if (item.kind === 'measured') return measured(item);
        if (item.kind === 'carm') {
          st.view = { alpha: item.alpha, beta: item.beta };
          return;
        }
        if (item.kind !== 'assessed') return emit(item);
        const { track, response } = item;
        const registration = st.registration;
        const fromRegistration = registrationConfidence(registration);
        const confidence = Math.min(1, track.confidence * fromRegistration * item.quality);
        // Which lowered it: no or a poor registration (that first: nothing else can be right without
        // it), else whichever of the registration and the tracking lowered it more.
        const blame = registration.state === 'none' || fromRegistration < 0.5 || fromRegistration < track.confidence * item.quality ? 'registration' : 'tracking';
        const lead = item.lead ?? null;
        // (A ray's estimate always says how side-on its view shows the vein: NaN is a point's.)
        const decision = zones.decide(item.t, track.branch, track.segment, track.arcLengthMm, confidence, blame, lead, Number.isNaN(track.shownInView));
        const zone: Guidance['zone'] = { state: decision.state, instruction: decision.instruction, text: decision.text };
        if (decision.note !== undefined) zone.note = decision.note;
        if (decision.zoneId !== undefined) zone.zoneId = decision.zoneId;
        if (decision.distanceMm !== undefined) zone.distanceMm = decision.distanceMm;
        if (decision.dwellS !== undefined) zone.dwellS = r2(decision.dwellS);
        if (decision.targetBranch !== undefined) zone.targetBranch = decision.targetBranch;
        const feedStatus: FeedStatus = { state: st.feed.state, rateHz: st.feed.rateHz };
        const message: Guidance = {
          type: 'guidance',
          seq: item.seq,
          t: item.t,
          tip: {
            p: [r2(track.x), r2(track.y), r2(track.z)],
            branch: twin.veins.branches[track.branch]!.id,
            arcLengthMm: r1(track.arcLengthMm),
            offCentrelineMm: r1(track.offCentrelineMm),
            confidence: r3(confidence),
          },
          response: { p: r3(response.p), source: response.source },
          zone,
          feed: feedStatus,
          registration: registrationStatus(),
        };
        if (st.view) message.view = viewFor(item.t, st.view, track);
        if (lead) message.lead = leadGuidance(lead);
        counters.guidanceOut++;
        emit({ kind: 'message', message });
      },
    };
  });
}
