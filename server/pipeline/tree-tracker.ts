// Where on the vein tree is the tip? An online hidden Markov model over centreline segments
// (map-matching in the manner of Newson & Krumm): candidate states are the segments near the
// observation; the emission score falls with the distance from the observation to the segment; the
// transition score compares the along-tree distance between consecutive states with the distance
// the observation moved, so a lead cannot jump between neighbouring veins without passing their
// junction. A forward max-product (Viterbi) recursion keeps the best score per candidate. A change of
// branch is reported only once the best state has stayed on the new branch for a fixed decision lag,
// so nothing flickers at a junction. Observations are points (EAM, biplane fluoro) or rays (one
// fluoro view: the tip is where the ray crosses a vein tube, chosen by continuity; the lead's own vein
// stays a candidate when the ray just misses it).

import { newCentrelinePoint, type CentrelinePoint } from '../twin/centreline-index.ts';
import type { Twin } from '../twin/twin.ts';
import { CRANIAL } from '../twin/heart-axes.ts';
import { branchDirection, pointOnBranch, radiusAt, renamesAt, segmentAxes, treeAncestry, type TreeAncestry } from '../twin/vein-tree.ts';
import { hypot3 } from '../geometry/hypot.ts';

export interface TrackerOptions {
  /** Spread of the observation around the centreline after motion compensation, mm. */
  emissionSigmaMm: number;
  /** Candidate segments within this distance of the observation. */
  candidateRadiusMm: number;
  maxCandidates: number;
  /** Scale of the transition penalty, mm (|along-tree move − observed move| / β). */
  transitionBetaMm: number;
  /** The same for ray observations (single-plane fluoro), which carry no measure of the movement. */
  rayTransitionBetaMm: number;
  /** Emission spread for a ray's miss distance to a centreline (two dimensions of error, not three). */
  rayEmissionSigmaMm: number;
  /**
   * A ray's miss beyond this many rayEmissionSigmaMm costs linearly, not quadratically (a Huber
   * loss; 0: Gaussian throughout). In one view the motion left in the image carries the ray off the
   * lead's vein for a breath by 5–10 mm, while a vein elsewhere in depth happens to lie on it: a
   * Gaussian miss made each such frame worth 20–40 log units to the wrong vein, enough to take the
   * place there (the independent client's own C-arm view, second heart: 72–97 mm off for up to 11
   * s, in 3 of 8 walks; this alone did not stop those). Training seeds 1–6, single plane, pooled
   * p95 6.10 → 6.07 mm (demo), 8.81 → 8.51 (second heart), branch 0.963 → 0.964, 0.981 → 0.983
   * (2: 6.09, 8.69; 3: 6.08, 8.73); validation seeds 7–10, 26–29: 7.00 → 6.91 and 9.97 → 9.50 mm,
   * branch 0.955 → 0.956 and 0.978 → 0.980, instructions −0.001 / +0.001; EAM and biplane untouched.
   */
  rayEmissionRobustSigmas: number;
  /**
   * One view sees no depth: the ray through the lead may also cross a vein far in front of it or
   * behind it, and while motion left in the image carries the ray off the lead's own vein (a breath
   * the view filters have not learnt), that far crossing fits better frame after frame and wins,
   * though the lead cannot get there between two frames. So a path begun by a restart (no state it
   * could come from: RAY_RESTART) is not shown until the path the tracker has followed all along
   * has failed to explain the view for this long (s) on end; until then that path's place is shown,
   * with the confidence of a held place. Whenever the established path explains the view again
   * as well as the newcomer (within rayEmissionSigmaMm), the newcomer pays its restart again: what it
   * gained was the motion's, not the lead's. The first ray's crossings far along the tree are
   * newcomers too (see step). 0: off. (Found by the independent client through one
   * C-arm view of its own, second heart, breath, dev seed 1: 75–97 mm off in depth for up to 3 s,
   * WITHDRAW shown at confidence 0.35–0.45; with this, its worst walk 91.4 → 5.3 mm. Training seeds
   * 1–6, single plane: pooled p95 6.07 → 6.05 mm (demo), 8.51 → 8.15 (second heart), branch 0.964 →
   * 0.964, 0.983 → 0.986; 2 s and 5 s within ±0.01 mm of 3 s; EAM and biplane untouched.)
   */
  rayRestartConfirmS: number;
  /**
   * One view's place swinging along its vein: the along smoother's residual (as EAM's motion
   * spread along the vessel, see alongSpread) beyond this RMS (mm) counts, times raySwingWeight,
   * in the chance that the place is within RIGHT_WITHIN_MM. Where a vein runs toward the beam or
   * the ray crosses two veins, the place can walk 10–45 mm along the tree from frame to frame
   * while every crossing fits; a swing that large says the place is not known, whatever the
   * fit. Below the floor the view's own noise along a foreshortened vein swings it too, and that
   * place is as right as any. 0 weight: off. (bench/sure-and-wrong.bench.ts, single plane,
   * `standard`, `physiological`, `variable-breathing`, `push-pause`, second heart: a wrong
   * instruction shown on 1.00 → 0.37 % of the samples of training seeds 1–4, an instruction shown
   * on 94.2 → 90.6 %; validation seeds 7–10, 26–29: 0.95 → 0.40 %, 94.3 → 90.9 %; the demo's
   * within 0.01 points. Floors of 5–10 mm withheld 0.6–1.5 points more of the instructions for
   * 0.02–0.06 points fewer wrong ones: the floor chosen on training seeds 1–4.)
   */
  raySwingFloorMm: number;
  raySwingWeight: number;
  /** Extra penalty (log units) for a transition between branches. */
  branchChangePenalty: number;
  /** A branch change is reported after the best state has kept it this long (s). */
  decisionLagS: number;
  /**
   * A sensor spike this soon (s) after the last observation taken keeps the place's claim (up to
   * 0.75, never sure): the place shown is where the lead was a sample ago. Later (spikes in a row)
   * it is capped as a held place. (At 2 % spikes the display's
   * LOW CONFIDENCE banner flashed for one sample at every spike: 190–210 times a minute.)
   */
  spikeGraceS: number;
  /** At the start, states far along the tree from the ostium are less likely (mm scale). */
  startPriorMm: number;
  /** The branch-change penalty is this many times larger while motion compensation is unsettled. */
  unsettledPenaltyFactor: number;
  /**
   * How far observations have lately strayed from the centreline (an RMS over spreadTauS) says
   * how well motion was taken out: confidence falls as exp(−spread² / 2·spreadScaleMm²).
   */
  spreadScaleMm: number;
  /** The spread measurement noise alone gives (RMS, mm): below it, no confidence is lost. */
  spreadFloorMm: number;
  spreadTauS: number;
  /** One fluoroscopic view cannot see depth: a ray observation's confidence never exceeds this. */
  rayMaxConfidence: number;
  /** breathFloorMm times this counts as spread (an offset the data do not explain). */
  breathFloorConfidence: number;
  /**
   * A breath not yet watched (mm, 1 SD, cranio-caudal): until motion compensation has watched for
   * two breaths at rest, a still tip is no evidence that nothing breathes (the end-expiratory pause
   * looks still), and the first inspiration moves the heart caudally by 4.9 ± 1.9 mm (Shechter et
   * al.: see CRANIAL_SPREAD), along a vein as far as the vein runs cranio-caudally over the
   * breath's reach: read as a push along it. It counts in the confidence for WATCH_S, fading out
   * over WATCH_FADE_S.
   * (Found by an independent client, `bench:independent`: on the second heart's trunk the first
   * breath after a quiet start was shown up to 10 mm off at confidence 0.9–1.0.)
   */
  unwatchedBreathMm: number;
  /**
   * While motion compensation has not learnt the heartbeat (unsettled), the tip still swings with
   * it, 5–10 mm peak to peak at the coronary sinus: a spread (mm, 1 SD, any direction) that counts
   * in the confidence, along the vein and in telling two veins side by side apart. (Found by the
   * independent client: in the first second, the demo twin's coronary sinus shown as the middle
   * cardiac vein beside it at confidence ≥ 0.8.)
   */
  unsettledHeartMm: number;
  /**
   * How the place fits the veins (near its vein at all; no other vein about as near) counts in the
   * confidence smoothed over this time constant (s), not sample by sample: the place is the
   * smoother's, and one noisy observation does not make it less right. Sample by sample, the
   * heartbeat's swing and the noise turned the display's LOW CONFIDENCE on and off 120–200 times a
   * minute in motion (`bench:sure-and-wrong` counts it).
   */
  fitTauS: number;
}

