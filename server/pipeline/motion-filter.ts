// Separating the catheter's own movement from the heart's. The lead tip rides on a beating,
// breathing heart while the twin is still (imaged at end-diastole, in a breath-hold), so each
// coordinate of the measured tip is modelled as
//   y(t) = m(t) + H(t) + u·b(t) + noise,  H(t) = Σ a_k sin kφ_c + b_k cos kφ_c (k = 1, 2) + a_r sin φ_r + b_r cos φ_r
// with m(t) a constant-velocity catheter, u·b(t) what breathing does beyond its harmonic (the whole
// heart along the breathing axis u by a free-form b, zero at the reference phase: see
// sharedBreathing), and H zero-mean cardiac/respiratory motion with slowly
// drifting amplitudes, estimated by a Kalman filter whose phases advance at frequencies found in
// the signal itself (periodogram peaks, in the cardiac and respiratory bands, of what the
// catheter's estimated movement leaves of the measurement).
// The twin's geometry is the heart at a reference phase, not at its mean: the tip where the twin
// has it is m + H(φ_ref), with φ_ref the extreme of H along a reference direction (toward the base
// for end-diastole, cranial for end-expiration), as ECG and respiratory gating would pick it.
// Once the tracker knows where on the vein tree the lead is (away from junctions, where it could be
// in either vein), the filter is told the vessel there: across it the lead sits within a vein's
// radius of the centreline, so a measurement's offset across the vessel is the heart's motion.
// Without that the catheter's own turns and changes of speed, which are as slow as a breath, leak
// into the motion estimate. That couples the dimensions, so the covariance is kept whole.
// All time comes from the samples.

import { COS, COS2, MotionSpectrum, PHASES, SIN, SIN2 } from './motion-spectrum.ts';
import type { PhysioPhase } from './physio-phase.ts';
import { BreathingAxis } from './breathing-axis.ts';
import { SlidingMinimum } from './sliding-minimum.ts';
import { StillnessGauge } from './stillness.ts';
import { hypot2 } from '../geometry/hypot.ts';

export interface MotionFilterOptions {
  /** Measurement noise (standard deviation, in measurement units). */
  noise: number;
  /** Catheter acceleration spectral density (units²/s³): how quickly the physician changes speed. */
  accelerationDensity: number;
  /** Drift of the cardiac motion amplitudes (units²/s): they change as the catheter moves along the heart. */
  amplitudeDrift: number;
  /**
   * Drift of the respiratory amplitudes (units²/s). Breathing moves the whole heart nearly as one
   * body, so these barely change with the catheter's place.
   */
  respiratoryDrift: number;
  /** The same before the breathing rate has been read from the signal (the assumed rate can be well off). */
  respiratoryDriftUnsettled: number;
  /** How far the lead (at the reference phase) may sit from the centreline, in measurement units (1 SD): about a vein's radius. */
  centrelineSlack: number;
  /**
   * The vessel is not held to when the measurement, with the heart's estimated motion taken out,
   * lies further than this across it (measurement units): the lead is leaving that vessel, and
   * holding it there would filter away the evidence (the tracker's belief confirming itself).
   */
  holdGate: number;
  /** Frequencies assumed before the signal has shown its own (Hz). */
  cardiacHz: number;
  respiratoryHz: number;
  /** Window (s) over which the frequencies are estimated, and how often. */
  spectrumWindowS: number;
  /** The respiratory band's window (s): longer, for its resolution. */
  respiratoryWindowS: number;
  spectrumEveryS: number;
  /** A gap longer than this (s) loosens the filter's grip on position and velocity. */
  gapS: number;
  /** Estimate the frequencies from the signal (off: keep cardiacHz/respiratoryHz as given). */
  estimateFrequencies: boolean;
  /**
   * A cardiac or respiratory motion whose estimated amplitude (RMS over dimensions of the
   * harmonic coefficients, measurement units) stays below this is not taken out of the output:
   * below it, what the filter fits is the catheter's own starts and stops, not a heartbeat.
   */
  minMotionAmplitude: number;
  /** …and, before its rate is read, a fitted motion counts only when its amplitude is this many times its standard deviation. */
  motionSignificance: number;
  /**
   * …and only once this many cycles at the assumed rate have been watched since the filter started
   * (0: at once). Fitted from part of a cycle at a rate not yet read (the breath's is assumed 4 s),
   * a harmonic trades against the catheter's own velocity: a deep first breath 1.5 s into a
   * procedure was fitted as a 20–30 mm breathing harmonic, and taking that out put the tip 30 mm
   * from anywhere it had been (`bench:independent`, its seed 12).
   */
  unfoundWaitCycles: number;
  /**
   * …unless, within that wait, its amplitude is at most this share of half the extent the tip has
   * covered so far (a fit larger than any motion seen is the catheter's path traded against a
   * part-cycle harmonic; a smaller one early helps more often than not). Training seeds 1–6 with
   * 0.5 against the plain wait (0): EAM pooled p95 the same, the second heart's
   * `variable-breathing` 5.25 → 5.16 mm; `bench:robustness`, second heart: as drawn 6.61 → 6.47,
   * 20 Hz 7.85 → 7.25 mm, with fast breathing 6.12 → 6.30 mm.
   */
  unfoundEarlyShare: number;
  /**
   * 'deharmonised': the measurement minus the estimated motion (no lag when the catheter starts,
   * stops or turns; measurement noise stays, for the tracker to absorb). 'smoothed': the filtered
   * catheter state (less noise, but it overshoots at every start, stop and turn).
   */
  output: 'deharmonised' | 'smoothed';
  /**
   * Breathing beyond its harmonic (without the lab's respiratory signal): a real breath is not a
   * sinusoid (a long end-expiratory dwell, a brief inspiration, every breath its own depth and
   * length), and one harmonic at one rate leaves the rest in the output. On: the whole heart also
   * moves along the breathing axis (cranio-caudal; setBreathingAxis) by a displacement b(t) free
   * in shape, with its own velocity, read mostly from how far the lead sits across its vessel.
   * The harmonic keeps what repeats; b takes what does not.
   */
  sharedBreathing: boolean;
  /** Spectral density of b's acceleration (units²/s³): how quickly a breath may turn. */
  breathingAcceleration: number;
  /** b's velocity forgets itself with this time constant (s). */
  breathingVelocityS: number;
  /** b returns toward zero (the harmonic's account) with this time constant (s) when nothing says otherwise. */
  breathingReturnS: number;
  /**
   * alongSpread is the filter's own standard deviation of the motion it takes out along the vessel
   * times this. Its model knows neither a breath's variation from the last nor a heartbeat's, so
   * its covariance is too small: 2.5 chosen on training seeds 1–6 (bench/accuracy, EAM, both hearts;
   * 1, 2.5 and 3.5 tried: the fewest samples sure and wrong for the fewest instructions withheld).
   * Fluoro's looser model needs none (1; the view's spread is taken in mm at the isocentre).
   */
  alongSpreadScale: number;
  /**
   * The respiratory terms' prior and drift off the breathing axis, as a share of theirs along it
   * (1: the same in every direction). Breathing moves the whole heart along one line, so what the
   * filter learns of a breath across the vessel (where it shows) also says what it does along it
   * (where nothing shows). Needs an axis (setBreathingAxis); see DEFAULT_COMPENSATION for the value.
   */
  breathingOffAxis: number;
  /**
   * Learn the breathing axis from the measurement across the tracker's vessels, starting from the
   * one given (breathing-axis.ts): a patient's heart moves antero-posteriorly and sideways with
   * each breath too, by an amount of their own.
   */
  learnBreathingAxis: boolean;
  /**
   * A breath the filter does not take out still counts in alongSpread, its own uncertainty times
   * this (0: not), once breathing has been seen in the signal. Where a vein runs along the
   * breathing axis nothing across it shows the breath: the catheter's own movement absorbs it, the
   * respiratory terms fade below minMotionAmplitude and are no longer taken out, and with them
   * went the only spread that said the place along the vein swings with each breath (found on
   * training seed 6, second heart, EAM push-pause: a pause in a vein within 10° of the axis, 5–8 mm
   * off for 2 s at confidence 0.9). Their covariance there is what the filter does not know.
   */
  breathSpreadWhenOff: number;
  /**
   * The free-form breath is zero at the reference phase, which every breath passes: an offset it
   * has held for a whole breath (its smallest size over the last breathFloorBreaths breaths, in
   * measurement units) is not a breath but the lead where the vessel it is held to is not (the
   * tracker's belief confirming itself). From this size on the vessel is let go until it clears.
   */
  breathFloorRelease: number;
  breathFloorBreaths: number;
  /**
   * With the reference at an extreme of the breath (end-expiration or end-inspiration), no breath
   * takes the heart beyond it: the breath the filter takes out (its harmonic and b, along the
   * reference direction) held beyond it by at least this much (measurement units) for
   * breathBeyondS is the lead elsewhere too, and lets the vessel go the same way.
   */
  breathBeyondRelease: number;
  breathBeyondS: number;
  /**
   * Read the breathing band from the measurement's offset from the tracker's place (a peak must
   * still show across the vessel: motion-spectrum.ts), not from its offset across the vessel only.
   * Where a vein runs with the breath nothing across it shows the breath, and the rate read across
   * only was 14 % off on average 20 s into the second heart's `standard` runs (up to 45 %); read
   * from the offset, 2–3 %. Off in every feed: measured and not taken (docs/journal.md, the
   * twenty-fifth session). With it for EAM, second heart, training / validation seeds: `standard`
   * p95 2.61 → 2.09 / 2.82 → 2.14 mm; but the demo twin's `wall-contact` 0.001 → 0.093 % sure and
   * wrong (training), the second heart's `push-pause` 0.008 → 0.046 % and `gated` instructions
   * 0.981 → 0.962 (validation): a rate read from the tracker's place moves with the tracker's
   * errors. (A breathing rate given exactly: `standard` p95 1.72 mm, `physiological` 3.30 against
   * 3.93 mm: the rate is worth reading better.)
   */
  breathFromOffset: boolean;
  /**
   * A free-form breath taken out counts as motion for nothingMoves even when no harmonic has ever
   * been seen (see DEFAULT_COMPENSATION for the choice per feed).
   */
  freeBreathIsMotion: boolean;
  /**
   * The free-form breath is taken out only once the harmonic terms have been seen this many times
   * minMotionAmplitude (0: from the start; not with freeBreathIsMotion or a respiratory signal). See
   * DEFAULT_COMPENSATION for the choice per feed.
   */
  freeBreathAfterMotion: number;
}

