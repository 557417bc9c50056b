// Motion compensation: EAM points in the twin frame (after registration; a new registration
// restarts the filter), fluoro detections in each view's pixels (one filter per view, restarted
// when that view's C-arm geometry or the registration changes). Each filter reports the tip at the
// twin's reference phase: end-diastole (furthest toward the base) and end-expiration (most cranial),
// with those directions carried into the view for fluoro. The tracker's vessel (track-feedback.ts)
// is handed to the EAM filter as is and to each fluoro view projected into its image.

import { DEFAULT_ACQUISITION, type CArmGeometry } from '../../../protocol/index.ts';
import { CRANIAL, heartAxes } from '../../twin/heart-axes.ts';
import type { Twin } from '../../twin/twin.ts';
import { carmFrame, projectPoint, type CArmFrame } from '../carm-geometry.ts';
import { kept, stage, type Flow, type PipelineState } from '../flow.ts';
import { MotionFilter, type MotionFilterOptions, type VesselConstraint } from '../motion-filter.ts';
import { NO_REGISTRATION, rotateToSource, transformPoint, type Registration } from '../registration.ts';
import type { TipTrail } from '../tip-trail.ts';
import { PhysioPhase } from '../physio-phase.ts';
import { NO_OFFSET, type RegistrationOffset, type RegistrationOffsetOptions } from '../registration-offset.ts';
import type { TrackFeedback } from '../track-feedback.ts';
import { hypot2 } from '../../geometry/hypot.ts';

export interface CompensationOptions {
  eam: Partial<MotionFilterOptions>;
  fluoro: Partial<MotionFilterOptions>;
  /** Over `fluoro` for a feed of one view (single-plane fluoro). */
  singleView: Partial<MotionFilterOptions>;
  /** Off: pass positions through unfiltered (for comparisons). */
  enabled: boolean;
  /** Hand the filters the tracker's vessel (see track-feedback.ts); off for comparisons. */
  trackerVessel: boolean;
  /** The registration's error learnt from the veins (registration-offset.ts; DEFAULT_REGISTRATION_OFFSET when absent). */
  registrationOffset?: Partial<RegistrationOffsetOptions>;
}