export const DEFAULT_TRACKER_OPTIONS: TrackerOptions = {
  emissionSigmaMm: 1.5,
  candidateRadiusMm: 10,
  maxCandidates: 16,
  transitionBetaMm: 1.2,
  rayTransitionBetaMm: 6,
  rayEmissionSigmaMm: 1.1,
  rayEmissionRobustSigmas: 1.5,
  rayRestartConfirmS: 3,
  raySwingFloorMm: 12,
  raySwingWeight: 3,
  branchChangePenalty: 1,
  decisionLagS: 0.05,
  spikeGraceS: 0.05,
  startPriorMm: 40,
  unsettledPenaltyFactor: 5,
  spreadScaleMm: 2.5,
  // 1.4 (was 1.5) since the tracker compares movement along the vessel: its place no longer
  // jitters by a noise's length, which the floor had counted as noise. The lowest floor at which
  // clean input held still after a 20 mm/s push is confident again within a second (fast-push
  // test). Training seeds 1–6 (5 conditions, EAM and biplane, both hearts): sure and wrong 78 → 72
  // samples (the code before this round: 105), sure and > 3 mm off 1995 → 1456 (3907); at 1.25:
  // 50 and 985, but the held lead stays near 0.79 for 1.4 s.
  spreadFloorMm: 1.4,
  spreadTauS: 1,
  rayMaxConfidence: 0.75,
  // Until the vessel is let go (a breath at least: compensate-motion.ts), the offset b holds is one
  // the data do not explain: it counts as spread. Validation seeds 26–45, EAM, 13 conditions, with
  // the release: sure and wrong summed over cells 0.089 → 0.075 % (demo), 0.203 → 0.188 % (second
  // heart); p95 per cell −0.002 / +0.003 mm; instruction agreement −0.0003 / −0.0002.
  breathFloorConfidence: 1,
  unwatchedBreathMm: 5,
  unsettledHeartMm: 3,
  // Training seeds 1–4, demo twin, EAM, banner (confidence < 0.35) coming or going per minute /
  // right instructions shown / wrong ones shown (every instruction scored, minConfidence 0):
  // `standard` 121.9 → 49.5 / 81.42 → 81.79 % / 1.78 → 1.84 %, `physiological` 188.0 → 85.5 /
  // 61.58 → 61.88 % / 1.36 → 1.31 %, `clean` 9.9 → 9.9 / 97.09 → 97.31 % / 2.01 → 2.13 %; 0.3 s:
  // 43.7 and 82.2 a minute, but `clean` 2.26 % wrong shown.
  fitTauS: 0.15,
};

export interface TrackEstimate {
  /** Reported (committed) branch index. */
  branch: number;
  segment: number;
  x: number;
  y: number;
  z: number;
  arcLengthMm: number;
  offCentrelineMm: number;
  radiusMm: number;
  /** 0..1: how sure the tracker is (posterior of the best state, distance from the vein). */
  confidence: number;
  /** The best state's branch posterior alone (how far the motion filter may trust the tracker's vessel). */
  posterior: number;
  /**
   * A ray (one fluoroscopic view): how side-on the view shows the vein at the place, the sine of the
   * angle between the vein and the beam (1: side-on; near 0: the vein runs along the beam, and its
   * place along the vein is all but unseen). NaN for point observations.
   */
  shownInView: number;
}

interface Candidate {
  segment: number;
  t: number;
  x: number;
  y: number;
  z: number;
  arc: number;
  branch: number;
  /** To the observation, its cranio-caudal part discounted (CRANIAL_SPREAD; a ray's: the miss). */
  distance: number;
  /** To the observation, plainly (mm): what is reported as off the centreline. */
  offMm: number;
  score: number;
  /** When the restart its path began with happened (feed clock, s); NaN on an established path (rayRestartConfirmS). */
  born: number;
}

/** Two places further apart than this many segments are as good as unreachable between two samples. */
const MAX_SEGMENTS_APART = 97;
/** Past a plain continuation (one branch's name giving way to the next) by this much, mm. */
const CONTINUATION_MARGIN_MM = 0.5;
/** A ray whose every crossing is out of reach is held as a miss for up to this long (s), then trusted. */
const RAY_HOLD_S = 1;
/** The vein's direction at a place is its chord from this far before to this far after (mm): a few segments, not one. */
export const VEIN_CHORD_HALF_MM = 5;
/**
 * A ray that misses the lead's own vein by up to this much beyond the tube (mm) still keeps that vein
 * as a candidate (within reach of the last place), scored by its miss: motion left in the image moves
 * the ray off the vein for a breath, and otherwise its only crossings are other veins, maybe far away
 * in depth, where the tracker would restart and stay. (Found on the second heart's trunk: 70 mm.)
 */
const RAY_NEAR_MISS_MM = 6;
/**
 * A ray's crossing reached from no previous state costs this (log units; a point's costs 20): with the
 * lead's own vein kept as a near miss, a restart on a far vein needs a miss of ~9 mm, not ~7.
 * (Tried: also taking crossings beyond 20 mm + 60 mm/s along the tree only as restarts. It stops a
 * 107 mm jump along the trunk, but makes coming back from a wrong place cost a restart too: on
 * training seeds its worst condition got worse, 19.4 → 21.2 mm p95 on the second heart.)
 */
const RAY_RESTART = 40;
/** On a restart's confirmation, its states within this far along the tree (mm) of the leading one are established with it. */
const CONFIRMED_SPAN_MM = 20;
/** The most a held place (a miss, a spike, an unconfirmed restart) is claimed to be right: below the instruction's 0.35. */
const HELD_CONFIDENCE = 0.2;
/**
 * The most a place held through a spike within spikeGraceS claims: above the instruction's
 * threshold, below sure (0.8). Keeping the whole claim doubled sure and wrong on the second heart's
 * push-pause (validation seeds 808–847, 0.017 → 0.032 %): a 2–5 mm push can look like a spike.
 */