export const DEFAULT_MOTION_OPTIONS: MotionFilterOptions = {
  noise: 1,
  // Tuned on the standard scenarios (bench/accuracy): a freer catheter state starts explaining
  // the respiratory sinusoid, a stiffer one lags when the physician starts or stops.
  accelerationDensity: 20,
  amplitudeDrift: 0.2,
  respiratoryDrift: 0.05,
  respiratoryDriftUnsettled: 0.05,
  centrelineSlack: 2.5,
  holdGate: 3,
  cardiacHz: 1.1,
  respiratoryHz: 0.25,
  spectrumWindowS: 8,
  respiratoryWindowS: 40,
  spectrumEveryS: 0.5,
  gapS: 0.5,
  estimateFrequencies: true,
  minMotionAmplitude: 1,
  motionSignificance: 2,
  unfoundWaitCycles: 0,
  unfoundEarlyShare: 0,
  output: 'deharmonised',
  // Tuned on training seeds 1–2 (bench/accuracy, every condition): 10–40 and 0.3–0.7 s are within
  // noise of each other for EAM; a freer b (200) takes the catheter's own movement too.
  sharedBreathing: true,
  breathingAcceleration: 20,
  breathingVelocityS: 1,
  breathingReturnS: 0.5,
  alongSpreadScale: 2.5,
  breathSpreadWhenOff: 0,
  breathingOffAxis: 1,
  learnBreathingAxis: false,
  breathFloorRelease: Infinity,
  // One breath: every breath passes the reference. (1.25 at first: a twin imaged at the mean phase has
  // only this gauge, and with a 5.5 s breath it let a lead stuck at the second heart's kink be
  // shown sure and wrong for 2 s: seed 45 `sinusoidal`; seeds 34 and 45 there, sure and wrong
  // 0.317 → 0.007 % at 1. Training seeds 1–6: p95 per cell −0.001 / −0.002 mm, instructions
  // −0.0004 / −0.0001; at 0.8 the same sure and wrong, instructions −0.0016.)
  breathFloorBreaths: 1,
  breathBeyondRelease: Infinity,
  breathBeyondS: 0.5,
  freeBreathIsMotion: true,
  freeBreathAfterMotion: 0,
  breathFromOffset: false,
};

/** Before its rate is read from the signal, a motion must be this many times minMotionAmplitude to be taken out. */
const UNFOUND_FACTOR = 1.5;
/**
 * A motion taken out for LATCH_AFTER_S stays taken out until its evidence falls below HOLD_ON of
 * what turned it on. With one threshold a motion near it flickered on and off every few tenths of
 * a second (a physiological heart under a hand that pushes and pauses), and the output and the
 * confidence jumped with it: when the breath's compensation switched off, so did confidence's
 * allowance for the breath it leaves, with the tip 5–7 mm off. Only once it has lasted: a motion
 * fitted for a moment to a clean push, held on, moved clean biplane's tip (p95 1.38 → 1.58 mm).
 * Training seeds 1–4, EAM, second heart: pooled p95 4.97 → 4.60 mm, confidently wrong 0.010 →
 * 0.002 % (held at once: 4.65 mm; HOLD_ON 0.7: 4.78 mm; latched after 3 s: 4.65 mm).
 */
const HOLD_ON = 0.5;
const LATCH_AFTER_S = 1;
/** Has a motion taken out since `since` (NaN: it is not) lasted long enough to be held on? */
const latched = (since: number, t: number): boolean => !Number.isNaN(since) && t - since >= LATCH_AFTER_S;
/** When a motion began to be taken out without a break, after this update (NaN: it is not). */
const onSince = (on: boolean, since: number, t: number): number => (on ? (Number.isNaN(since) ? t : since) : Number.NaN);
/**
 * A fitted heart motion below this fraction of minMotionAmplitude is not taken out (still or gated
 * input, or a catheter's own starts and stops the harmonics absorbed a little of): the output is
 * the measurement, nothing to learn and nothing to wait for. At 0.3, clean fluoro moved by hand
 * stayed "unsettled", which makes the tracker's branch changes 5× dearer: 0.5–0.7 s behind the
 * lead at the ostium (training seeds 1–4, with a rate floor of 2: clean biplane branch 0.9923 →
 * 0.9942, gated a little better, nothing worse).
 */
const SETTLED_FRACTION = 1;

/**
 * The fitted motion's amplitude is averaged over this long (s) to say whether the heart moves in
 * this input at all: a push leaves a few mm in the harmonics for a moment on gated input (p99 of
 * the cardiac terms' amplitude 0.7–2.1 mm, median 0.35, training seeds 1–2, second heart, EAM), a
 * beating heart holds 2–3.5 mm there.
 */
const MOTION_SEEN_S = 10;