export const DEFAULT_COMPENSATION: CompensationOptions = {
  // Breathing held to one line through the heart (its terms' spread off the axis 0.03 of theirs
  // along it), the line learnt from the procedure (breathing-axis.ts). Training seeds 1–4, both
  // hearts, every condition: no EAM cell's p95 worse, `physiological` 3.55 → 3.05 mm (demo) and
  // 5.34 → 4.48 mm (second heart); 0.01, 0.03, 0.1, 0.3 tried (0.01 and 0.03 within noise; 0.03
  // leaves more room for a breath that also turns the heart). The fluoroscopic filters keep
  // theirs as before: held to an assumed axis that was wrong (breathing turned 36°), biplane
  // `physiological` p95 went 4.94 → 5.55 mm.
  // A breath not taken out still counts in the place's spread along the vein (breathSpreadWhenOff,
  // as many times as the spread of what is taken out). Training seeds 5–6, second heart,
  // push-pause: confidently wrong 0.105 % → 0.004 %; seeds 1–4, both hearts, every condition: no
  // position figure changes, instruction agreement −0.000 to −0.017 (at 1 and 1.5: 0.104 and
  // 0.100 %; counted before breathing was seen, gated EAM's instruction agreement −0.041, and with
  // the heartbeat's terms too −0.047).
  // A free-form breath that has not come back to the reference for a breath (one breath at the
  // rate read) lets the vessel go from 1.5 mm (breathFloorRelease). Found on extra training seeds
  // 26–90, second heart, `standard`: the lead advanced up the great cardiac vein where its centreline
  // kinks into the breathing axis, and b took the 8.5 mm as a breath for 6 s (sure for 2 s). There:
  // sure and wrong 0.013 → 0.001 % of samples (1.5, 2 and the confidence alone the same); training
  // seeds 1–6, every condition, both hearts: no change; validation seeds 26–45: see the tracker's
  // breathFloorConfidence. A breath taken out beyond the reference (end-expiration: no breath is
  // more cranial) for 0.5 s lets go as well, from 1.5 mm (breathBeyondRelease): on seed 79 the
  // lead is found 4 s sooner (p95 of the run 8.7 → 4.9 mm). Training seeds 1–6, 13 conditions:
  // sure and wrong summed over cells 0.065 → 0.057 % (demo), 0.023 → 0.021 % (second heart), p95
  // per cell +0.005 / −0.005 mm, instruction agreement −0.0014 / −0.0005; validation seeds 26–45:
  // 0.075 → 0.061 % and 0.188 → 0.163 %, p95 −0.000 / −0.014 mm, instructions −0.0014 / −0.0001.
  // (Counted also without a breath taken out, it let go of leads resting on the wall: demo
  // `wall-contact` sure and wrong 0.003 → 0.077 %.)
  // A harmonic at a rate not yet read is taken out within the first cycle at that rate only if no
  // larger than the motion the tip has shown (unfoundWaitCycles, unfoundEarlyShare: the breath's
  // first 4 s; figures with the plain wait, the share's own in its option's comment). Independent client, its seed 12 (a deep
  // first breath 1.5 s in): `breath` p95 4.44 → 2.94 mm, worst walk 12.3 → 4.4 mm; its seeds 7–11
  // within ±0.05 mm. Training seeds 1–6: EAM pooled p95 3.06 → 3.07 / 3.42 → 3.41 mm (demo /
  // second heart), `variable-breathing` 3.37 → 3.45 / 5.16 → 5.25; validation 7–10, 26–29:
  // 3.32 → 3.31 / 4.18 → 4.19, branch and sure and wrong unchanged pooled. The view filters keep
  // 0: there it cost every fluoro cell on training seeds (biplane `standard` 2.25 → 2.31 / 3.01 →
  // 3.11 mm, single plane 3.80 → 3.85 / 5.48 → 6.08).
  eam: { noise: 1, breathingOffAxis: 0.03, learnBreathingAxis: true, breathSpreadWhenOff: 2.5, breathFloorRelease: 1.5, breathBeyondRelease: 1.5, unfoundWaitCycles: 1, unfoundEarlyShare: 0.5 },
  // The same model in pixels: ~1 mm at the isocentre is ~6.7 px on a 0.2 mm detector at 1.33×
  // magnification, so densities scale by ~44.
  // A free-form breath with no harmonic ever seen is not taken as motion (nothingMoves): the view
  // filters fit one to image noise in most frames of gated input (96 %). Training seeds 1–6 and
  // validation seeds 26–37, both hearts: biplane `gated` instruction agreement +0.014 to +0.035,
  // `clean` +0.007 to +0.010, sure and wrong unchanged. (For EAM the same put sure-and-wrong
  // samples into `wall-contact`, where the breath takes up the wall's offset: second heart,
  // validation, 0.001 → 0.003 %.)
  // Two views take out a free-form breath only once the harmonic terms have been seen at twice
  // minMotionAmplitude (freeBreathAfterMotion): on gated input the free breath fitted image noise in
  // 93 % of frames, and it had been soaking up the C-arm registration's error along the cranial axis
  // (registration-offset.ts now learns that error; the two go together). Training seeds 1–6, with
  // the learnt offset: gated biplane p95 1.44 → 1.23 mm (demo), 1.60 → 1.23 mm (second heart);
  // motion conditions' biplane p95 −0.04 to +0.19 mm (the free breath starts a few seconds later).
  // Single-plane filters keep it from the start (with it, single-plane gated 2.27 → 2.55 mm, demo).
  fluoro: { noise: 4, minMotionAmplitude: 5, motionSignificance: 0.5, holdGate: 20, accelerationDensity: 450, amplitudeDrift: 9, respiratoryDrift: 0.22, respiratoryDriftUnsettled: 2.2, centrelineSlack: 17, breathingAcceleration: 44 * 50, breathingReturnS: 0.7, alongSpreadScale: 1, freeBreathIsMotion: false, freeBreathAfterMotion: 2 },
  // One view takes out a free-form breath too (along the cranial axis as the view shows it), but a
  // slower one than two views: with the depth unknown, the tracker's place and vessel are looser,
  // and a b as free as biplane's took up the lead's own movement (training seeds 1–4, both hearts,
  // `standard` p95 3.38 → 4.52 and 5.63 → 6.87 mm). Without it (before), every breath that is not
  // its harmonic was left in the image: the ray missed the lead's vein by 5 mm and the tracker
  // jumped to a vein 72 mm away across the heart. Training seeds 1–4, single plane, p95 with
  // breathingAcceleration 140 / 550 / 1100 / 2200 (biplane's), second heart `physiological`
  // 23.6 → 16.6 / 11.5 / 11.0 / 11.6 mm, `ectopy` 49.1 → 17.7 / 11.6 / 12.6 / 10.8, `standard`
  // 5.63 → 5.63 / 5.74 / 5.76 / 6.87; demo `physiological` 8.54 → 8.28 / 7.52 / 7.07 / 7.04,
  // `standard` 3.38 → 3.38 / 3.44 / 3.65 / 4.52. With 550, validation seeds 26–31, single plane, 13
  // conditions: mean p95 −0.58 mm (demo), −3.31 mm (second heart), instruction agreement up in
  // every cell; worse: demo `standard` 3.69 → 3.83, second heart `wall-contact-moving` 14.95 → 15.71.
  // EAM and biplane are untouched.
  singleView: { breathingAcceleration: 550, freeBreathAfterMotion: 0 },
  enabled: true,
  trackerVessel: true,
};