const SPIKE_GRACE_CLAIM = 0.75;
/**
 * A point observation's distance from a candidate counts its cranio-caudal part (the breathing axis
 * in the twin frame) this many times less while motion compensation is taking out a breath that
 * differs from its harmonic (the free-form breath; not on still or gated input, nor where breathing
 * is a plain sinusoid the harmonic removes, nor with the lab's respiratory signal): breathing moves
 * the heart mostly that way (caudally 4.9 ± 1.9 mm on inspiration, anteriorly 1.3 ± 1.8 mm:
 * Shechter et al., IEEE TMI 2004), and what compensation leaves of such a breath is the largest
 * error there is. (1.5 and 2.5 tried on training seeds 1–4; 2.5 taken. Applied whenever breathing
 * was taken out, it cost the sinusoidal conditions 0.1–0.2 mm of p95 on training seeds.)
 */
const CRANIAL_SPREAD = 2.5;
const CRANIAL_DISCOUNT = 1 - 1 / (CRANIAL_SPREAD * CRANIAL_SPREAD);
/** The cranio-caudal spread the discount allows beyond the emission's, in units of its σ. */
const CRANIAL_EXTRA = Math.sqrt(CRANIAL_SPREAD * CRANIAL_SPREAD - 1);

/** A point observation further than this (mm) plus SPIKE_SPEED_MM_S × dt from the last is a spike until confirmed. */
const SPIKE_MM = 3;
const SPIKE_SPEED_MM_S = 60;

/** Time constant of the along-vein smoother, s: breathing and the heartbeat are mostly left as residual. */
const ALONG_TAU_S = 0.7;
/** The shown place's smoother: this time constant, or this many sample intervals if longer (fluoro's 15 fps). */
const SHOWN_TAU_S = 0.05;
const SHOWN_TAU_INTERVALS = 1.5;
/** A gap this long restarts it. */
const SHOWN_RESTART_S = 0.5;
/** …and while the catheter is pushed (or pulled) steadily, and just after: it follows the push. */
const ALONG_FAST_TAU_S = 0.35;
/** A push: the arc moving one way by at least PUSH_MM_S over each of PUSH_STEPS steps of PUSH_STEP_S. */
const PUSH_MM_S = 8;
const PUSH_STEP_S = 0.1;
const PUSH_STEPS = 5;
const PUSH_HOLD_S = 1;
/** The share of the motion taken out along the vessel that may be wrong unseen (see alongMotionMm). */
const ALONG_MOTION_ERROR = 0.2;
/** Confidence is the chance that the place is right: on its branch and within this (mm) of the tip. */
const RIGHT_WITHIN_MM = 5;
/** How long a breath counts as not yet watched (TrackerOptions.unwatchedBreathMm), s: two breaths at rest (3–5 s each)… */
const WATCH_S = 10;
/** …then fading out over this long. */
const WATCH_FADE_S = 5;
/** How far along the vein (mm, each way) a breath's caudal shift is read: the vein's run over that stretch counts, not just here. */
const BREATH_REACH_MM = 8;

/** Does state `c` beat `than` (null: nothing yet)? The higher score; on a tie, the lower segment (deterministic). */
const beats = (c: Candidate, than: Candidate | null): boolean => !than || c.score > than.score || (c.score === than.score && c.segment < than.segment);

/** A held place's claim (a miss, a spike, an unconfirmed restart): confidence at most `claim`, posterior at most HELD_CONFIDENCE. */
function capAsHeld(out: TrackEstimate, claim = HELD_CONFIDENCE): TrackEstimate {
  out.confidence = Math.min(out.confidence, claim);
  out.posterior = Math.min(out.posterior, HELD_CONFIDENCE);
  return out;
}

// -1, 0 or 1 (small integers): a comparator returning a double difference allocates on every compare.
const nearestFirst = (a: Candidate, b: Candidate): number => (a.distance < b.distance ? -1 : a.distance > b.distance ? 1 : a.segment < b.segment ? -1 : a.segment > b.segment ? 1 : 0);

/**
 * Candidates nearest first, in place: an insertion sort over a few dozen, where Array.prototype.sort
 * allocates a work array on every call. The order is the same (nearestFirst is a total order: no
 * two candidates share a segment).
 */
function sortNearestFirst(list: Candidate[]): void {
  for (let i = 1; i < list.length; i++) {
    const c = list[i]!;
    let k = i;
    while (k > 0 && nearestFirst(list[k - 1]!, c) > 0) { list[k] = list[k - 1]!; k--; }
    list[k] = c;
  }
}

export class TreeTracker {
  private readonly o: TrackerOptions;
  private previous: Candidate[] = [];
  /** step()'s scratch: the previous states by score, best first. */
  private readonly byScore: Candidate[] = [];
  private current: Candidate[] = [];
  private readonly scratch: CentrelinePoint = newCentrelinePoint();
  private lastObs: [number, number, number] | null = null;
  private committedBranch = -1;
  private lastStepT = -Infinity;
  /** A ray's path begun by a restart that leads the established ones (its `born`; NaN: none), and since when it has led. */
  private challenger = Number.NaN;
  private challengerSince = Number.NaN;
  /** When the tracker started watching (its first step since a reset; NaN before). */
  private watchFromT = Number.NaN;
  /** Set by the caller per observation: has motion compensation learnt the heartbeat yet? */
  settled = true;
  /**
   * Motion compensation's account of the motion it took out along the vessel (mm): a share of it
   * (ALONG_MOTION_ERROR) may be wrong without any sign here, so it counts as spread.
   */
  alongMotionMm = 0;
  /** Motion compensation's spread (standard deviation) of that motion along the vessel (mm; 0: none given). */
  alongSpreadMm = 0;
  /** Motion compensation is taking out a breath that differs from its harmonic (its cranio-caudal error is then the largest). */
  irregularBreathing = false;
  /** Nothing moves the tip but the catheter (gated or clean input): no motion is left in to swing along the vessel. */
  nothingMoves = false;
  /** What of the breath motion compensation takes out cannot be a breath (mm): MotionFilter.breathFloor or breathBeyond, the larger. */
  breathFloorMm = 0;
  /** The point observation whose candidates are being collected. */
  private readonly obs = new Float64Array(3);
  /** Typical time between observations, s (NaN until two have been seen). */
  private interval = Number.NaN;
  private pendingBranch = -1;
  private pendingSince = Number.NaN; // (set before it is read; a double from the start, so storing a time never changes the object's layout)
  /** Running mean of the squared distance of observations from the best state's centreline, mm². */
  private spread2 = 0;
  /**
   * Along the vein, an alpha-beta smoother of the arc length (it follows a steady advance without
   * lag) and the running mean of what it leaves (mm²): a heartbeat or a breath that compensation
   * did not take out makes the arc length swing, which the distance across the vein cannot show.
   */
  private arcSmooth = Number.NaN;
  private arcRate = 0;
  private along2 = 0;
  /** How the place fits the veins (nearVein × the separation's share), smoothed over fitTauS; NaN after a reset. */
  private fit = Number.NaN;
  private readonly pool: Candidate[] = [];
  private readonly collect: (p: CentrelinePoint) => void;

