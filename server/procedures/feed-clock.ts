// A feed's clock and numbering as the procedure sees them, checked at the edge before anything is
// recorded or computed. A feed's clock may start anywhere, but it moves forward with the time that
// passes: from one sample to the next, its time may run ahead of the server's own clock by at most
// maxFeedClockJumpS (a corrupt or hostile time, years ahead, is refused and counted), and step back
// by at most maxFeedClockStepBackS (reordering is far less). A sample that runs ahead by more than
// a second is held until the next one confirms it (a feed resuming after a pause) or contradicts
// it (a corrupt time: dropped), so one bad time never becomes the reference the others are judged
// by; a held sample the feed does not follow within a quarter second is released as confirmed. A feed whose clock or numbering restarts says so
// with a `reset`; a feed that cannot (OpenIGTLink has no such message) is re-anchored once a few
// samples in a row agree on the new clock. Either way the procedure keeps its own time and seq
// running forward, so the pipeline, its recording and its replay see one monotonic stream.

import { TwinguideError, type ClockReset, type FeedSample, type Limits } from '../../protocol/index.ts';

/** A seq this far behind the newest, with time running forward, is a wrap or restart, not reordering. */
const SEQ_RESTART_MARGIN = 1024;
/** Refused samples that agree with each other on a new clock before the feed is re-anchored to it. */
export const REANCHOR_AFTER = 5;
/** A step this much further than the server's clock moved is held until the next sample confirms it. */
const CONFIRM_AHEAD_S = 1;
/** A held sample with no sample after it for this long is taken as confirmed. */
const CONFIRM_WAIT_S = 0.25;

export type ClockLimits = Pick<Limits, 'maxFeedClockJumpS' | 'maxFeedClockStepBackS' | 'maxFeedRateHz'>;

export class FeedClock {
  anchored = false;
  /** Newest sample time and seq admitted, in the feed's own clock, and when (server clock, s). */
  private newestT = 0;
  private newestSeq = 0;
  private newestAtS = 0;
  /** Added to the feed's t and seq to give the procedure's. */
  private tOffset = 0;
  private seqOffset = 0;
  /** The newest t and seq handed to the procedure (its clock). */
  private procedureT = 0;
  private procedureSeq = -1;
  /** Consecutive refused samples that agree with each other: a new clock, if enough of them. */
  private streak: { t: number; seq: number; atS: number; count: number } | null = null;
  resets = 0;
  reanchors = 0;
  /**
   * How many seconds of the feed's time pass per second of the server's: 1 for a live device;
   * a simulator or replay run faster sets its speed.
   */
  speed = 1;

  constructor(private readonly limits: ClockLimits) {}

  /** A sample running ahead of the server's clock, waiting for the next to confirm it. */
  private held: { sample: FeedSample; atS: number } | null = null;
  /** Held samples the next sample contradicted (a corrupt time), dropped. */
  contradicted = 0;

  /**
   * The samples to pass on, in the procedure's clock, given this one and the server's clock now
   * (s): none while this one is held, two when it confirms a held one. Throws TG_ERR_CLOCK_JUMP
   * when its time or seq is implausible. `reanchored` is set when it moved the feed to a new clock.
   */
  admit(sample: FeedSample, nowS: number): { samples: FeedSample[]; reanchored: boolean } {
    if (!this.anchored) {
      this.anchor(sample.t, sample.seq, nowS, 0);
      if (this.resumed) {
        if (sample.t <= this.procedureT) this.tOffset = this.procedureT + Math.max(0.001, nowS - this.resumed.atS) * this.speed - sample.t;
        if (sample.seq <= this.procedureSeq) this.seqOffset = this.procedureSeq + 1 - sample.seq;
        this.resumed = null;
      }
      return { samples: [this.accept(sample, nowS)], reanchored: false };
    }
    const out: FeedSample[] = [];
    if (this.held) {
      const held = this.held;
      this.held = null;
      if (this.implausible(sample, held.sample.t, held.sample.seq, held.atS, nowS) === null && sample.t >= held.sample.t) out.push(this.accept(held.sample, held.atS));
      else this.contradicted++;
    }
    let reanchored = false;
    const problem = this.implausible(sample, this.newestT, this.newestSeq, this.newestAtS, nowS);
    if (problem) {
      if (!this.continuesStreak(sample, nowS)) {
        if (out.length > 0) return { samples: out, reanchored }; // the held one was confirmed; this one is not
        throw new TwinguideError('TG_ERR_CLOCK_JUMP', `${problem}. Send a 'reset' if the feed's clock restarted`);
      }
      // Enough samples agree on another clock: the feed restarted without saying so.
      this.reanchors++;
      this.anchor(sample.t, sample.seq, nowS, Math.max(0.001, nowS - this.newestAtS) * this.speed);
      reanchored = true;
    } else if (sample.t - this.newestT - Math.max(0, nowS - this.newestAtS) * this.speed > CONFIRM_AHEAD_S) {
      this.streak = null;
      this.held = { sample, atS: nowS };
      return { samples: out, reanchored };
    }
    out.push(this.accept(sample, nowS));
    return { samples: out, reanchored };
  }