/**
 * The view filters' options (noise, slack, gates, densities, the internal priors) are in pixels of
 * the detector they were tuned on: the device simulator's views, 0.2 mm pixels at SID 1000 / SOD
 * 750 (6.67 px per mm at the isocentre). Another detector or magnification (a flat panel's 0.15 mm,
 * an image intensifier's 0.3 mm, a zoom, another SID) is filtered in those reference pixels (its
 * detections, the vessel projected into it, and the output mapped through the view's scale about
 * the image centre), so a millimetre of motion is the same to every view's filter. Found by the
 * independent client's own views (`bench:independent --feed fluoro-biplane`): with 0.16 mm pixels
 * at 1.55× (9.4 px per mm), gated biplane took the hand's pushes out as a 4 s breath, 2.5–2.9 mm
 * off every other breath at confidence up to 0.96.
 */
const REFERENCE_VIEW = { sid: 1000, sod: 750, pixelSpacingMm: 0.2 };
const REFERENCE_PX_PER_MM = REFERENCE_VIEW.sid / REFERENCE_VIEW.sod / REFERENCE_VIEW.pixelSpacingMm;
const REFERENCE_MM_PER_PX = REFERENCE_VIEW.pixelSpacingMm * (REFERENCE_VIEW.sod / REFERENCE_VIEW.sid);

/** A view's pixels per reference pixel, along u and along v (1, 1 for the reference detector itself). */
function viewScale(g: CArmGeometry, out: Float64Array): Float64Array {
  out[0] = g.sid / g.sod / g.pixelSpacing[1] / REFERENCE_PX_PER_MM;
  out[1] = g.sid / g.sod / g.pixelSpacing[0] / REFERENCE_PX_PER_MM;
  return out;
}

/** Is this the reference detector (a scale of exactly 1 both ways)? Then nothing is mapped, so its numbers stay bit for bit. */
const isReference = (k: Float64Array): boolean => k[0] === 1 && k[1] === 1;

/** A pixel of view g (scale k) as the reference pixels show it, about the image centre, into out. */
function toReferencePixels(g: CArmGeometry, k: Float64Array, u: number, v: number, out: number[]): void {
  if (isReference(k)) { out[0] = u; out[1] = v; return; }
  const cu = g.size[0] / 2, cv = g.size[1] / 2;
  out[0] = cu + (u - cu) / k[0]!;
  out[1] = cv + (v - cv) / k[1]!;
}