  constructor(private readonly twin: Twin, options: Partial<TrackerOptions> = {}) {
    this.o = { ...DEFAULT_TRACKER_OPTIONS, ...options };
    this.collect = (p) => this.addCandidate(p); // one closure for the tracker's life, not one per sample
  }

  reset(): void {
    this.previous = [];
    this.lastObs = null;
    this.committedBranch = -1;
    this.pendingBranch = -1;
    this.lastStepT = -Infinity;
    this.watchFromT = Number.NaN;
    this.interval = Number.NaN;
    this.spread2 = 0;
    this.leap = null;
    this.arcSmooth = Number.NaN;
    this.arcRate = 0;
    this.along2 = 0;
    this.fit = Number.NaN;
    this.shownArc = Number.NaN;
    this.challenger = Number.NaN;
  }

  private take(): Candidate {
    return this.pool.pop() ?? { segment: 0, t: 0, x: 0, y: 0, z: 0, arc: 0, branch: 0, distance: 0, offMm: 0, score: 0, born: Number.NaN };
  }

  /** A point observation in the twin frame (motion-compensated). */
  updatePoint(t: number, x: number, y: number, z: number, out: TrackEstimate): TrackEstimate {
    for (const c of this.current) this.pool.push(c);
    this.current.length = 0;
    if (this.isSpike(t, x, y, z)) return this.hold(out, out.offCentrelineMm, t - this.lastStepT > this.o.spikeGraceS ? HELD_CONFIDENCE : SPIKE_GRACE_CLAIM);
    const index = this.twin.centrelines;
    this.obs[0] = x; this.obs[1] = y; this.obs[2] = z;
    index.forEachWithin(x, y, z, this.o.candidateRadiusMm, this.scratch, this.collect);
    if (this.current.length === 0) this.addCandidate(index.nearest(x, y, z, this.scratch));
    if (this.current.length > this.o.maxCandidates) {
      sortNearestFirst(this.current);
      while (this.current.length > this.o.maxCandidates) this.pool.push(this.current.pop()!);
    }
    let moved = 0;
    this.hasDisplacement = this.lastObs !== null;
    if (this.lastObs) {
      const d = this.displacement;
      d[0] = x - this.lastObs[0]; d[1] = y - this.lastObs[1]; d[2] = z - this.lastObs[2];
      moved = hypot3(d[0]!, d[1]!, d[2]!);
      this.lastObs[0] = x; this.lastObs[1] = y; this.lastObs[2] = z;
    } else this.lastObs = [x, y, z];
    return this.step(t, moved, out);
  }

  /** A ray observation in the twin frame (single-plane fluoro): candidates where it crosses vein tubes. */
  updateRay(t: number, origin: readonly number[], dir: readonly number[], toleranceMm: number, out: TrackEstimate): TrackEstimate {
    for (const c of this.current) this.pool.push(c);
    this.current.length = 0;
    const v = this.twin.veins;
    const pos = v.positionsMm;
    this.rayDir[0] = dir[0]!; this.rayDir[1] = dir[1]!; this.rayDir[2] = dir[2]!;
    let bestD = Infinity;
    for (let c = 0; c < v.nodeCount; c++) {
      const p = v.parent[c]!;
      if (p < 0) continue;
      // Closest points between the segment p→c and the ray.
      const ax = pos[3 * p]!, ay = pos[3 * p + 1]!, az = pos[3 * p + 2]!;
      const ex = pos[3 * c]! - ax, ey = pos[3 * c + 1]! - ay, ez = pos[3 * c + 2]! - az;
      const wx = ax - origin[0]!, wy = ay - origin[1]!, wz = az - origin[2]!;
      const a = ex * ex + ey * ey + ez * ez, b = ex * dir[0]! + ey * dir[1]! + ez * dir[2]!;
      const d = ex * wx + ey * wy + ez * wz, e = dir[0]! * wx + dir[1]! * wy + dir[2]! * wz;
      const den = a - b * b;
      let s = den > 1e-12 ? (b * e - d) / den : 0;
      s = s < 0 ? 0 : s > 1 ? 1 : s;
      const qx = ax + s * ex, qy = ay + s * ey, qz = az + s * ez;
      const u = (qx - origin[0]!) * dir[0]! + (qy - origin[1]!) * dir[1]! + (qz - origin[2]!) * dir[2]!;
      const rx = origin[0]! + u * dir[0]! - qx, ry = origin[1]! + u * dir[1]! - qy, rz = origin[2]! + u * dir[2]! - qz;
      const dist = hypot3(rx, ry, rz);
      bestD = Math.min(bestD, dist);
      const radius = radiusAt(v, c, s);
      const arc = v.arcLengthMm[p]! + s * (v.arcLengthMm[c]! - v.arcLengthMm[p]!);
      if (dist > radius + toleranceMm && !(dist <= radius + toleranceMm + RAY_NEAR_MISS_MM && this.nearPrevious(v.segmentBranch[c]!, arc, t))) continue;
      const cand = this.take();
      cand.segment = c; cand.t = s; cand.x = qx; cand.y = qy; cand.z = qz;
      cand.arc = arc;
      cand.branch = v.segmentBranch[c]!;
      cand.distance = dist; cand.offMm = dist; // to the centreline: the lead rides near it, and a wide tube would make every crossing alike
      this.current.push(cand);
    }
    if (this.current.length === 0) {
      // The ray meets no vein: keep the last state, with low confidence.
      return this.hold(out, bestD);
    }
    // The "movement" of a ray observation: how far the best crossing moved along the tree is unknown;
    // compare tree distance with zero (the tip moves little between frames).
    return this.step(t, 0, out, true);
  }

  /** The last ray's direction (twin frame), and scratch for the vein's direction around a place. */
  private readonly rayDir = new Float64Array(3);
  private readonly veinDir = new Float64Array(3);
  private readonly chordA = new Float64Array(3);
  private readonly chordB = new Float64Array(3);

  /** How side-on the last ray's view shows the vein around `arc` on `branch`: the sine of its angle to the beam (1 where the branch is too short to say). */
  private shownInRay(branch: number, arc: number): number {
    const d = this.veinDir, r = this.rayDir;
    if (!branchDirection(this.twin.veins, this.twin.veins.branches[branch]!, arc, VEIN_CHORD_HALF_MM, d, this.chordA, this.chordB)) return 1;
    const c = d[0]! * r[0]! + d[1]! * r[1]! + d[2]! * r[2]!;
    return Math.sqrt(Math.max(0, 1 - c * c));
  }

  /** Is arc length `arc` on `branch` within reach (by the lead's top speed) of one of the previous states on that branch? */
  private nearPrevious(branch: number, arc: number, t: number): boolean {
    const reach = Number.isFinite(this.lastStepT) ? this.reachMm(t) : 0;
    for (const p of this.previous) if (p.branch === branch && Math.abs(p.arc - arc) <= reach) return true;
    return false;
  }

  /** How far (mm) the lead can have moved since the last step: SPIKE_MM plus SPIKE_SPEED_MM_S × the time. */
  private reachMm(t: number): number {
    return SPIKE_MM + SPIKE_SPEED_MM_S * Math.max(0, t - this.lastStepT);
  }