/** The input counts as still when it strays from a smooth path by less than this fraction of minMotionAmplitude (RMS). */
const STILL_WOBBLE = 0.3;
/** With the input still, fitted motion fades with this time constant (s). */
const STILL_DECAY_S = 0.25;

/** The free-form breath's RMS is read over this time constant (s): a breath or two. */
const BREATHING_RMS_S = 4;

/** Cycles at the heart rate read from the signal before the filter counts as settled. */
const SETTLE_CYCLES = 4;

/** Prior variances at the start: the catheter's velocity, each motion term, the free-form breath and its rate. */
const VELOCITY_PRIOR = 100;
const TERM_PRIOR = 25;
const BREATH_PRIOR = 25;
const BREATH_RATE_PRIOR = 100;
/** The respiratory regression's coefficient prior (per whole respiratory range, along the axis). */
const REGRESSION_PRIOR = 100;

const N = 8; // state per dimension: position, velocity, a_c1, b_c1, a_c2, b_c2, a_r, b_r

/**
 * The vessel at the lead, from the tracker, in measurement units: a point of the centreline (at the
 * reference phase), the direction along it, and up to two directions across it.
 */
export interface VesselConstraint {
  point: ArrayLike<number>;
  along: ArrayLike<number>;
  across: readonly ArrayLike<number>[];
  /**
   * Hold the lead to this vessel. Off near a junction, where it may be entering either vein: held
   * to the tracker's, it would hold the tracker there too. The vessel still serves the spectrum.
   */
  hold: boolean;
}

export class MotionFilter {
  readonly dims: number;
  private readonly o: MotionFilterOptions;
  private readonly n: number;
  /** State, row-major [dims × N]: dimension a's block starts at a·N. */
  private readonly x: Float64Array;
  /** Full covariance (n × n, n = dims·N): the vessel constraint couples the dimensions. */
  private readonly P: Float64Array;
  private readonly h: Float64Array;
  private readonly ph: Float64Array;
  /** correct()'s and measureAlongSpread()'s scratch: the indices of h's (J's) non-zero terms. */
  private readonly nonZero: Int32Array;
  private readonly basisNow = new Float64Array(N);
  private readonly basisRef = new Float64Array(N);
  private readonly residual = new Float64Array(3);
  /** The measurement's offset from the tracker's place (or the catheter state), the heart taken out. */
  private readonly offset = new Float64Array(3);
  private readonly across = new Float64Array(3);
  private initialised = false;
  private lastT = 0;
  private phaseC = 0;
  private phaseR = 0;
  private readonly spectrum: MotionSpectrum;
  /** Whether the raw measurements show any motion besides the catheter's own smooth path. */
  private readonly stillness: StillnessGauge;
  private previousT = 0;
  private initialisedAt = Number.NaN;
  /** When the filter took its first measurement (since a reset). */
  private startedAt = Number.NaN;
  /** The box the measurements have covered since the filter started (kept only with an unfoundEarlyShare). */
  private readonly seenLow = new Float64Array(3).fill(Infinity);
  private readonly seenHigh = new Float64Array(3).fill(-Infinity);
  /** Half the diagonal of that box. */
  private seenHalfExtent(): number {
    let sum = 0;
    for (let a = 0; a < this.dims; a++) sum += (this.seenHigh[a]! - this.seenLow[a]!) ** 2;
    return 0.5 * Math.sqrt(sum);
  }
  /** The free-form breath (sharedBreathing): the index of its displacement b (then its velocity) in the state. */
  private readonly B: number;
  /** The direction the heart moves per unit of b (measurement units); zero: no free-form breath. */
  private readonly breathingAxis: Float64Array;
  /** Mean square of b over the last breaths: is there breathing to take out? */
  private breathingMs = 0;
  /**
   * Amplitude (measurement units) of the motion this sample took out along the tracker's vessel:
   * along a vein the lead moves freely, so an error there is unseen (see tree-tracker.ts). 0
   * without a vessel.
   */
  alongMotion = 0;
  /**
   * How far (a standard deviation, measurement units; 0 without a vessel) the motion taken out along
   * the vessel at this phase may be wrong: the filter's own uncertainty of it, times alongSpreadScale.
   * Nothing across the vessel shows such an error, so the tracker takes it as the spread of its place
   * along it.
   */
  alongSpread = 0;
  /**
   * This sample had the free-form breath taken out: breathing here differs from its harmonic, and
   * what is left of it is the largest error (a plain sinusoid the harmonic removes leaves little).
   */
  irregularBreathing = false;
  /**
   * Nothing moves the tip but the catheter: no motion taken out of this sample (heartbeat, breath's
   * harmonic or, with freeBreathIsMotion, free-form breath), and none ever seen in this
   * procedure's input (gated or clean input): no motion is left in the output to swing along the
   * vessel. (Not the same as no motion taken out: where a vein runs along the breath, nothing
   * across it shows the breath, and its terms fade below minMotionAmplitude while it still moves
   * the lead along the vein: found on training seed 6, second heart, push-pause.)
   */
  nothingMoves = false;
  /**
   * The fitted motion's size (the harmonic coefficients' root sum of squares) averaged over
   * MOTION_SEEN_S; no longer updated once it has reached minMotionAmplitude (the heart moves in
   * this input, for good).
   */
  private motionLevel = 0;
  /**
   * The same level of the harmonic terms, built up until it reaches freeBreathAfterMotion ×
   * minMotionAmplitude (then the free-form breath may be taken out).
   */
  private harmonicLevel = 0;
  /**
   * The free-form breath's smallest size over the last breathFloorBreaths breaths (measurement
   * units; 0 before it has been seen that long): what of it has not come back to the reference.
   */
  breathFloor = 0;
  private readonly breathMinimum = new SlidingMinimum();
  /** How far the breath taken out has stayed beyond the reference over the last breathBeyondS (0: not; see breathBeyondRelease). */
  breathBeyond = 0;
  private readonly beyondMinimum = new SlidingMinimum();

  constructor(dims: number, options: Partial<MotionFilterOptions> = {}, capacity = 2048) {
    this.dims = dims;
    this.o = { ...DEFAULT_MOTION_OPTIONS, ...options };
    this.B = dims * N;
    this.n = dims * N + (this.o.sharedBreathing ? 2 : 0);
    this.breathingAxis = new Float64Array(dims);
    this.x = new Float64Array(this.n);
    this.P = new Float64Array(this.n * this.n);
    this.h = new Float64Array(this.n);
    this.ph = new Float64Array(this.n);
    this.nonZero = new Int32Array(this.n);
    this.spectrum = new MotionSpectrum(dims, this.o, capacity);
    this.stillness = new StillnessGauge(dims);
  }

  /** The breathing axis learnt so far (unit; the one given until the procedure shows another), or null when not learning. */
  get learntBreathingAxis(): ArrayLike<number> | null {
    return this.axisLearner?.axis ?? null;
  }

  get cardiacHz(): number {
    return this.spectrum.cardiacHz;
  }

  get respiratoryHz(): number {
    return this.spectrum.respiratoryHz;
  }