/** The filter's output (reference pixels) back in view g's own pixels. */
function fromReferencePixels(g: CArmGeometry, k: Float64Array, r: ArrayLike<number>): { u: number; v: number } {
  if (isReference(k)) return { u: r[0]!, v: r[1]! };
  const cu = g.size[0] / 2, cv = g.size[1] / 2;
  return { u: cu + (r[0]! - cu) * k[0]!, v: cv + (r[1]! - cv) * k[1]! };
}

/** A direction in a view's pixels as the reference pixels show it, its length kept (unchanged where the pixels are square). */
function directionToReference(d: [number, number], k: Float64Array): [number, number] {
  if (k[0] === k[1]) return d;
  const u = d[0] / k[0]!, v = d[1] / k[1]!;
  const scale = hypot2(d[0], d[1]) / hypot2(u, v);
  return [u * scale, v * scale];
}

const sameGeometry = (a: CArmGeometry, b: CArmGeometry): boolean =>
  a.alpha === b.alpha && a.beta === b.beta && a.sid === b.sid && a.sod === b.sod && a.pixelSpacing[0] === b.pixelSpacing[0] && a.pixelSpacing[1] === b.pixelSpacing[1] && a.size[0] === b.size[0] && a.size[1] === b.size[1];

interface ViewSlot {
  filter: MotionFilter;
  geometry: CArmGeometry;
  frame: CArmFrame;
  vessel: VesselConstraint & { point: number[]; along: number[]; across: number[][] };
}

const newViewVessel = (): ViewSlot['vessel'] => ({ hold: false, point: [0, 0], along: [1, 0], across: [[0, 1]] });

/**
 * The twin's reference phases as the motion filter takes them: the direction along which each is
 * the extreme (null: the mean phase), and how far past end-diastole the cardiac one lies.
 */
export function referencePhases(twin: Twin): { cardiac: [number, number, number] | null; respiratory: [number, number, number] | null; cardiacOffsetCycles: number; respiratoryMode: 'end-expiration' | 'end-inspiration' | 'mean' } {
  const acquisition = twin.meta.acquisition ?? DEFAULT_ACQUISITION;
  const axes = heartAxes(twin);
  // End-diastole: the base furthest from the apex.
  const towardBase: [number, number, number] | null = axes.longAxis ? [-axes.longAxis[0], -axes.longAxis[1], -axes.longAxis[2]] : null;
  const cardiac = acquisition.cardiac === 'mean' ? null : towardBase;
  const cardiacOffsetCycles = typeof acquisition.cardiac === 'object' ? acquisition.cardiac.percentRR / 100 : 0;
  // End-expiration: the heart at its most cranial; end-inspiration: most caudal.
  const respiratory: [number, number, number] | null = acquisition.respiratory === 'mean' ? null : acquisition.respiratory === 'end-inspiration' ? [-CRANIAL[0], -CRANIAL[1], -CRANIAL[2]] : [CRANIAL[0], CRANIAL[1], CRANIAL[2]];
  return { cardiac, respiratory, cardiacOffsetCycles, respiratoryMode: acquisition.respiratory };
}