  /** An observation that leapt from the last one, waiting for the next to say whether the lead really moved. */
  private leap: [number, number, number] | null = null;
  /**
   * The observed displacement since the last point observation (valid when hasDisplacement). A
   * transition compares the along-tree distance to a candidate with this displacement's component
   * along the candidate's segment (in step). The whole displacement counted the noise across the
   * vessel too: two noisy samples 10 ms apart are ~1.3 mm apart at 0.6 mm per axis while the tip
   * moved 0.15 mm, so the tracker preferred states a noise's length away, and the reported tip was
   * further off than the bare sample projected onto the vein (training seeds, gated EAM: p95 1.78
   * against 1.21 mm). Each candidate's own direction, not the current state's: a lead turning into
   * a side branch moves along the side branch, hardly along the vein it leaves.
   */
  private readonly displacement = new Float64Array(3);
  private hasDisplacement = false;
  /** The tree's segment vectors and lengths (segmentAxes: shared by every tracker of this twin). */
  private get axes(): Float64Array {
    return segmentAxes(this.twin.veins);
  }

  /**
   * A sensor spike: an observation further from the last one than a lead can move in the time
   * between them (SPIKE_MM plus SPIKE_SPEED_MM_S × dt), unless the next one confirms it (the lead
   * really jumped: both are then taken). A spike is held like a miss: the place stays, confidence
   * drops, and it moves nothing in the model.
   */
  private isSpike(t: number, x: number, y: number, z: number): boolean {
    const last = this.lastObs;
    if (!last || !Number.isFinite(this.lastStepT)) return false;
    const reach = this.reachMm(t);
    if (hypot3(x - last[0], y - last[1], z - last[2]) <= reach) {
      this.leap = null;
      return false;
    }
    const leap = this.leap;
    if (leap && hypot3(x - leap[0], y - leap[1], z - leap[2]) <= reach) {
      this.leap = null;
      return false;
    }
    this.leap = [x, y, z];
    return true;
  }

  private addCandidate(p: CentrelinePoint): void {
    const c = this.take();
    c.segment = p.segment; c.t = p.t; c.x = p.x; c.y = p.y; c.z = p.z;
    c.arc = p.arcLengthMm; c.branch = p.branch; c.score = 0;
    c.offMm = p.distanceMm;
    c.distance = p.distanceMm;
    if (this.irregularBreathing) {
      const along = (this.obs[0]! - p.x) * CRANIAL[0] + (this.obs[1]! - p.y) * CRANIAL[1] + (this.obs[2]! - p.z) * CRANIAL[2];
      c.distance = Math.sqrt(Math.max(0, p.distanceMm * p.distanceMm - CRANIAL_DISCOUNT * along * along));
    }
    this.current.push(c);
  }

  /**
   * The paths a ray's confirmation weighs (rayRestartConfirmS): after no state was reachable at all
   * (a long gap) every state is a fresh start, established from the outset; on the first ray, the
   * crossings further along the tree than its nearest one by more than the start prior's scale are
   * newcomers, as after a restart (a lead comes in through the sinus's ostium; otherwise one
   * breath's misses in the first second can choose a vein 75 mm away in depth for good: the
   * independent client, demo twin, seed 6).
   */
  private markNewcomers(t: number, reachable: boolean, starting: boolean): void {
    if (!reachable) for (const c of this.current) c.born = Number.NaN;
    if (!starting) return;
    let nearest = Infinity;
    for (const c of this.current) if (c.arc < nearest) nearest = c.arc;
    for (const c of this.current) if (c.arc > nearest + this.o.startPriorMm) c.born = t;
  }

  /** The best state on an established path (none begun by an unconfirmed restart), or null. */
  private bestEstablished(): Candidate | null {
    let kept: Candidate | null = null;
    for (const c of this.current) if (Number.isNaN(c.born) && beats(c, kept)) kept = c;
    return kept;
  }

  /** `claim`: the most the held place claims (a spike within the grace more than a held place; the posterior is a held place's either way, so nothing is learnt from it). */
  private hold(out: TrackEstimate, distance: number, claim = HELD_CONFIDENCE): TrackEstimate {
    capAsHeld(out, claim);
    out.offCentrelineMm = distance;
    // The previous states stay the predecessors of the next observation. (This used to alias
    // `current` to them, so the next update recycled them into the pool while still in use.)
    for (const c of this.current) this.pool.push(c);
    this.current.length = 0;
    return out;
  }