  /**
   * Feed one measurement at time t; `out` receives the motion-compensated position. `vessel`, when
   * the tracker knows it, is the vessel at the lead's last place on the tree.
   */
  update(t: number, y: ArrayLike<number>, out: Float64Array | number[], vessel: VesselConstraint | null = null, physio: PhysioPhase | null = null): void {
    const d = this.dims;
    if (!this.initialised) {
      this.x.fill(0);
      for (let a = 0; a < d; a++) this.x[a * N] = y[a]!;
      this.P.fill(0);
      for (let a = 0; a < d; a++) {
        const b = a * N;
        this.P[b * this.n + b] = this.o.noise ** 2;
        this.P[(b + 1) * this.n + b + 1] = VELOCITY_PRIOR;
        for (let i = 2; i < N; i++) this.P[(b + i) * this.n + b + i] = TERM_PRIOR;
      }
      if (this.axisShaped) for (const j of [6, 7]) this.shapeRespiratory(j, TERM_PRIOR, true);
      if (this.n > this.B) {
        this.P[this.B * this.n + this.B] = BREATH_PRIOR;
        this.P[(this.B + 1) * this.n + this.B + 1] = BREATH_RATE_PRIOR;
      }
      this.breathingMs = 0;
      this.lastT = t;
      this.initialised = true;
      this.initialisedAt = t;
      this.startedAt = t;
      this.seenLow.fill(Infinity);
      this.seenHigh.fill(-Infinity);
      this.previousT = t;
    } else {
      const dt = Math.max(0, t - this.lastT);
      this.predict(dt);
      this.lastT = t;
    }
    const dt = this.initialisedAt === t ? 0 : t - this.previousT;
    this.previousT = t;
    this.initialisedAt = Number.NaN;
    if (this.o.unfoundEarlyShare > 0) {
      for (let a = 0; a < d; a++) {
        if (y[a]! < this.seenLow[a]!) this.seenLow[a] = y[a]!;
        if (y[a]! > this.seenHigh[a]!) this.seenHigh[a] = y[a]!;
      }
    }
    if (this.o.estimateFrequencies) {
      this.spectrum.step(t, dt);
      if (this.spectrum.cardiacFound && Number.isNaN(this.cardiacFoundAt)) this.cardiacFoundAt = t;
    }
    // The lab's own signals, when it sends them: the ECG's beat-by-beat phase, and breathing as
    // proportional to the respiratory amplitude.
    const fraction = physio ? physio.cardiacFraction(t) : Number.NaN;
    this.ecgPhase = !Number.isNaN(fraction);
    if (this.ecgPhase) this.phaseC = 2 * Math.PI * fraction;
    const regressor = physio ? physio.respiratoryRegressor(t, this.respiratoryMode) : Number.NaN;
    if (!Number.isNaN(regressor) && !this.respiratoryRegression) this.startRespiratoryRegression();
    // The signal lost (no amplitude for a second: a belt unplugged, the link down): back to the
    // breath as the motion itself shows it. Held at its last amplitude instead, the breath taken
    // out stayed where the signal stopped for the rest of the procedure. (Shorter gaps hold it.)
    else if (this.respiratoryRegression && (physio === null || physio.respirationLost(t))) this.stopRespiratoryRegression();
    // The motion basis now.
    const bn = this.basisNow;
    bn[2] = Math.sin(this.phaseC); bn[3] = Math.cos(this.phaseC);
    bn[4] = Math.sin(2 * this.phaseC); bn[5] = Math.cos(2 * this.phaseC);
    if (this.respiratoryRegression) {
      // A stale signal holds the breathing where it was last seen.
      if (!Number.isNaN(regressor)) {
        this.followRespiratoryRange(physio!.respiratoryRange);
        this.lastRegressor = regressor;
      }
      bn[6] = this.lastRegressor; bn[7] = 0;
    } else {
      bn[6] = Math.sin(this.phaseR); bn[7] = Math.cos(this.phaseR);
    }
    const r = this.o.noise ** 2;
    const shared = this.sharedBreathing;
    for (let a = 0; a < d; a++) {
      // y_a = position_a + Σ basis_j · coefficient_{a,j} (+ axis_a · b, shared breathing)
      const h = this.h;
      h.fill(0);
      const b = a * N;
      h[b] = 1;
      for (let j = 2; j < N; j++) h[b + j] = bn[j]!;
      if (shared) h[this.B] = this.breathingAxis[a]!;
      this.correct(y[a]!, r);
    }
    const held = vessel?.hold === true && !(this.breathFloor >= this.o.breathFloorRelease) && !(this.breathBeyond >= this.o.breathBeyondRelease) && this.withinHoldGate(y, vessel);
    if (held) {
      // Across the vessel, the lead at the reference phase (position + H(φ_ref)) is on the centreline.
      // (withinHoldGate has just computed the reference basis from this state.)
      const br = this.basisRef;
      const slack = this.o.centrelineSlack ** 2;
      for (const normal of vessel.across) {
        const h = this.h;
        // At the reference phase the shared breathing is zero by definition: not in this row.
        if (this.n > this.B) { h[this.B] = 0; h[this.B + 1] = 0; }
        let z = 0;
        for (let a = 0; a < d; a++) {
          const b = a * N, w = normal[a]!;
          h[b] = w;
          h[b + 1] = 0;
          for (let j = 2; j < N; j++) h[b + j] = w * br[j]!;
          z += w * vessel.point[a]!;
        }
        this.correct(z, slack);
      }
    }
    // The spectrum is taken of what the catheter's own movement does not explain. With the vessel
    // known that is the measurement's offset across it, which owes nothing to this filter's own
    // motion model (y − m would echo the model's frequencies back to the spectrum); otherwise y − m.
    // The heart's own motion (whose rate is found more easily) is taken out first. With
    // breathFromOffset the breathing band reads the whole offset from the tracker's place (across
    // the vessel it still checks a peak: motion-spectrum.ts).
    for (let a = 0; a < d; a++) {
      let cardiacNow = 0;
      for (let j = 2; j < 6; j++) cardiacNow += bn[j]! * this.x[a * N + j]!;
      this.residual[a] = y[a]! - cardiacNow - (vessel ? vessel.point[a]! : this.x[a * N]!);
    }
    if (this.o.breathFromOffset) this.offset.set(this.residual);
    if (vessel) {
      let along = 0;
      for (let a = 0; a < d; a++) along += vessel.along[a]! * this.residual[a]!;
      for (let a = 0; a < d; a++) this.residual[a]! -= along * vessel.along[a]!;
    }
    if (vessel) {
      // The measurement across the vessel, from its point: a hand moves the lead along it only.
      let along = 0;
      for (let a = 0; a < d; a++) along += vessel.along[a]! * (y[a]! - vessel.point[a]!);
      for (let a = 0; a < d; a++) this.across[a] = y[a]! - vessel.point[a]! - along * vessel.along[a]!;
    }
    this.spectrum.remember(t, this.o.breathFromOffset ? this.offset : this.residual, this.residual, y, vessel ? this.across : null);
    if (this.axisLearner) {
      const beatS = 1 / this.spectrum.cardiacHz;
      if (vessel) {
        if (this.axisLearner.add(t, this.residual, vessel.along, beatS)) this.useBreathingAxis(this.axisLearner.axis);
      } else if (this.axisLearner.miss(t, beatS)) this.useBreathingAxis(this.axisLearner.axis);
    }
    // A motion too small to be the heart's or the breath's (gated or still input) is not taken out
    // of the output: what the filter fits then is the catheter's own starts and stops, and taking
    // that out would make up a heartbeat.
    // Before the signal has shown a peak at the rate, a fitted motion must be plainly larger.
    // Nothing but the catheter's own smooth path in the last 1.5 s (clean or gated input): what
    // the harmonics hold is not the heart's (a fast push leaves some there). It is not taken out,
    // and it fades within a few tenths of a second instead of at its drift rate.
    this.stillness.add(t, y);
    const still = this.stillness.wobble() < STILL_WOBBLE * this.o.minMotionAmplitude;
    if (still && dt > 0) {
      const keep = Math.exp(-dt / STILL_DECAY_S);
      for (let a = 0; a < d; a++) for (let j = 2; j < N; j++) this.x[a * N + j]! *= keep;
      if (this.n > this.B) { this.x[this.B]! *= keep; this.x[this.B + 1]! *= keep; }
    }
    if (shared && dt > 0) this.breathingMs += (1 - Math.exp(-dt / BREATHING_RMS_S)) * (this.x[this.B]! ** 2 - this.breathingMs);
    // (As it was before this sample: gaugeBreath counts a breath beyond the reference only then.)
    const respiratoryWasOn = !Number.isNaN(this.respiratoryOnSince);
    const cardiacOn = !still && this.motionShown(2, 6, this.ecgPhase || this.spectrum.cardiacFound || !this.o.estimateFrequencies, latched(this.cardiacOnSince, t));
    const respiratoryOn = !still && this.motionShown(6, N, this.respiratoryRegression || this.breathingRateKnown, latched(this.respiratoryOnSince, t));
    // The free-form breath swings between zero and the breath's far end: its amplitude is about
    // √2 × its RMS.
    const freeBreathLevel = this.o.freeBreathAfterMotion * this.o.minMotionAmplitude;
    if (this.harmonicLevel < freeBreathLevel && dt > 0) this.harmonicLevel += (1 - Math.exp(-dt / MOTION_SEEN_S)) * (this.bandAmplitude(2, N) - this.harmonicLevel);
    const breathAllowed = this.o.freeBreathIsMotion || this.respiratoryRegression || this.harmonicLevel >= freeBreathLevel;
    const breathingOn = !still && shared && breathAllowed && Math.sqrt(2 * this.breathingMs) >= this.o.minMotionAmplitude * (latched(this.breathingOnSince, t) ? HOLD_ON : 1);
    this.cardiacOnSince = onSince(cardiacOn, this.cardiacOnSince, t);
    this.respiratoryOnSince = onSince(respiratoryOn, this.respiratoryOnSince, t);
    this.breathingOnSince = onSince(breathingOn, this.breathingOnSince, t);
    this.atReference(out, cardiacOn, respiratoryOn);
    if (shared) this.gaugeBreath(t, respiratoryWasOn);
    this.irregularBreathing = breathingOn;
    if (this.motionLevel < this.o.minMotionAmplitude && dt > 0) {
      const level = this.bandAmplitude(2, N); // the heartbeat's terms and the breath's
      this.motionLevel += (1 - Math.exp(-dt / MOTION_SEEN_S)) * (level - this.motionLevel);
    }
    this.nothingMoves = !cardiacOn && !respiratoryOn && !(breathingOn && this.o.freeBreathIsMotion) && this.motionLevel < this.o.minMotionAmplitude;
    if (vessel) {
      // The free-form breath's share along the vessel (its axis projected), for both measures.
      let axisAlong = 0;
      if (shared) for (let a = 0; a < d; a++) axisAlong += vessel.along[a]! * this.breathingAxis[a]!;
      const breathAlong = breathingOn ? axisAlong : 0;
      this.alongMotion = this.alongAmplitude(vessel.along, cardiacOn, respiratoryOn, breathAlong);
      this.measureAlongSpread(vessel.along, cardiacOn, respiratoryOn, breathAlong, this.o.alongSpreadScale);
      if (this.o.breathSpreadWhenOff > 0 && this.breathingRateKnown && !still && (!respiratoryOn || (shared && !breathingOn))) {
        // The breath's terms that are not taken out, alone (their covariance with the rest left out).
        const on = this.alongSpread;
        this.measureAlongSpread(vessel.along, false, !respiratoryOn, shared && !breathingOn ? axisAlong : 0, this.o.breathSpreadWhenOff);
        const off = this.alongSpread;
        this.alongSpread = Math.sqrt(on * on + off * off);
      }
    } else {
      this.alongMotion = 0;
      this.alongSpread = 0;
    }
    if (this.o.output === 'deharmonised') {
      // out = m + H(φ_ref) so far; replace m by (y − H(now)).
      for (let a = 0; a < d; a++) {
        let motionNow = 0;
        if (cardiacOn) for (let j = 2; j < 6; j++) motionNow += bn[j]! * this.x[a * N + j]!;
        if (respiratoryOn) for (let j = 6; j < N; j++) motionNow += bn[j]! * this.x[a * N + j]!;
        if (breathingOn) motionNow += this.breathingAxis[a]! * this.x[this.B]!;
        out[a] = out[a]! - this.x[a * N]! + (y[a]! - motionNow);
      }
    }
  }