export function compensateMotion(twin: Twin, options: CompensationOptions = DEFAULT_COMPENSATION, initial: Registration = NO_REGISTRATION, trail?: TipTrail, feedback?: TrackFeedback, state?: PipelineState, offset?: RegistrationOffset) {
  const reference = referencePhases(twin);
  return stage<Flow, Flow>((emit) => {
    const st = kept(state, 'compensate', { registration: initial, eam: null as MotionFilter | null });
    // The ECG and respiratory signals, when the feed carries them: shared by every filter.
    const physio = kept(state, 'compensate.physio', new PhysioPhase());
    const views: ViewSlot[] = kept(state, 'compensate.views', []);
    const c = [0, 0, 0];
    /**
     * A twin-frame point in a view's pixels: twin → C-arm is the inverse of the (rigid) registration;
     * the point first moved by the registration's learnt error, as the views see it.
     */
    const toPixels = (slot: ViewSlot, x: number, y: number, z: number): [number, number] | null => {
      const m = st.registration.matrix;
      const f = offset ? offset.takenOut('fluoro') : NO_OFFSET;
      const dx = x + f[0]! - m[3]!, dy = y + f[1]! - m[7]!, dz = z + f[2]! - m[11]!;
      c[0] = m[0]! * dx + m[4]! * dy + m[8]! * dz;
      c[1] = m[1]! * dx + m[5]! * dy + m[9]! * dz;
      c[2] = m[2]! * dx + m[6]! * dy + m[10]! * dz;
      return projectPoint(slot.geometry, c, slot.frame);
    };
    /** The tracker's vessel as this view sees it: the point and direction projected, one direction across. */
    /** `k`: the view's scale (viewScale): the vessel is given in the pixels its filter works in. */
    const vesselInView = (slot: ViewSlot, k: Float64Array, vessel: VesselConstraint | null): VesselConstraint | null => {
      if (!vessel || !options.trackerVessel) return null;
      const p = vessel.point, a = vessel.along;
      const at = toPixels(slot, p[0]!, p[1]!, p[2]!);
      const ahead = toPixels(slot, p[0]! + a[0]!, p[1]! + a[1]!, p[2]! + a[2]!);
      if (!at || !ahead) return null;
      const du = ahead[0] - at[0], dv = ahead[1] - at[1];
      const len = hypot2(du, dv);
      // A vessel running nearly along the beam shows no direction in this view.
      if (len < 1e-3) return null;
      const out = slot.vessel;
      out.hold = vessel.hold;
      toReferencePixels(slot.geometry, k, at[0], at[1], out.point);
      // (Divided by a scale of 1 the reference detector's numbers stay bit for bit.)
      const ru = du / k[0]!, rv = dv / k[1]!, rl = hypot2(ru, rv);
      out.along[0] = ru / rl; out.along[1] = rv / rl;
      out.across[0]![0] = -out.along[1]!; out.across[0]![1] = out.along[0]!;
      return out;
    };
    const p = [0, 0, 0];
    const out3 = new Float64Array(3);
    const out2 = new Float64Array(2);
    const scale = new Float64Array(2);
    const detection = [0, 0];
    /** A twin-frame direction as seen in a view: its image (u, v) components, unnormalised. */
    const inView = (g: CArmGeometry, dir: readonly number[]): [number, number] => {
      // twin → C-arm is the inverse rotation of the registration (C-arm → twin).
      const c = [0, 0, 0];
      rotateToSource(st.registration.matrix, dir[0]!, dir[1]!, dir[2]!, c);
      const f = carmFrame(g);
      return [c[0]! * f.uAxis[0] + c[1]! * f.uAxis[1] + c[2]! * f.uAxis[2], c[0]! * f.vAxis[0] + c[1]! * f.vAxis[1] + c[2]! * f.vAxis[2]];
    };
    return {
      next(item) {
        if (item.kind === 'registration') {
          st.registration = item.registration;
          // The filter's state is in the twin frame through the old registration; the trail is
          // in the source frame and stays valid.
          st.eam = null;
          views.length = 0;
          return emit(item);
        }
        if (item.kind === 'signal') {
          if (item.signal.type === 'rwave') physio.rWave(item.signal.t);
          else physio.respiration(item.signal.t, item.signal.amplitude);
          return emit(item);
        }
        if (item.kind !== 'sample') return emit(item);
        const s = item.sample;
        if (s.type === 'tip') {
          transformPoint(st.registration.matrix, s.p[0], s.p[1], s.p[2], p);
          // (Read once: nothing learns it between here and the trail below.)
          const f = offset ? offset.takenOut('eam') : NO_OFFSET;
          for (let k = 0; k < 3; k++) p[k]! -= f[k]!;
          if (!options.enabled) return emit({ kind: 'compensated', sample: s, source: null, twin: [p[0]!, p[1]!, p[2]!], views: [], settled: true });
          if (!st.eam) {
            st.eam = new MotionFilter(3, options.eam);
            st.eam.setReferences(reference.cardiac, reference.respiratory, reference.cardiacOffsetCycles);
            st.eam.setRespiratoryMode(reference.respiratoryMode);
            // Breathing moves the heart mostly cranio-caudally (its free-form part is taken along that axis).
            st.eam.setBreathingAxis(CRANIAL);
          }
          const eam = st.eam;
          eam.update(s.t, p, out3, options.trackerVessel ? (feedback?.at(s.t) ?? null) : null, physio);
          if (trail) {
            // Back to the source frame (the trail refines the registration itself, so the learnt
            // offset goes back in: a refined registration starts the offset afresh).
            const m = st.registration.matrix;
            const dx = out3[0]! + f[0]! - m[3]!, dy = out3[1]! + f[1]! - m[7]!, dz = out3[2]! + f[2]! - m[11]!;
            trail.add(m[0]! * dx + m[4]! * dy + m[8]! * dz, m[1]! * dx + m[5]! * dy + m[9]! * dz, m[2]! * dx + m[6]! * dy + m[10]! * dz);
          }
          emit({ kind: 'compensated', sample: s, source: null, twin: [out3[0]!, out3[1]!, out3[2]!], views: [], settled: eam.settled(s.t), alongMotionMm: eam.alongMotion, alongSpreadMm: eam.alongSpread, irregularBreathing: eam.irregularBreathing, nothingMoves: eam.nothingMoves, breathFloorMm: Math.max(eam.breathFloor, eam.breathBeyond) });
          return;
        }
        const compensated = s.views.map((view, k) => {
          if (!options.enabled) return { u: view.u, v: view.v };
          // The view's filter works in the reference detector's pixels (viewScale).
          const ks = viewScale(view.geometry, scale);
          let slot = views[k];
          if (!slot || !sameGeometry(slot.geometry, view.geometry)) {
            const single = s.views.length === 1;
            slot = { filter: new MotionFilter(2, single ? { ...options.fluoro, ...options.singleView } : options.fluoro), geometry: view.geometry, frame: carmFrame(view.geometry), vessel: newViewVessel() };
            slot.filter.setReferences(reference.cardiac ? directionToReference(inView(view.geometry, reference.cardiac), ks) : null, reference.respiratory ? directionToReference(inView(view.geometry, reference.respiratory), ks) : null, reference.cardiacOffsetCycles);
            slot.filter.setRespiratoryMode(reference.respiratoryMode);
            // Breathing beyond its harmonic along the cranial axis as this view shows it (one view:
            // see singleView). (Before freeBreathIsMotion, one view's free breath fitted image noise:
            // single-plane gated p95 2.8 → 9.6 mm on held-out seeds.)
            slot.filter.setBreathingAxis(directionToReference(inView(view.geometry, CRANIAL), ks));
            views[k] = slot;
          }
          toReferencePixels(view.geometry, ks, view.u, view.v, detection);
          slot.filter.update(s.t, detection, out2, feedback ? vesselInView(slot, ks, feedback.at(s.t)) : null, physio);
          return fromReferencePixels(view.geometry, ks, out2);
        });
        const settled = !options.enabled || s.views.every((_, k) => views[k]!.filter.settled(s.t));
        // Each view's spread along the vessel, in mm at the isocentre (the point triangulated from two
        // views moves along the vessel with either: their RMS). One view's ray does not use it.
        // Any view taking out an irregular breath makes the observation's breath irregular.
        let along2 = 0, irregularBreathing = false, nothingMoves = options.enabled;
        if (options.enabled) {
          for (let k = 0; k < s.views.length; k++) {
            const { filter } = views[k]!;
            // (Every filter works in the reference detector's pixels: viewScale.)
            if (s.views.length > 1) along2 += (filter.alongSpread * REFERENCE_MM_PER_PX) ** 2;
            if (filter.irregularBreathing) irregularBreathing = true;
            if (!filter.nothingMoves) nothingMoves = false;
          }
        }
        emit({ kind: 'compensated', sample: s, source: null, twin: null, views: compensated, settled, alongSpreadMm: Math.sqrt(along2 / s.views.length), irregularBreathing, nothingMoves });
      },
    };
  });
}