  /**
   * A physiological signal's time (an R wave, a respiratory amplitude) in the procedure's clock:
   * judged against the feed's samples, without a seq. Throws TG_ERR_CLOCK_JUMP when implausible;
   * before the first sample there is nothing to map it to, and it is refused the same way.
   */
  admitSignal(t: number, nowS: number): number {
    if (!this.anchored) throw new TwinguideError('TG_ERR_CLOCK_JUMP', 'a physiological signal before the first sample: the feed clock is not known yet');
    const elapsedS = Math.max(0, nowS - this.newestAtS) * this.speed;
    const dt = t - this.newestT;
    if (dt - elapsedS > this.limits.maxFeedClockJumpS || -dt > this.limits.maxFeedClockStepBackS) {
      throw new TwinguideError('TG_ERR_CLOCK_JUMP', `signal time ${t} s is ${dt.toPrecision(4)} s from the feed's newest sample (${this.newestT} s); the limits are +${this.limits.maxFeedClockJumpS} s beyond the time passed and −${this.limits.maxFeedClockStepBackS} s`);
    }
    return t + this.tOffset;
  }

  /** A held sample that nothing followed for a while: the feed resumed and paused again. */
  releaseHeld(nowS: number): FeedSample | null {
    if (!this.held || nowS - this.held.atS < CONFIRM_WAIT_S) return null;
    const held = this.held;
    this.held = null;
    return this.accept(held.sample, held.atS);
  }

  private accept(sample: FeedSample, nowS: number): FeedSample {
    this.streak = null;
    const dt = sample.t - this.newestT;
    const dSeq = sample.seq - this.newestSeq;
    if (dSeq < -SEQ_RESTART_MARGIN && dt >= 0) {
      // The numbering wrapped or restarted while time ran on: carry on after the newest seq.
      this.seqOffset = this.procedureSeq + 1 - sample.seq;
      this.newestSeq = sample.seq;
    }
    if (dt > 0) {
      this.newestT = sample.t;
      this.newestAtS = nowS;
    }
    if (sample.seq > this.newestSeq) this.newestSeq = sample.seq;
    const t = sample.t + this.tOffset;
    const seq = sample.seq + this.seqOffset;
    if (t > this.procedureT) this.procedureT = t;
    if (seq > this.procedureSeq) this.procedureSeq = seq;
    return this.tOffset === 0 && this.seqOffset === 0 ? sample : { ...sample, t, seq };
  }

  /**
   * The feed restarted its clock or numbering: the next samples continue from `reset`. The
   * procedure's time goes on from its newest by the time the feed was quiet (server clock: the
   * feed's own cannot tell across a restart).
   */
  reset(reset: ClockReset, nowS: number): void {
    this.resets++;
    this.streak = null;
    this.held = null;
    this.anchor(reset.t, reset.seq, nowS, this.anchored ? Math.max(0.001, nowS - this.newestAtS) * this.speed : 0);
  }

  /** Why `sample` cannot follow the reference (t, seq seen at atS), or null when it can. */
  private implausible(sample: FeedSample, t: number, seq: number, atS: number, nowS: number): string | null {
    const dt = sample.t - t;
    const elapsedS = Math.max(0, nowS - atS) * this.speed;
    if (dt - elapsedS > this.limits.maxFeedClockJumpS) {
      return `sample time ${sample.t} s is ${dt.toPrecision(4)} s after the feed's newest (${t} s) but only ${elapsedS.toPrecision(3)} s have passed; a feed's time may run ahead by at most ${this.limits.maxFeedClockJumpS} s`;
    }
    if (-dt > this.limits.maxFeedClockStepBackS) {
      return `sample time ${sample.t} s is ${(-dt).toPrecision(4)} s before the feed's newest (${t} s); the limit is ${this.limits.maxFeedClockStepBackS} s`;
    }
    // A feed cannot have sent more samples than its rate allows in the time that passed.
    const dSeq = sample.seq - seq;
    const plausibleSeqs = Math.max(dt, elapsedS, 0) * this.limits.maxFeedRateHz + SEQ_RESTART_MARGIN;
    if (dSeq > plausibleSeqs) {
      return `seq ${sample.seq} is ${dSeq} after the feed's newest (${seq}) within ${Math.max(dt, elapsedS, 0).toPrecision(3)} s; at most ${Math.floor(plausibleSeqs)} samples are possible`;
    }
    return null;
  }

  /** Does this refused sample agree with the ones refused just before it? True once REANCHOR_AFTER do. */
  private continuesStreak(sample: FeedSample, nowS: number): boolean {
    const s = this.streak;
    const agrees = s !== null && sample.t > s.t && this.implausible(sample, s.t, s.seq, s.atS, nowS) === null && sample.seq > s.seq;
    this.streak = { t: sample.t, seq: sample.seq, atS: nowS, count: agrees ? s!.count + 1 : 1 };
    return this.streak.count >= REANCHOR_AFTER;
  }

  /** Set when the procedure was resumed after a crash: its newest time and seq before it. */
  private resumed: { atS: number } | null = null;

  /**
   * The procedure was rebuilt after a crash with its time at `t` and seq at `seq`. The feed that
   * reconnects either kept its clock running (its samples come later than `t`: taken as they are)
   * or restarted it (they come earlier: re-anchored so the procedure's time runs on).
   */
  resumeAt(t: number, seq: number, nowS: number): void {
    this.procedureT = t;
    this.procedureSeq = seq;
    this.resumed = { atS: nowS };
  }

  private anchor(t: number, seq: number, nowS: number, gapS: number): void {
    if (this.anchored) {
      this.tOffset = this.procedureT + gapS - t;
      this.seqOffset = this.procedureSeq + 1 - seq;
    }
    this.anchored = true;
    this.newestT = t;
    this.newestSeq = seq;
    this.newestAtS = nowS;
  }
}