  /**
   * breathFloor and breathBeyond from this sample's state (see breathFloorRelease and
   * breathBeyondRelease). Called after atReference, whose reference basis it reads.
   */
  private gaugeBreath(t: number, respiratoryWasOn: boolean): void {
    this.breathMinimum.add(t, Math.abs(this.x[this.B]!));
    const floor = this.breathMinimum.minimum(t, this.o.breathFloorBreaths / this.spectrum.respiratoryHz);
    this.breathFloor = Number.isNaN(floor) ? 0 : floor;
    const dirR = this.respiratoryReference;
    if (!dirR || this.respiratoryMode === 'mean' || !(this.o.breathBeyondRelease < Infinity)) return;
    // The breath along the reference direction, from the reference: ≤ 0 for any real breath.
    const bn = this.basisNow, br = this.basisRef;
    let beyond = 0;
    for (let a = 0; a < this.dims; a++) {
      let r = this.breathingAxis[a]! * this.x[this.B]!;
      for (let j = 6; j < N; j++) r += (bn[j]! - br[j]!) * this.x[a * N + j]!;
      beyond += dirR[a]! * r;
    }
    // Only while a breath is being taken out: without one there is no breath to be beyond.
    this.beyondMinimum.add(t, respiratoryWasOn ? beyond : 0);
    const stayed = this.beyondMinimum.minimum(t, this.o.breathBeyondS);
    this.breathBeyond = stayed > 0 ? stayed : 0;
  }

  private cardiacFoundAt = Number.NaN;
  /** This sample's cardiac phase came from the ECG (the reference is then the R wave, not an extreme). */
  private ecgPhase = false;
  /** Breathing is modelled as proportional to the lab's respiratory amplitude (once it has been seen). */
  private respiratoryRegression = false;
  private lastRegressor = 0;
  /** The respiratory range the regression's coefficients are scaled for (NaN before the first). */
  private regressorRange = Number.NaN;

  /**
   * The regressor is the amplitude over the recent range, and the range moves with the breaths in
   * its window (a sigh doubles it for a minute). Scale the coefficients (and their covariance) with
   * it, so coefficient × regressor, the breath taken out for a given amplitude, stays what it was:
   * the filter need not relearn the breath each time a deep breath enters or leaves the window.
   * (Relearning it cost 0.9 mm of p95 on the training seeds' physiological-signals runs.)
   */
  private followRespiratoryRange(range: number): void {
    const before = this.regressorRange;
    if (range === before) return;
    this.regressorRange = range;
    if (!(before > 0) || !(range > 0)) return;
    const k = range / before, n = this.n, P = this.P;
    for (let a = 0; a < this.dims; a++) {
      const i = a * N + 6;
      this.x[i]! *= k;
      for (let m = 0; m < n; m++) { P[i * n + m]! *= k; P[m * n + i]! *= k; }
    }
  }
  private respiratoryMode: 'end-expiration' | 'end-inspiration' | 'mean' = 'end-expiration';

  /** Which respiratory phase the reference is, for a respiratory amplitude signal. */
  setRespiratoryMode(mode: 'end-expiration' | 'end-inspiration' | 'mean'): void {
    this.respiratoryMode = mode;
  }