  /**
   * One Viterbi step. `ray`: the observation is a ray, whose crossings may all lie on veins the lead
   * cannot have reached since the last frame (a far vein in front of or behind it, while the ray
   * misses the lead's own): then the frame is held like a miss instead of restarting there.
   */
  private step(t: number, moved: number, out: TrackEstimate, ray = false): TrackEstimate {
    const sigma = ray ? this.o.rayEmissionSigmaMm : this.o.emissionSigmaMm;
    const s2 = 2 * sigma ** 2;
    let best: Candidate | null = null;
    const starting = this.previous.length === 0;
    let reachable = starting;
    // A ray says nothing of how far the tip moved: its transitions only keep jumps implausible.
    const beta = ray ? this.o.rayTransitionBetaMm : this.o.transitionBetaMm;
    // While motion compensation is still learning the heartbeat, positions swing with it: a change
    // of branch needs stronger evidence then.
    const branchPenalty = this.o.branchChangePenalty * (this.settled ? 1 : this.o.unsettledPenaltyFactor);
    const axes = this.axes;
    const ancestry = treeAncestry(this.twin.veins); // (not a field: a checkpoint holds the tracker's state only)
    // Predecessors best first: a transition is never better than its predecessor's score, so once
    // that is no better than the best transition found, no later one can win (the same maximum as
    // over every pair, with a fraction of the tree distances).
    // (A kept array and a count: emptying an array by its length frees its store.)
    const byScore = this.byScore;
    let ranked = 0;
    for (const p of this.previous) {
      let k = ranked++;
      while (k > 0 && byScore[k - 1]!.score < p.score) { byScore[k] = byScore[k - 1]!; k--; }
      byScore[k] = p;
    }
    // (Rays: quadratic to `robust`, linear beyond, continuous with its slope: rayEmissionRobustSigmas.)
    const robust = ray && this.o.rayEmissionRobustSigmas > 0 ? this.o.rayEmissionRobustSigmas * sigma : Infinity;
    for (const c of this.current) {
      const emission = c.distance > robust ? -(2 * robust * c.distance - robust * robust) / s2 : -(c.distance * c.distance) / s2;
      // The observed movement along this candidate's vessel (see displacement; inline: a double
      // returned from a call that is not inlined is a heap allocation).
      let movedHere = moved;
      if (!ray && this.hasDisplacement) {
        const e = 4 * c.segment, length = axes[e + 3]!, dv = this.displacement;
        if (length > 0) movedHere = Math.abs(dv[0]! * axes[e]! + dv[1]! * axes[e + 1]! + dv[2]! * axes[e + 2]!) / length;
      }
      let transition: number;
      let born = Number.NaN;
      if (starting) {
        transition = -c.arc / this.o.startPriorMm;
      } else {
        transition = -Infinity;
        for (let r = 0; r < ranked; r++) {
          const p = byScore[r]!;
          if (p.score <= transition) break;
          // On one branch the distance is the difference in arc length (inline: a double returned
          // from a call that is not inlined is a heap allocation, and this runs for every pair).
          let d: number;
          if (p.segment === c.segment || p.branch === c.branch) d = Math.abs(p.arc - c.arc);
          else {
            this.treeDistance(p, c, ancestry);
            d = this.distanceOut[0]!;
          }
          if (!Number.isFinite(d)) continue;
          reachable = true;
          const score = p.score - Math.abs(d - movedHere) / beta - (p.branch !== c.branch ? branchPenalty : 0);
          if (score > transition) { transition = score; born = p.born; }
        }
        if (transition === -Infinity) {
          // No reachable predecessor (after a long gap, or a registration jump): restart here.
          let floor = -Infinity;
          for (const p of this.previous) floor = Math.max(floor, p.score);
          transition = floor - (ray ? RAY_RESTART : 20);
          born = t;
        }
      }
      c.born = born;
      c.score = transition + emission;
      if (beats(c, best)) best = c;
    }
    if (ray && !reachable && t - this.lastStepT < RAY_HOLD_S) return this.hold(out, best!.distance);
    // The usual observation interval (a gap or a dropout does not count).
    const dt = t - this.lastStepT;
    if (dt > 0 && dt < 0.5) this.interval = Number.isNaN(this.interval) ? dt : this.interval + 0.1 * (dt - this.interval);
    this.lastStepT = t;
    if (Number.isNaN(this.watchFromT)) this.watchFromT = t;
    // `leader`: the best state; `top`: the one reported (the best established one while a ray's
    // restart waits to be confirmed: rayRestartConfirmS).
    let leader = best!;
    let top = leader;
    let unconfirmed = false;
    if (ray && this.o.rayRestartConfirmS > 0) {
      this.markNewcomers(t, reachable, starting);
      if (Number.isNaN(leader.born)) this.challenger = Number.NaN;
      else {
        if (leader.born !== this.challenger) { this.challenger = leader.born; this.challengerSince = t; }
        const kept = this.bestEstablished();
        if (kept && kept.distance <= leader.distance + sigma) {
          // The established path explains this view as well: the newcomers pay their restart again.
          const cap = kept.score - RAY_RESTART;
          for (const c of this.current) if (!Number.isNaN(c.born) && c.score > cap) c.score = cap;
          this.challenger = Number.NaN;
          leader = kept;
          top = kept;
        } else if (t - this.challengerSince >= this.o.rayRestartConfirmS) {
          // Confirmed: the newcomer's path is established now (and its own neighbourhood: the other
          // crossings of the same restart, far elsewhere on the ray, stay newcomers).
          for (const c of this.current) {
            if (c.born !== this.challenger) continue;
            this.treeDistance(leader, c, ancestry);
            if (this.distanceOut[0]! <= CONFIRMED_SPAN_MM) c.born = Number.NaN;
          }
          this.challenger = Number.NaN;
        } else {
          // Unconfirmed: the established place is shown (held where it was if none is left).
          unconfirmed = true;
          if (kept) top = kept;
        }
      }
    }
    // Normalise (keep scores bounded) and measure how clearly the best state wins.
    // Confidence is about the branch: candidates on the best state's branch share its mass.
    let mass = 0;
    let branchMass = 0;
    // (The best score is read once: subtracting top.score inside the loop zeroed it at the best
    // state, and every state after it in the list kept its score unnormalised, a penalty of the
    // best state's own log-likelihood at each step.)
    const topScore = leader.score;
    for (const c of this.current) {
      c.score -= topScore;
      const w = Math.exp(c.score);
      mass += w;
      if (c.branch === top.branch) branchMass += w;
    }
    let posterior = branchMass / mass;
    // Swap the two candidate lists (no new arrays per sample).
    const recycled = this.previous;
    for (const c of recycled) this.pool.push(c);
    recycled.length = 0;
    this.previous = this.current;
    this.current = recycled;
    if (unconfirmed && top === leader) return capAsHeld(out);

    // Report a branch change only after it has held for the decision lag.
    if (this.committedBranch < 0) {
      this.committedBranch = top.branch;
    } else if (top.branch !== this.committedBranch) {
      if (this.pendingBranch !== top.branch) {
        this.pendingBranch = top.branch;
        this.pendingSince = t;
      }
      // Where one branch simply continues as another (the CS as the great cardiac vein) there is
      // no other vein to flicker to: the name changes with the arc length, once clearly past the
      // boundary, without the lag.
      // Each observation stands for the interval until the next: at 15 fps one frame already covers
      // the lag, at 100 Hz five samples do.
      if (t - this.pendingSince + (Number.isNaN(this.interval) ? 0 : this.interval) >= this.o.decisionLagS || this.pastContinuation(this.committedBranch, top.branch, top.arc)) {
        this.committedBranch = top.branch;
        this.pendingBranch = -1;
      }
    } else {
      this.pendingBranch = -1;
    }

    const bestPosterior = posterior;
    // While a change is pending the reported branch is not the best state's: the confidence is the
    // reported branch's share, not the best state's. (Summed every time: see alongSpread.)
    let committedMass = 0;
    for (const c of this.previous) if (c.branch === this.committedBranch) committedMass += Math.exp(c.score);
    const committedShare = committedMass / mass;
    if (top.branch !== this.committedBranch) posterior = committedShare;
    const spreadAlpha = Number.isNaN(this.interval) ? 1 : Math.min(1, Math.max(0, dt) / this.o.spreadTauS);
    // What is claimed about the place counts the plain distances: the discount serves the path only
    // (on training seeds, claims on discounted distances withheld fewer instructions but left 6× the
    // samples sure and wrong: 0.018 % against 0.003 % on the second heart).
    this.spread2 += spreadAlpha * (top.offMm * top.offMm - this.spread2);
    // Where another vein passes about as close to the observation as the reported one (beside a
    // fork, two veins run side by side for a few mm), the data cannot tell them apart yet, whatever
    // the path so far says: confidence is halved there, rising to full at 2σ of separation.
    let nearestOther = Infinity;
    for (const c of this.previous) if (c.branch !== this.committedBranch && c.offMm < nearestOther) nearestOther = c.offMm;
    const separation = Math.max(0, Math.min(1, (nearestOther - top.offMm) / (2 * sigma)));
    this.alongSpread(top, dt, spreadAlpha, t, separation >= 1);
    // What is claimed: a heartbeat not yet taken out also blurs two veins side by side (the path's
    // own separation, above, is left as it was: it only chooses how the smoother follows).
    const heartLeft = this.settled || ray ? 0 : this.o.unsettledHeartMm;
    const claimedSeparation = heartLeft > 0 ? Math.max(0, Math.min(1, (nearestOther - top.offMm) / (2 * Math.sqrt(sigma * sigma + heartLeft * heartLeft)))) : separation;
    const far = Math.max(0, top.offMm - 2 * sigma);
    const nearVein = Math.exp(-(far * far) / (2 * sigma * sigma));
    out.posterior = bestPosterior * nearVein;
    // Measurement noise alone spreads observations by about a millimetre: only what exceeds that counts.
    const unseen = ALONG_MOTION_ERROR * this.alongMotionMm;
    const floorSpread = this.o.breathFloorConfidence * this.breathFloorMm;
    // (A ray's swing along its vein counts below, beyond its floor: raySwingFloorMm.)
    const excess = Math.max(0, this.spread2 + (ray ? 0 : this.along2) + unseen * unseen - this.o.spreadFloorMm ** 2) + floorSpread * floorSpread;
    const fit = nearVein * (0.5 + 0.5 * claimedSeparation);
    if (Number.isNaN(this.fit)) this.fit = fit;
    else this.fit += Math.min(1, Math.max(0, dt) / this.o.fitTauS) * (fit - this.fit);
    out.confidence = posterior * this.fit * Math.exp(-excess / (2 * this.o.spreadScaleMm ** 2));
    // Along the vessel an error shows nowhere here: the chance that it stays within RIGHT_WITHIN_MM,
    // given motion compensation's spread there, is part of the chance that the place is right.
    // While the cranio-caudal part of distances is discounted, the breath compensation leaves there
    // (σ·√(CRANIAL_SPREAD² − 1) beyond the emission's σ) moves the place along a vessel as far as
    // the vessel runs cranio-caudally: part of the same spread.
    const unseenBreath = !ray && this.irregularBreathing ? sigma * CRANIAL_EXTRA * this.cranialShare(top.segment) : 0;
    const watching = ray ? 0 : Math.max(0, Math.min(1, (WATCH_S + WATCH_FADE_S - (t - this.watchFromT)) / WATCH_FADE_S));
    const unwatched = watching > 0 ? this.o.unwatchedBreathMm * watching * Math.max(this.cranialShare(top.segment), this.cranialRun(top.branch, top.arc)) : 0;
    const raySwing = ray ? this.o.raySwingWeight * Math.sqrt(Math.max(0, this.along2 - this.o.raySwingFloorMm ** 2)) : 0;
    const along = Math.sqrt(this.alongSpreadMm * this.alongSpreadMm + unseenBreath * unseenBreath + unwatched * unwatched + heartLeft * heartLeft + raySwing * raySwing);
    if (along > 0) out.confidence *= erf(RIGHT_WITHIN_MM / (along * Math.SQRT2));
    if (ray) {
      out.confidence = Math.min(out.confidence, unconfirmed ? HELD_CONFIDENCE : this.o.rayMaxConfidence);
      // One view sees no depth: where the vein runs toward the beam, an error of the image along the
      // vein's projection is 1/sin(angle) as long along the vein (the second heart's great cardiac
      // vein in LAO 30: 50 mm of it within 37° of the beam). Said to the display, which names a view
      // that shows the vein side-on. (Not in the confidence: as an erf of 5 mm against 1.1 mm / sin,
      // training seeds 1–4, single plane, both hearts, it left the Brier score where it was, 0.185 →
      // 0.185 and 0.194 → 0.198, and withheld 1.5–2.4 % more of the right instructions.)
      out.shownInView = this.shownInRay(top.branch, top.arc);
    } else out.shownInView = Number.NaN;
    out.offCentrelineMm = top.offMm;
    if (top.branch === this.committedBranch) {
      out.branch = top.branch; out.segment = top.segment; out.x = top.x; out.y = top.y; out.z = top.z; out.arcLengthMm = top.arc;
      out.radiusMm = radiusAt(this.twin.veins, top.segment, top.t);
    } else {
      // While a new branch is pending, stay on the reported one at its point nearest the tip.
      const p = this.twin.centrelines.nearest(top.x, top.y, top.z, this.scratch, this.committedBranch);
      out.branch = this.committedBranch; out.segment = p.segment; out.x = p.x; out.y = p.y; out.z = p.z; out.arcLengthMm = p.arcLengthMm;
      out.radiusMm = p.radiusMm;
    }
    return out;
  }

