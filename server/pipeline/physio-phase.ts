// The heart's and the breath's phase as the lab's own systems measure them, when they send them:
// ECG R waves (each one end-diastole) and a respiratory amplitude (a belt, impedance pneumography).
// With R waves the cardiac phase is known beat by beat (an irregular rhythm, an ectopic beat and
// its pause included) instead of being inferred from the tip's motion; with a respiratory amplitude
// the breathing motion is modelled as proportional to it, whatever the breath's shape, depth and
// period. Pure: all time comes from the signals' own timestamps (the feed's clock).

/** An R wave older than this many RR intervals no longer tells the phase (the ECG stopped). */
const STALE_BEATS = 2.5;
/** A respiratory amplitude older than this (s) is not used. */
const RESPIRATION_STALE_S = 0.5;
/** No respiratory amplitude for this long (s): the signal is lost (a belt unplugged, the link down). */
const RESPIRATION_LOST_S = 1;
/** The respiratory range (min to max) is read over this long, s. */
const RESPIRATION_WINDOW_S = 60;
/**
 * The regression starts once the amplitude has been seen this long (s). A filter follows the range
 * as it grows (MotionFilter.followRespiratoryRange), so a first range from part of a breath costs
 * little; it was 5 s before that was so, and until then no breath was taken out. Chosen on
 * training seeds 1–4 and validation seeds 26–33 (physiological-signals, EAM and biplane, both
 * hearts; p95 mean over seeds): 5 s 2.29 / 2.77 / 2.53 / 2.59 mm, 2 s 2.11 / 2.28 / 2.33 / 2.26;
 * 1 s was as good on the training seeds but lost the lead on one validation seed (p95 11 mm: a
 * coefficient learnt from the first second's rise while the lead was pushed took up the push); a
 * start once the amplitude had turned after its first peak, 2.50 / 2.69 / 2.47 / 2.53.
 */
const RESPIRATION_FIRST_S = 2;
/** Plausible RR intervals, s (20–240 bpm). */
const RR_MIN_S = 0.25;
const RR_MAX_S = 3;
/** The usual RR interval is the median of this many. */
const RR_KEPT = 5;
/** Scratch for that median (derived on each R wave, not state: not in a checkpoint). */
const sortedIntervals = new Float64Array(RR_KEPT);

export class PhysioPhase {
  /** The last few R waves, oldest first. */
  private readonly rWaves: number[] = [];
  private rr = Number.NaN;
  /** The last RR_KEPT plausible RR intervals (a ring), and how many have been seen. */
  private readonly intervals = new Float64Array(RR_KEPT);
  private intervalCount = 0;
  private amplitudeT = Number.NaN;
  private amplitude = Number.NaN;
  /** Respiratory amplitudes kept for the range: [t, value] pairs, oldest first (decimated to ~10 Hz). */
  private readonly history: number[] = [];
  private min = Number.NaN;
  private max = Number.NaN;
  private mean = Number.NaN;

  get hasEcg(): boolean {
    return !Number.isNaN(this.rr);
  }

  get cardiacHz(): number {
    return 1 / this.rr;
  }

  rWave(t: number): void {
    const last = this.rWaves[this.rWaves.length - 1];
    if (last !== undefined && t <= last) return; // out of order or repeated: the newer one stands
    if (last !== undefined) {
      const d = t - last;
      if (d >= RR_MIN_S && d <= RR_MAX_S) this.rr = this.normalRr(d);
    }
    this.rWaves.push(t);
    if (this.rWaves.length > 4) this.rWaves.shift();
  }

  /**
   * The usual RR interval: the median of the last RR_KEPT. An ectopic beat's short interval and the
   * compensatory pause after it pull a running mean one way and then the other (by 8 % and back
   * for a beat at 60 % of the RR), which puts every normal beat after them out of phase; the median
   * does not move for them. (Validation seeds, physiological-signals: p95 0.03–0.16 mm lower.)
   */
  private normalRr(interval: number): number {
    const kept = this.intervals;
    kept[this.intervalCount % RR_KEPT] = interval;
    this.intervalCount++;
    const n = Math.min(this.intervalCount, RR_KEPT), sorted = sortedIntervals;
    for (let i = 0; i < n; i++) {
      // Insertion into the sorted prefix: five numbers.
      let j = i;
      while (j > 0 && sorted[j - 1]! > kept[i]!) { sorted[j] = sorted[j - 1]!; j--; }
      sorted[j] = kept[i]!;
    }
    return sorted[n >> 1]!;
  }

  /**
   * The cardiac phase at t as a fraction of the beat since the R wave before it (0 = end-diastole),
   * or NaN without a recent ECG. Within a beat longer than usual (a compensatory pause) the
   * fraction stops just short of 1 (diastole goes on) instead of starting a beat that is not there.
   */
  cardiacFraction(t: number): number {
    if (Number.isNaN(this.rr)) return Number.NaN;
    let r = Number.NaN;
    for (let k = this.rWaves.length - 1; k >= 0; k--) {
      if (this.rWaves[k]! <= t) { r = this.rWaves[k]!; break; }
    }
    if (Number.isNaN(r) || t - r > STALE_BEATS * this.rr) return Number.NaN;
    return Math.min(0.999, (t - r) / this.rr);
  }

  respiration(t: number, amplitude: number): void {
    if (!Number.isNaN(this.amplitudeT) && t < this.amplitudeT) return;
    this.amplitudeT = t;
    this.amplitude = amplitude;
    const h = this.history;
    if (h.length === 0 || t - h[h.length - 2]! >= 0.1) h.push(t, amplitude);
    while (h.length > 2 && t - h[0]! > RESPIRATION_WINDOW_S) h.splice(0, 2);
    let min = Infinity, max = -Infinity, sum = 0;
    for (let i = 1; i < h.length; i += 2) {
      min = Math.min(min, h[i]!);
      max = Math.max(max, h[i]!);
      sum += h[i]!;
    }
    this.min = min;
    this.max = max;
    this.mean = sum / (h.length / 2);
  }

  /**
   * The range (min to max) the regressor is scaled by now. It changes as deeper or shallower
   * breaths come into and leave the window (a sigh doubles it for a minute): a filter regressing on
   * the amplitude rescales its coefficient by the same factor, so that the breath it takes out for
   * a given amplitude does not change with it (see MotionFilter.followRespiratoryRange).
   */
  get respiratoryRange(): number {
    return this.max - this.min;
  }

  /** Had a respiratory signal, and none for RESPIRATION_LOST_S before t. */
  respirationLost(t: number): boolean {
    return t - this.amplitudeT > RESPIRATION_LOST_S;
  }

  /**
   * The respiratory amplitude at t relative to the reference phase, scaled so that a whole breath's
   * range is 1; NaN without a recent signal or before the amplitude has been seen RESPIRATION_FIRST_S.
   */
  respiratoryRegressor(t: number, reference: 'end-expiration' | 'end-inspiration' | 'mean'): number {
    if (Number.isNaN(this.amplitudeT) || t - this.amplitudeT > RESPIRATION_STALE_S || t < this.amplitudeT - RESPIRATION_STALE_S) return Number.NaN;
    const range = this.max - this.min;
    if (!(range > 0) || this.amplitudeT - this.history[0]! < RESPIRATION_FIRST_S) return Number.NaN;
    const ref = reference === 'end-expiration' ? this.min : reference === 'end-inspiration' ? this.max : this.mean;
    return (this.amplitude - ref) / range;
  }
}