  /**
   * The direction the whole heart moves as it breathes, in measurement units per unit of the shared
   * breathing displacement (cranio-caudal in the twin frame; its image in a fluoro view).
   */
  setBreathingAxis(axis: ArrayLike<number>): void {
    let any = false, norm = 0;
    for (let a = 0; a < this.dims; a++) { this.breathingAxis[a] = axis[a]!; if (axis[a] !== 0) any = true; norm += axis[a]! ** 2; }
    this.hasBreathingAxis = any && this.n > this.B;
    norm = Math.sqrt(norm);
    for (let a = 0; a < this.dims; a++) this.breathingUnit[a] = norm > 0 ? axis[a]! / norm : 0;
    this.axisShaped = norm > 0 && this.o.breathingOffAxis < 1;
    if (this.o.learnBreathingAxis && norm > 0 && !this.axisLearner) this.axisLearner = new BreathingAxis(axis);
  }

  /** Learns the breathing axis (learnBreathingAxis, given a first one); null: the axis stays as given. */
  private axisLearner: BreathingAxis | null = null;
  /** The respiratory reference along the learnt axis. */
  private learntReference: Float64Array | null = null;

  /**
   * A learnt breathing axis (unit) for the free-form breath, the respiratory terms' shape, the
   * spectrum's breathing band and the respiratory reference (each keeping its own sense).
   */
  private useBreathingAxis(axis: Float64Array): void {
    let scale = 0;
    for (let a = 0; a < this.dims; a++) scale += this.breathingAxis[a]! ** 2;
    scale = Math.sqrt(scale);
    for (let a = 0; a < this.dims; a++) { this.breathingAxis[a] = scale * axis[a]!; this.breathingUnit[a] = axis[a]!; }
    const ref = this.respiratoryReference;
    if (ref) {
      let dot = 0, norm = 0;
      for (let a = 0; a < this.dims; a++) { dot += ref[a]! * axis[a]!; norm += ref[a]! ** 2; }
      const sense = dot < 0 ? -1 : 1, length = Math.sqrt(norm);
      // Its own copy: the reference given may be shared with other filters.
      const next = (this.learntReference ??= new Float64Array(this.dims));
      for (let a = 0; a < this.dims; a++) next[a] = sense * length * axis[a]!;
      this.respiratoryReference = next;
      const spectrumAxis = this.spectrum.respiratoryAxis;
      if (spectrumAxis) for (let a = 0; a < this.dims; a++) spectrumAxis[a] = sense * axis[a]!;
    }
  }

  /** The breathing rate has been read from the signal (or is given): a breath has been seen. */
  private get breathingRateKnown(): boolean {
    return this.spectrum.respiratoryFound || !this.o.estimateFrequencies;
  }

  /** The breathing axis as a unit vector (zero before one is given). */
  private readonly breathingUnit = new Float64Array(3);
  /** The respiratory terms' covariance is shaped along the breathing axis (see breathingOffAxis). */
  private axisShaped = false;