  /** The reported place: an alpha-beta smoother of the arc length along the reported branch. */
  private shownArc = Number.NaN;
  private shownRate = 0;
  private shownBranch = -1;
  private shownT = 0;
  /** Scratch for the shown point (no objects per sample). */
  private readonly shownPoint = new Float64Array(3);
  private readonly shownAt = { segment: 0, t: 0 };

  /**
   * Where the tip is shown: the best state's place smoothed along its branch. The tracker's place
   * is an observation projected onto the vein, so the noise along the vein went straight to the
   * display; an alpha-beta smoother (it follows a steady advance without lag) over a few samples
   * takes most of it out. Restarted on a change of branch or after a gap. The tracker's own
   * place (fed back to motion compensation) is not smoothed: the smoother's lag must not become
   * the evidence it is judged by. (Training seeds 1–4, EAM: gated p95 1.50 → 1.09 mm on the demo
   * twin, 1.50 → 1.00 on the second heart; the physiological conditions within ±0.1 mm. Over
   * fewer than 1.5 sample intervals it would not smooth biplane's 15 fps at all; over 2.5 it lags
   * a push: pooled biplane p95 2.82 / 2.93 mm on the demo twin. Rays are not smoothed: single
   * plane gained nothing.)
   */
  smoothShown(t: number, out: TrackEstimate): void {
    const dt = t - this.shownT;
    this.shownT = t;
    if (Number.isNaN(this.shownArc) || this.shownBranch !== out.branch || !(dt > 0) || dt > SHOWN_RESTART_S) {
      this.shownArc = out.arcLengthMm;
      this.shownRate = 0;
      this.shownBranch = out.branch;
      return;
    }
    const tau = Math.max(SHOWN_TAU_S, SHOWN_TAU_INTERVALS * (Number.isNaN(this.interval) ? dt : this.interval));
    const a = Math.min(1, dt / tau), b = (a * a) / (2 - a);
    const predicted = this.shownArc + this.shownRate * dt;
    const residual = out.arcLengthMm - predicted;
    this.shownArc = predicted + a * residual;
    this.shownRate += (b / dt) * residual;
    // The smoothed arc length on the branch (clamped to it), as a point.
    const branch = this.twin.veins.branches[out.branch]!, at = this.shownAt, p = this.shownPoint;
    if (branch.nodes.length < 2) return;
    const arcs = this.twin.veins.arcLengthMm;
    pointOnBranch(this.twin.veins, branch, this.shownArc, p, at);
    out.segment = at.segment;
    out.arcLengthMm = Math.max(arcs[branch.nodes[0]!]!, Math.min(arcs[branch.nodes[branch.nodes.length - 1]!]!, this.shownArc));
    out.x = p[0]!; out.y = p[1]!; out.z = p[2]!;
    out.radiusMm = radiusAt(this.twin.veins, at.segment, at.t);
  }

  /**
   * Update the along-vein swing from the best state's arc length (restarted on a change of branch or
   * a gap). `alone`: no other vein is near the observation.
   */
  private alongSpread(top: Candidate, dt: number, alpha: number, t: number, alone: boolean): void {
    // Code first run minutes into a procedure (the first restart on a new branch, the first push)
    // sends the optimised step() back to the interpreter while it is compiled again, a few hundred
    // samples at several times the cost: so what each path reads and writes is read and written
    // on every sample, and the paths only choose values.
    const arc = top.arc;
    const restart = Number.isNaN(this.arcSmooth) || top.branch !== this.committedBranch || !(dt > 0) || dt > 0.5;
    let smooth = arc, rate = 0;
    if (!restart) {
      // A sustained push (the arc moving one way, faster than breathing moves it, for PUSH_S) is the
      // catheter's own motion: the smoother then follows it within ALONG_FAST_TAU_S (a critically
      // damped loop) and for PUSH_HOLD_S after it, so neither the push nor its stop reads as motion
      // left in. Otherwise its slow gains leave breathing and the heartbeat as residual.
      // (Found: a steady 20 mm/s push read as 6–7 mm of motion left in, LOW CONFIDENCE for seconds.)
      const pushing = this.pushing(arc, t);
      const w = dt / ALONG_FAST_TAU_S;
      const fastA = Math.min(1, 2 * w), fastB = Math.min(1, w * w);
      const slowA = Math.min(1, dt / ALONG_TAU_S), slowB = (slowA * slowA) / (2 - slowA);
      // With nothing but the catheter moving the tip there is no motion to leave in: the smoother
      // follows the catheter, and a turn back (or any change of speed) does not read as motion.
      // Not beside another vein: a turn back there may be a change of vein the data cannot tell yet
      // (a lead pulled out of a side branch and pushed on along its parent runs beside the vein it
      // left, on the wall nearer to it), and the doubt the slow smoother reads is kept (validation
      // seeds 26–37, demo twin, wall-contact: sure and wrong 0.012 → 0.021 % without this).
      const follow = pushing || (this.settled && this.nothingMoves && alone);
      const a = follow ? fastA : slowA, b = follow ? fastB : slowB;
      const predicted = this.arcSmooth + this.arcRate * dt;
      const residual = arc - predicted;
      smooth = predicted + a * residual;
      rate = this.arcRate + (b / dt) * residual;
      this.along2 += alpha * (residual * residual - this.along2);
    }
    this.arcSmooth = smooth;
    this.arcRate = rate;
  }

  /** Arc lengths every PUSH_STEP_S (newest last) and when a push was last seen. */
  private readonly pushArcs = new Float64Array(PUSH_STEPS + 1);
  private pushArcCount = 0;
  private pushNextT = Number.NaN;
  private pushSeenT = Number.NaN;

  private pushing(arc: number, t: number): boolean {
    if (Number.isNaN(this.pushNextT) || t < this.pushNextT - PUSH_STEP_S || t > this.pushNextT + 0.5) { this.pushNextT = t; this.pushArcCount = 0; }
    if (t >= this.pushNextT) {
      this.pushArcs.copyWithin(0, 1);
      this.pushArcs[PUSH_STEPS] = arc;
      this.pushArcCount = Math.min(PUSH_STEPS + 1, this.pushArcCount + 1);
      this.pushNextT += PUSH_STEP_S;
      if (this.pushArcCount > PUSH_STEPS) {
        // Every step one way, each at least PUSH_MM_S × the step: a heartbeat turns back within it, a breath is slower.
        let up = 0, down = 0;
        for (let k = 0; k < PUSH_STEPS; k++) {
          const d = this.pushArcs[k + 1]! - this.pushArcs[k]!;
          // (Counted and stored without branches: see alongSpread.)
          up += d >= PUSH_MM_S * PUSH_STEP_S ? 1 : 0;
          down += d <= -PUSH_MM_S * PUSH_STEP_S ? 1 : 0;
        }
        this.pushSeenT = up === PUSH_STEPS || down === PUSH_STEPS ? t : this.pushSeenT;
      }
    }
    // (No push seen yet: pushSeenT is NaN, and so is the comparison's left side, which is false.)
    return t - this.pushSeenT <= PUSH_HOLD_S;
  }

  /**
   * Is arc length `arc` on branch `to` past the boundary with branch `from`, where one continues the
   * other through a node without a fork, by the continuation margin?
   */
  private pastContinuation(from: number, to: number, arc: number): boolean {
    const v = this.twin.veins;
    const plain = (parent: number, child: number): boolean => v.branches[child]!.parentBranch === parent && renamesAt(v, v.branches[child]!.nodes[0]!);
    if (plain(from, to)) return arc >= v.branches[to]!.startArcMm + CONTINUATION_MARGIN_MM;
    if (plain(to, from)) return arc <= v.branches[from]!.startArcMm - CONTINUATION_MARGIN_MM;
    return false;
  }

  private readonly runFrom = new Float64Array(3);
  private readonly runTo = new Float64Array(3);

  /** The cranio-caudal share of the vein's run over BREATH_REACH_MM each way of arc length `arc` on `branch`. */
  private cranialRun(branch: number, arc: number): number {
    const veins = this.twin.veins, b = veins.branches[branch]!, from = this.runFrom, to = this.runTo;
    if (b.nodes.length < 2) return 0;
    pointOnBranch(veins, b, arc - BREATH_REACH_MM, from);
    pointOnBranch(veins, b, arc + BREATH_REACH_MM, to);
    const dx = to[0]! - from[0]!, dy = to[1]! - from[1]!, dz = to[2]! - from[2]!;
    const length = Math.sqrt(dx * dx + dy * dy + dz * dz);
    return length > 0 ? Math.abs(dx * CRANIAL[0] + dy * CRANIAL[1] + dz * CRANIAL[2]) / length : 0;
  }

  /** |cos| of the angle between the segment (parent → node) and the cranio-caudal axis. */
  private cranialShare(segment: number): number {
    const axes = this.axes, e = 4 * segment, length = axes[e + 3]!;
    return length > 0 ? Math.abs(axes[e]! * CRANIAL[0] + axes[e + 1]! * CRANIAL[1] + axes[e + 2]! * CRANIAL[2]) / length : 0;
  }

  /** Where treeDistance puts its result (a typed slot: no boxed double per call). */
  private readonly distanceOut = new Float64Array(1);

  /** The along-tree distance between two states, into distanceOut[0] (Infinity: more than MAX_SEGMENTS_APART apart). */
  private treeDistance(a: Candidate, b: Candidate, ancestry: TreeAncestry): void {
    const out = this.distanceOut;
    // A branch is a path: on one branch the along-tree distance is the difference in arc length.
    if (a.segment === b.segment || a.branch === b.branch) { out[0] = Math.abs(a.arc - b.arc); return; }
    const depth = ancestry.depth;
    const lca = ancestry.lca(a.segment, b.segment);
    if (depth[a.segment]! + depth[b.segment]! - 2 * depth[lca]! > MAX_SEGMENTS_APART) { out[0] = Infinity; return; }
    if (lca === a.segment || lca === b.segment) { out[0] = Math.abs(a.arc - b.arc); return; }
    const base = this.twin.veins.arcLengthMm[lca]!;
    out[0] = a.arc - base + (b.arc - base);
  }
}

/** The error function. */
function erf(x: number): number {
  // Abramowitz & Stegun 7.1.26 (|error| < 1.5e-7).
  const t = 1 / (1 + 0.3275911 * Math.abs(x));
  const y = 1 - ((((1.061405429 * t - 1.453152027) * t + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * Math.exp(-x * x);
  return x < 0 ? -y : y;
}

export function newTrackEstimate(): TrackEstimate {
  return { branch: -1, segment: -1, x: 0, y: 0, z: 0, arcLengthMm: 0, offCentrelineMm: 0, radiusMm: 0, confidence: 0, posterior: 0, shownInView: Number.NaN };
}