  /**
   * Respiratory term j's block of P across the dimensions: set to (set) or added (otherwise)
   * scale · (ρ I + (1 − ρ) u uᵀ), u the breathing axis and ρ breathingOffAxis.
   */
  private shapeRespiratory(j: number, scale: number, set: boolean): void {
    const d = this.dims, n = this.n, P = this.P, u = this.breathingUnit, rho = this.o.breathingOffAxis;
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) {
        const v = scale * ((a === b ? rho : 0) + (1 - rho) * u[a]! * u[b]!);
        const i = (a * N + j) * n + b * N + j;
        P[i] = set ? v : P[i]! + v;
      }
    }
  }

  /** An axis was given (and the option is on): the free-form breath has its states and a direction. */
  private hasBreathingAxis = false;

  /** Is the free-form breathing displacement b in use (on, given an axis, and no lab signal to follow instead)? */
  private get sharedBreathing(): boolean {
    return this.hasBreathingAxis && !this.respiratoryRegression;
  }

  /** Switch the respiratory terms to the amplitude regressor: their old meaning (sin, cos) is dropped. */
  private startRespiratoryRegression(): void {
    this.respiratoryRegression = true;
    // The lab's signal replaces the shared breathing state: it is frozen at zero.
    for (let i = this.B; i < this.n; i++) this.resetTerm(i, 0);
    for (let a = 0; a < this.dims; a++) { this.resetTerm(a * N + 6, REGRESSION_PRIOR); this.resetTerm(a * N + 7, 1e-9); }
    if (this.axisShaped) this.shapeRespiratory(6, REGRESSION_PRIOR, true);
    // The signal is back after a loss: start from what was learnt on it (its range is taken up by
    // followRespiratoryRange on the first sample), still as loosely known as at the first start.
    if (this.keptRange > 0) {
      for (let a = 0; a < this.dims; a++) this.x[a * N + 6] = this.keptCoefficient[a]!;
      this.regressorRange = this.keptRange;
    }
  }

  /**
   * Leave the respiratory regression: the respiratory terms are the breath's harmonic again and the
   * free-form breath is back, each as at the start (learnt afresh from the motion). The
   * coefficient learnt on the signal is kept for when it returns (see startRespiratoryRegression).
   */
  private stopRespiratoryRegression(): void {
    this.respiratoryRegression = false;
    for (let a = 0; a < this.dims; a++) this.keptCoefficient[a] = this.x[a * N + 6]!;
    this.keptRange = this.regressorRange;
    this.regressorRange = Number.NaN;
    for (let a = 0; a < this.dims; a++) { this.resetTerm(a * N + 6, TERM_PRIOR); this.resetTerm(a * N + 7, TERM_PRIOR); }
    if (this.axisShaped) for (const j of [6, 7]) this.shapeRespiratory(j, TERM_PRIOR, true);
    if (this.n > this.B) { this.resetTerm(this.B, BREATH_PRIOR); this.resetTerm(this.B + 1, BREATH_RATE_PRIOR); }
    this.lastRegressor = 0;
  }

  /** State i back to zero, known to `variance` and to nothing else (its row and column of P cleared). */
  private resetTerm(i: number, variance: number): void {
    const n = this.n, P = this.P;
    this.x[i] = 0;
    for (let k = 0; k < n; k++) { P[i * n + k] = 0; P[k * n + i] = 0; }
    P[i * n + i] = variance;
  }

  /**
   * The breath the respiratory regression takes out along dimension a per unit of the lab's
   * amplitude (its coefficient is per whole range): NaN before the regression has a range.
   */
  regressionCoefficient(a: number): number {
    return this.x[a * N + 6]! / this.regressorRange;
  }

  /** The regression's coefficient when the signal was lost, and the range it was for (NaN: none). */
  private readonly keptCoefficient = new Float64Array(3);
  private keptRange = Number.NaN;

  /**
   * Has the filter seen the heart's motion long enough to remove it: the rate read from the signal
   * and a few cycles learnt at that rate? Before, its output still swings with the heartbeat.
   */
  settled(t: number): boolean {
    if (!this.o.estimateFrequencies || this.ecgPhase) return true;
    // Nothing swings that would be taken out: nothing to learn, and nothing to wait for.
    if (this.bandAmplitude(2, 6) < SETTLED_FRACTION * this.o.minMotionAmplitude) return true;
    return t - this.cardiacFoundAt >= SETTLE_CYCLES / this.spectrum.cardiacHz;
  }

  /** One scalar measurement z = h·x with variance r (h in this.h). */
  private correct(z: number, r: number): void {
    const n = this.n, P = this.P, h = this.h, ph = this.ph, x = this.x;
    // h has a few non-zero terms (one dimension's block, the shared breath): list them once, in
    // order, so P h costs n × those rather than n² (the sums are the same, term for term).
    const nz = this.nonZero;
    let nnz = 0;
    for (let j = 0; j < n; j++) if (h[j] !== 0) nz[nnz++] = j;
    let s = r, pred = 0;
    for (let i = 0; i < n; i++) {
      let acc = 0;
      const row = i * n;
      for (let k = 0; k < nnz; k++) {
        const j = nz[k]!;
        acc += P[row + j]! * h[j]!;
      }
      ph[i] = acc;
      if (h[i] !== 0) {
        s += h[i]! * acc;
        pred += h[i]! * x[i]!;
      }
    }
    const innovation = z - pred;
    for (let i = 0; i < n; i++) x[i]! += (ph[i]! / s) * innovation;
    // P = P − (P h)(P h)ᵀ / s: symmetric, so each entry above the diagonal is computed once and
    // mirrored (half the multiplications of the whole update, the costliest step per sample; it
    // also keeps P exactly symmetric, where updating both halves let them drift apart by rounding).
    for (let i = 0; i < n; i++) {
      const ki = ph[i]! / s;
      if (ki === 0) continue;
      const row = i * n;
      for (let j = i; j < n; j++) {
        const v = P[row + j]! - ki * ph[j]!;
        P[row + j] = v;
        P[j * n + i] = v;
      }
    }
  }

  private cardiacReference: ArrayLike<number> | null = null;
  private respiratoryReference: ArrayLike<number> | null = null;

  /** The cardiac reference this many cycles after the extreme (a twin reconstructed at a % of RR). */
  private cardiacReferenceOffset = 0;

  /**
   * Directions (in measurement space) along which the reference phases are the extremes; null: the
   * mean phase. `cardiacOffsetCycles`: the reference is that fraction of a cycle after the cardiac
   * extreme (end-diastole), e.g. 0.75 for a twin reconstructed at 75 % of the RR interval.
   */
  setReferences(cardiac: ArrayLike<number> | null, respiratory: ArrayLike<number> | null, cardiacOffsetCycles = 0): void {
    this.cardiacReference = cardiac;
    this.cardiacReferenceOffset = cardiacOffsetCycles;
    this.respiratoryReference = respiratory;
    let norm = 0;
    if (respiratory) for (let a = 0; a < this.dims; a++) norm += respiratory[a]! ** 2;
    this.spectrum.respiratoryAxis = norm > 1e-12 ? Float64Array.from({ length: this.dims }, (_, a) => respiratory![a]! / Math.sqrt(norm)) : null;
  }

  /**
   * Is the measurement, with the estimated motion now taken out and the reference phase's put in,
   * within holdGate of the vessel across it? (Along it the lead moves freely.)
   */
  private withinHoldGate(y: ArrayLike<number>, vessel: VesselConstraint): boolean {
    const bn = this.basisNow, br = this.basisRef;
    this.referenceBasis(br);
    let sq = 0;
    for (const normal of vessel.across) {
      let across = 0;
      for (let a = 0; a < this.dims; a++) {
        let motion = 0;
        for (let j = 2; j < N; j++) motion += (br[j]! - bn[j]!) * this.x[a * N + j]!;
        if (this.sharedBreathing) motion -= this.breathingAxis[a]! * this.x[this.B]!;
        across += normal[a]! * (y[a]! + motion - vessel.point[a]!);
      }
      sq += across * across;
    }
    return sq <= this.o.holdGate ** 2;
  }

  /**
   * Amplitude along a direction of the motion taken out: each band's coefficients projected on it,
   * summed, and the free-form breath's (breathAlong: its axis projected; 0 when it is off).
   */
  private alongAmplitude(along: ArrayLike<number>, cardiacOn: boolean, respiratoryOn: boolean, breathAlong: number): number {
    // (Breathing that follows the lab's own respiratory signal has its shape measured: not counted.)
    return (cardiacOn ? this.bandAlong(along, 2, 6) : 0) + (respiratoryOn && !this.respiratoryRegression ? this.bandAlong(along, 6, N) : 0) + Math.abs(breathAlong) * Math.sqrt(2 * this.breathingMs);
  }

  /** The harmonics [from, to) projected on a direction: √(Σ over terms of (Σ over dimensions along·coefficient)²). */
  private bandAlong(along: ArrayLike<number>, from: number, to: number): number {
    let sum = 0;
    for (let j = from; j < to; j++) {
      let c = 0;
      for (let a = 0; a < this.dims; a++) c += along[a]! * this.x[a * N + j]!;
      sum += c * c;
    }
    return Math.sqrt(sum);
  }

  /**
   * alongSpread: the filter's own standard deviation of the motion taken out along the vessel now
   * (this phase less the reference's), √(J P Jᵀ) with J that motion's derivative by the state, times
   * `scale` (alongSpreadScale; breathSpreadWhenOff for the breath not taken out). (Written to the
   * field: a double returned from a call is a heap allocation.)
   */
  private measureAlongSpread(along: ArrayLike<number>, cardiacOn: boolean, respiratoryOn: boolean, breathAlong: number, scale: number): void {
    const n = this.n, J = this.ph, bn = this.basisNow, br = this.basisRef; // ph: correct()'s scratch, free here
    J.fill(0);
    for (let a = 0; a < this.dims; a++) {
      if (cardiacOn) for (let j = 2; j < 6; j++) J[a * N + j] = along[a]! * (bn[j]! - br[j]!);
      if (respiratoryOn) for (let j = 6; j < N; j++) J[a * N + j] = along[a]! * (bn[j]! - br[j]!);
    }
    if (breathAlong !== 0) J[this.B] = breathAlong;
    // Over J's non-zero terms only (a zero term adds nothing: the same sums, bit for bit).
    const nz = this.nonZero, P = this.P;
    let count = 0;
    for (let i = 0; i < n; i++) if (J[i] !== 0) nz[count++] = i;
    let v = 0;
    for (let a = 0; a < count; a++) {
      const i = nz[a]!, row = i * n;
      let acc = 0;
      for (let b = 0; b < count; b++) { const k = nz[b]!; acc += P[row + k]! * J[k]!; }
      v += J[i]! * acc;
    }
    this.alongSpread = scale * Math.sqrt(Math.max(0, v));
  }

  /** Amplitude of the harmonics [from, to) of the state: √(Σ over dimensions and terms of the coefficients²). */
  private bandAmplitude(from: number, to: number): number {
    let sum = 0;
    for (let a = 0; a < this.dims; a++) for (let j = from; j < to; j++) sum += this.x[a * N + j]! ** 2;
    return Math.sqrt(sum);
  }

  /**
   * Is the band's fitted motion the heart's (or the breath's)? Once its rate is read from the
   * signal, when it is at least minMotionAmplitude; before, only when plainly larger and well
   * determined (a fit from less than a cycle, at an assumed rate, is mostly the catheter's start).
   */
  private motionShown(from: number, to: number, rateFound: boolean, wasOn: boolean): boolean {
    const amplitude = this.bandAmplitude(from, to);
    const hold = wasOn ? HOLD_ON : 1;
    if (rateFound) return amplitude >= this.o.minMotionAmplitude * hold;
    // Within the first cycle at the assumed rate, only a motion no larger than the tip has shown (unfoundWaitCycles).
    if (!wasOn && this.lastT - this.startedAt < this.o.unfoundWaitCycles / (from === 2 ? this.spectrum.cardiacHz : this.spectrum.respiratoryHz)) {
      const allowed = this.o.unfoundEarlyShare > 0 ? this.o.unfoundEarlyShare * this.seenHalfExtent() : 0;
      if (amplitude > allowed) return false;
    }
    return amplitude >= this.o.minMotionAmplitude * UNFOUND_FACTOR * hold && this.significant(from, to, hold);
  }
  /** Since when each motion has been taken out without a break (NaN: it is not; see HOLD_ON). */
  private cardiacOnSince = Number.NaN;
  private respiratoryOnSince = Number.NaN;
  private breathingOnSince = Number.NaN;

  /** Is the band's fitted motion larger than motionSignificance × its own uncertainty? */
  private significant(from: number, to: number, hold = 1): boolean {
    let sum = 0, variance = 0;
    for (let a = 0; a < this.dims; a++) {
      for (let j = from; j < to; j++) {
        const i = a * N + j;
        sum += this.x[i]! ** 2;
        variance += this.P[i * this.n + i]!;
      }
    }
    return sum >= (this.o.motionSignificance * hold) ** 2 * variance;
  }

  /** Current cardiac/respiratory frequencies and motion amplitude (for diagnostics). */
  motionAmplitude(): number {
    let sum = 0;
    for (let a = 0; a < this.dims; a++) for (let i = 2; i < N; i++) sum += this.x[a * N + i]! ** 2;
    return Math.sqrt(sum);
  }

  /**
   * The basis at the reference phases, written into out[2..7] (zero where there is no reference):
   * H(φ_ref) = Σ out_j · coefficient_j.
   */
  private referenceBasis(out: Float64Array): void {
    const d = this.dims, x = this.x;
    out.fill(0);
    const dirC = this.cardiacReference, dirR = this.respiratoryReference;
    if (dirC && this.ecgPhase) {
      // With the ECG the reference is known outright: the R wave (end-diastole), or a % of RR after it.
      const k = Math.round(this.cardiacReferenceOffset * PHASES) % PHASES;
      out[2] = SIN[k]!; out[3] = COS[k]!; out[4] = SIN2[k]!; out[5] = COS2[k]!;
    } else if (dirC) {
      // Cardiac: the phase where the waveform reaches furthest along the reference direction.
      // The waveform along the direction: each harmonic coefficient projected on it first.
      let ps = 0, pc = 0, ps2 = 0, pc2 = 0;
      for (let a = 0; a < d; a++) {
        const w = dirC[a]!;
        ps += w * x[a * N + 2]!; pc += w * x[a * N + 3]!; ps2 += w * x[a * N + 4]!; pc2 += w * x[a * N + 5]!;
      }
      let best = 0, bestV = -Infinity;
      for (let k = 0; k < PHASES; k++) {
        const v = ps * SIN[k]! + pc * COS[k]! + ps2 * SIN2[k]! + pc2 * COS2[k]!;
        if (v > bestV) { bestV = v; best = k; }
      }
      best = (best + Math.round(this.cardiacReferenceOffset * PHASES)) % PHASES;
      out[2] = SIN[best]!; out[3] = COS[best]!; out[4] = SIN2[best]!; out[5] = COS2[best]!;
    }
    if (this.respiratoryRegression) {
      // The regressor is measured from the reference phase: there the breathing term is zero.
    } else if (dirR) {
      // Respiratory (one harmonic): the extreme along the direction is amplitude-weighted, in closed form.
      let ua = 0, ub = 0;
      for (let a = 0; a < d; a++) { ua += dirR[a]! * x[a * N + 6]!; ub += dirR[a]! * x[a * N + 7]!; }
      const norm = hypot2(ua, ub);
      if (norm > 0) { out[6] = ua / norm; out[7] = ub / norm; }
    }
  }

  /** m + H(φ_ref): the catheter where the twin's (reference-phase) geometry has it. */
  private atReference(out: Float64Array | number[], cardiacOn = true, respiratoryOn = true): void {
    const br = this.basisRef;
    this.referenceBasis(br);
    for (let a = 0; a < this.dims; a++) {
      let v = this.x[a * N]!;
      if (cardiacOn) for (let j = 2; j < 6; j++) v += br[j]! * this.x[a * N + j]!;
      if (respiratoryOn) for (let j = 6; j < N; j++) v += br[j]! * this.x[a * N + j]!;
      out[a] = v;
    }
  }

  /** Time update over dt: position += velocity·dt, phases advance, noise added. */
  private predict(dt: number): void {
    const P = this.P, n = this.n, d = this.dims, x = this.x;
    const gap = dt > this.o.gapS;
    if (dt > 0) {
      for (let a = 0; a < d; a++) x[a * N]! += dt * x[a * N + 1]!;
      // P ← F P Fᵀ with F = I + dt·(velocity → position): rows, then columns.
      for (let a = 0; a < d; a++) {
        const p = a * N * n, v = (a * N + 1) * n;
        for (let j = 0; j < n; j++) P[p + j]! += dt * P[v + j]!;
      }
      for (let a = 0; a < d; a++) {
        const p = a * N, v = a * N + 1;
        for (let i = 0; i < n; i++) P[i * n + p]! += dt * P[i * n + v]!;
      }
      // Catheter acceleration (white noise, the same in every direction: held along the vessel's
      // direction only, the filter did worse on the standard scenarios).
      const q = this.o.accelerationDensity;
      for (let a = 0; a < d; a++) {
        const p = a * N;
        P[p * n + p]! += (q * dt ** 3) / 3;
        P[p * n + p + 1]! += (q * dt ** 2) / 2;
        P[(p + 1) * n + p]! += (q * dt ** 2) / 2;
        P[(p + 1) * n + p + 1]! += q * dt;
      }
      // Until the breathing rate is read from the signal, the assumed one can be well off: the
      // respiratory terms must then be free to turn (a phase slipping at the rate's error).
      const respiratoryDrift = this.breathingRateKnown ? this.o.respiratoryDrift : this.o.respiratoryDriftUnsettled;
      for (let a = 0; a < d; a++) {
        for (let i = 2; i < 6; i++) P[(a * N + i) * n + a * N + i]! += this.o.amplitudeDrift * dt;
        if (!this.axisShaped) for (let i = 6; i < N; i++) P[(a * N + i) * n + a * N + i]! += respiratoryDrift * dt;
      }
      if (this.axisShaped) for (let i = 6; i < N; i++) this.shapeRespiratory(i, respiratoryDrift * dt, false);
      if (this.sharedBreathing) this.predictBreathing(dt);
      this.phaseC = (this.phaseC + 2 * Math.PI * this.spectrum.cardiacHz * dt) % (2 * Math.PI);
      this.phaseR = (this.phaseR + 2 * Math.PI * this.spectrum.respiratoryHz * dt) % (2 * Math.PI);
    }
    if (gap) {
      // After a dropout the catheter may have moved: let position and velocity be relearnt.
      for (let a = 0; a < d; a++) {
        const p = a * N;
        P[p * n + p]! += 25;
        P[(p + 1) * n + p + 1]! += 100;
      }
    }
  }

  /**
   * Shared breathing over dt: b += ḃ·dt, ḃ forgets itself (breathing goes back and forth), with
   * white acceleration noise. F = [[1, dt], [0, φ]] on (b, ḃ).
   */
  private predictBreathing(dt: number): void {
    const P = this.P, n = this.n, x = this.x, B = this.B, V = B + 1;
    const phi = Math.exp(-dt / this.o.breathingVelocityS);
    const rho = Math.exp(-dt / this.o.breathingReturnS);
    x[B] = rho * x[B]! + dt * x[V]!;
    x[V]! *= phi;
    // Rows: row B = ρ·row B + dt·row V; row V *= φ. Then the same for the columns.
    for (let j = 0; j < n; j++) { P[B * n + j] = rho * P[B * n + j]! + dt * P[V * n + j]!; P[V * n + j]! *= phi; }
    for (let i = 0; i < n; i++) { P[i * n + B] = rho * P[i * n + B]! + dt * P[i * n + V]!; P[i * n + V]! *= phi; }
    const q = this.o.breathingAcceleration;
    P[B * n + B]! += (q * dt ** 3) / 3;
    P[B * n + V]! += (q * dt ** 2) / 2;
    P[V * n + B]! += (q * dt ** 2) / 2;
    P[V * n + V]! += q * dt;
  }
}
