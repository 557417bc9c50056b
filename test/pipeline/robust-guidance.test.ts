// Guidance that stays right where it was never tuned: clean input is the best case, a departure
// from the believed branch is reported within the decision lag (the tracker's belief cannot hide
// the evidence against it), confidence means what it says, the twin's acquisition phase is
// honoured, and the lab's ECG and respiratory signals are used when they come.
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_TRACKER_OPTIONS } from '../../server/pipeline/tree-tracker.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { CONDITIONS, twinFor, type ConditionName } from '../../simulators/device/conditions.ts';
import type { FeedKind } from '../../simulators/device/device-simulator.ts';
import { PUSH_PAUSE } from '../../simulators/device/hand.ts';
import { WALL_CONTACT } from '../../simulators/device/wall-contact.ts';
import { beatShape, HeartMotion } from '../../simulators/device/heart-motion.ts';
import { runScenario, type ScenarioRun } from '../../simulators/device/run-scenario.ts';
import type { ScenarioName } from '../../simulators/device/scenarios.ts';
import { UNSEEN_VARIANTS } from '../../simulators/device/unseen-variants.ts';
import { conditionDevice } from '../../simulators/device/accuracy.ts';
import { CONFIDENT, isSureAndWrong, JUNCTION_TOLERANCE_MM, poolRuns, scoreGuidance, tipErrorMm } from '../../simulators/device/score.ts';

let demo: Twin;
beforeAll(async () => { demo = await loadTwinFile(fileURLToPath(new URL('../../data/twins/demo.twin.json', import.meta.url))); });
afterAll(async () => { await demo.close(); });

/** A scenario under a named condition, on a seed the pipeline was never tuned on. */
function underCondition(name: ConditionName, scenario: ScenarioName, feed: FeedKind = 'eam', seed = 21): Promise<ScenarioRun> {
  const c = CONDITIONS[name];
  return runScenario(twinFor(demo, c), scenario, feed, {
    device: { seed, ...c.device(seed) },
    ...(c.landmarkNoiseMm !== undefined ? { landmarkNoiseMm: c.landmarkNoiseMm } : {}),
    ...(c.plan ? { plan: (plan) => c.plan!(demo, plan, seed) } : {}),
  });
}


/** The longest stretch (s) over which the reported branch is wrong while the truth is clear of every junction. */
function longestWrongBranch(run: ScenarioRun): number {
  let longest = 0, since = Number.NaN;
  for (const g of run.guidance) {
    const truth = run.truths.get(g.seq)!;
    const wrong = g.tip.branch !== truth.branch && truth.junctionMm > JUNCTION_TOLERANCE_MM;
    if (wrong && Number.isNaN(since)) since = g.t;
    if (!wrong) since = Number.NaN;
    if (wrong) longest = Math.max(longest, g.t - since);
  }
  return longest;
}

describe('clean input is the best case', () => {
  it("the issue's worst moment: into the wrong vein and back on clean input is followed within the decision lag, never confidently wrong", async () => {
    for (const scenario of ['wrong-branch-then-correct', 'tour'] as const) {
      const run = await underCondition('clean', scenario);
      // Past the junction tolerance, the reported branch follows the lead at once: the lag, and one sample.
      expect(longestWrongBranch(run), scenario).toBeLessThanOrEqual(DEFAULT_TRACKER_OPTIONS.decisionLagS + 0.02);
      const confidentlyWrong = run.guidance.filter((g) => {
        const truth = run.truths.get(g.seq)!;
        return isSureAndWrong(g, truth);
      });
      expect(confidentlyWrong, scenario).toEqual([]);
      const figures = scoreGuidance(run.guidance, run.truths);
      expect(figures.tipErrorMedianMm, scenario).toBeLessThan(0.1);
      expect(figures.branchAccuracy, scenario).toBeGreaterThanOrEqual(0.995);
    }
  });

  it('clean biplane fluoro too: no heartbeat is made up from the hand, and the branch follows the lead out of the ostium', async () => {
    // Where the middle cardiac vein leaves the sinus 2 mm from the ostium the two run side by side
    // for 10 mm. The catheter's own pull-backs and pushes once read as a heart rate (a peak on the
    // skirt of slow movement at the band's low edge) and kept compensation "unsettled": the shown
    // branch lagged the lead by 0.5–0.7 s there, 1.4 % of all samples wrong (now 0.5 %).
    const runs = await Promise.all((['wrong-branch-then-correct', 'tour'] as const).map((scenario) => underCondition('clean', scenario, 'fluoro-biplane')));
    for (const run of runs) expect(longestWrongBranch(run)).toBeLessThan(0.5);
    const { guidance, truths } = poolRuns(runs);
    const figures = scoreGuidance(guidance, truths);
    expect(figures.branchAccuracy).toBeGreaterThanOrEqual(0.993);
    expect(figures.tipErrorP95Mm).toBeLessThan(1.2);
    expect(figures.confidentlyWrongRate).toBe(0);
  });

  it('a hand that pushes and pauses on clean input: its rhythm is not taken for a heartbeat', async () => {
    // The push-pause hand (2–5 mm pushes at 2.5× the plan's speed, 0.3–1.5 s pauses, pull-backs)
    // with no motion and no noise. Its pushes come about once a second, and the heart's band is
    // read from the signal's velocity: they read as a heart rate, and the harmonics fitted to them
    // were taken out of the tip (EAM p95 1.9 mm, median 0.08 mm). A rhythm along the vessel only
    // is the hand's: the heart moves the vessel across itself too.
    const c = CONDITIONS.clean, seed = 21;
    const runs = await Promise.all((['wrong-branch-then-correct', 'tour'] as const).map((scenario) => runScenario(twinFor(demo, c), scenario, 'eam', { device: { seed, ...c.device(seed), hand: PUSH_PAUSE }, landmarkNoiseMm: 0 })));
    const { guidance, truths } = poolRuns(runs);
    const figures = scoreGuidance(guidance, truths);
    expect(figures.tipErrorMedianMm).toBeLessThan(0.05);
    expect(figures.tipErrorP95Mm).toBeLessThan(1);
    expect(figures.confidentlyWrongRate).toBe(0);
  });

  it('a lead resting on the wall of a wide vein on clean input: its place along the vein stays right, and nothing is shown sure and wrong', async () => {
    // The tip 2-3 mm off the sinus's centreline (wall-contact.ts), shown on the centreline: scored
    // at the tip itself the error is mostly that offset, so the place along the vein is scored
    // against the tip's place on the centreline (centrelineP). (The tracker's unit test walks the
    // bend where this place once stuck; on training seeds 1-4 its p95 was 2.35 mm, now 1.69 mm.)
    const c = CONDITIONS.clean, seed = 21;
    const runs = await Promise.all((['wrong-branch-then-correct', 'tour'] as const).map((scenario) => runScenario(twinFor(demo, c), scenario, 'eam', { device: { seed, ...c.device(seed), wallContact: WALL_CONTACT }, landmarkNoiseMm: 0 })));
    const { guidance, truths } = poolRuns(runs);
    const atTip = scoreGuidance(guidance, truths);
    const onCentreline = scoreGuidance(guidance, new Map([...truths].map(([seq, truth]) => [seq, { ...truth, p: truth.centrelineP! }])));
    expect([...truths.values()].every((t) => t.centrelineP !== undefined)).toBe(true);
    expect(atTip.confidentlyWrongRate).toBe(0);
    expect(onCentreline.confidentlyWrongRate).toBe(0);
    // (0.1 mm until the twenty-seventh session. The registration's error learnt from the veins
    // takes a lead resting on one side of the lumen for part of a registration error, here where
    // the registration is exact: the median along the vein 0.045 → 0.198 mm (p95 1.97 → 1.96), the price of taking
    // 0.1–0.4 mm off every registration that is not exact; weighting wide veins down to spare
    // it lost most of that gain: docs/journal.md.)
    expect(onCentreline.tipErrorMedianMm).toBeLessThan(0.25);
    expect(onCentreline.tipErrorP95Mm).toBeLessThan(2.5);
  });

  it('excursions into the wrong vein at forks are reported, not filtered away, under physiological motion', async () => {
    const run = await underCondition('excursions', 'reach-lateral-zone');
    // Each excursion is 5–25 mm: the reported branch must go there too.
    const visited = new Set(run.guidance.map((g) => g.tip.branch));
    const truly = new Set([...run.truths.values()].filter((t) => t.junctionMm > 4).map((t) => t.branch));
    for (const branch of truly) expect(visited, `reported branches ${[...visited].join(', ')}`).toContain(branch);
  });
});

describe('the breath cannot hold the lead where the tracker believes it', () => {
  it('a lead advanced up a kinked vein that turns into the breathing axis is followed there, and never shown sure where it is not', async () => {
    // Second heart, `standard` (8 mm heart, 5 mm breath), seed 79, reach-lateral-zone: the lead
    // stops at 175.8 mm along the great cardiac vein, whose centreline kinks (52°, 72°, 46° within
    // 12 mm) into the breathing axis there. Held to the tracker's place 11 mm behind, the filter took
    // the lead's offset across that vessel as the free-form breath: shown 8.5 mm off to the end of
    // the run, sure (≥ 0.8) for 168 samples. Now a breath held beyond end-expiration lets the
    // vessel go within a second, and b's floor after a breath (counted as spread until then).
    // (Measured before: 168 sure and wrong, last half second 8.5 mm off, the run's p95 8.7 mm; now
    // none, 1.0 mm, p95 4.9 mm; with the floor alone: none, 0.9 mm, p95 8.7 mm.)
    const second = await loadTwinFile(fileURLToPath(new URL('../../data/bench-twins/second-heart.twin.json', import.meta.url)), { loadModel: false });
    try {
      const c = CONDITIONS.standard, seed = 79;
      const run = await runScenario(twinFor(second, c), 'reach-lateral-zone', 'eam', { device: { seed, ...c.device(seed) } });
      const sureAndWrong = run.guidance.filter((g) => {
        const truth = run.truths.get(g.seq)!;
        return isSureAndWrong(g, truth);
      });
      expect(sureAndWrong.length).toBe(0);
      const end = run.guidance.at(-1)!.t;
      const last = run.guidance.filter((g) => g.t > end - 0.5).map((g) => tipErrorMm(g, run.truths.get(g.seq)!)).sort((a, b) => a - b);
      expect(run.truths.get(run.guidance.at(-1)!.seq)!.arcLengthMm).toBeGreaterThan(175);
      expect(last[last.length >> 1]).toBeLessThan(2);
    } finally {
      await second.close();
    }
  });
});

describe('confidence means what it says', () => {
  it('samples reported with confidence ≥ 0.8 are right far more often than those below it, in every condition tried', async () => {
    for (const name of ['physiological', 'push-pause', 'outliers'] as const) {
      const figures = scoreGuidance(...(await underCondition(name, 'wrong-branch-then-correct').then((r) => [r.guidance, r.truths] as const)));
      const confident = figures.calibration.filter((b) => b.from >= CONFIDENT);
      const samples = confident.reduce((n, b) => n + b.samples, 0);
      const right = confident.reduce((n, b) => n + b.right * b.samples, 0) / samples;
      expect(right, name).toBeGreaterThan(0.995);
      expect(figures.confidentlyWrongRate, name).toBeLessThan(0.005);
    }
  });

  it('on hearts, breathing and noise no condition draws, the tip is less accurate but nothing is shown sure and wrong', async () => {
    // bench:robustness (seeds 26–29, eleven variants, EAM and biplane, both hearts): at most
    // 0.015 % of samples sure and wrong, while a 15 mm breath more than doubles the p95.
    const c = CONDITIONS.physiological, seed = 26;
    const chosen = UNSEEN_VARIANTS.filter((v) => ['af', 'deep-breath', 'ap-breath', 'noise-1.5'].includes(v.name));
    expect(chosen).toHaveLength(4);
    for (const variant of chosen) {
      const run = await runScenario(twinFor(demo, c), 'tour', 'eam', { device: conditionDevice('physiological', seed, variant) });
      const figures = scoreGuidance(run.guidance, run.truths);
      expect(figures.confidentlyWrongRate, variant.name).toBeLessThanOrEqual(0.001);
      // Less sure where it is less right: no more samples at ≥ 0.8 than it has right ones.
      const sure = run.guidance.filter((g) => g.tip.confidence >= CONFIDENT).length / run.guidance.length;
      expect(sure, variant.name).toBeLessThanOrEqual(figures.branchAccuracy);
    }
  });

  it('a single fluoroscopic view never claims to be sure (it cannot see depth)', async () => {
    const run = await underCondition('standard', 'reach-lateral-zone', 'fluoro-single');
    expect(Math.max(...run.guidance.map((g) => g.tip.confidence))).toBeLessThan(CONFIDENT);
  });
});

describe("the twin's acquisition phase", () => {
  it('a twin imaged at the mean phase, and saying so, is tracked as well as one at end-diastole', async () => {
    const told = scoreGuidance(...(await underCondition('sinusoidal', 'reach-lateral-zone').then((r) => [r.guidance, r.truths] as const)));
    // The same motion with the twin silent about it (the default, end-diastole, end-expiration, assumed).
    const c = CONDITIONS.sinusoidal;
    const untold = await runScenario(demo, 'reach-lateral-zone', 'eam', { device: { seed: 21, ...c.device(21) } });
    const wrongPhase = scoreGuidance(untold.guidance, untold.truths);
    expect(told.tipErrorMedianMm).toBeLessThan(1);
    expect(wrongPhase.tipErrorMedianMm).toBeGreaterThan(told.tipErrorMedianMm * 1.5);
  });
});

describe("the lab's ECG and respiratory signals", () => {
  it('with R waves and a respiratory amplitude, an irregular heart and varying breathing are followed better than without', async () => {
    // Four seeds, averaged: on one seed alone the medians can come out level (seed 21: 1.183 mm with
    // the signals, 1.171 without).
    const c = CONDITIONS['physiological-signals'];
    const mean = { with: { median: 0, p95: 0 }, without: { median: 0, p95: 0 } };
    const seeds = [21, 22, 23, 24];
    for (const seed of seeds) {
      const withSignals = scoreGuidance(...(await underCondition('physiological-signals', 'reach-lateral-zone', 'eam', seed).then((r) => [r.guidance, r.truths] as const)));
      const { signals: _none, ...device } = c.device(seed);
      const without = await runScenario(demo, 'reach-lateral-zone', 'eam', { device: { seed, ...device } });
      const withoutSignals = scoreGuidance(without.guidance, without.truths);
      mean.with.median += withSignals.tipErrorMedianMm / seeds.length;
      mean.with.p95 += withSignals.tipErrorP95Mm / seeds.length;
      mean.without.median += withoutSignals.tipErrorMedianMm / seeds.length;
      mean.without.p95 += withoutSignals.tipErrorP95Mm / seeds.length;
    }
    // Measured: median 1.10 mm with the signals against 1.39 without, p95 4.71 against 5.52 (p95
    // is held up on both sides by the same stretch of this scenario: 4.69 mm on four of the eight runs).
    expect(mean.with.p95).toBeLessThan(mean.without.p95);
    expect(mean.with.median).toBeLessThan(0.9 * mean.without.median);
  });
});

describe('the simulated heart and breath', () => {
  it('a beat: systole quick, diastasis still, back to end-diastole at the next R wave', () => {
    expect(beatShape(0)).toBe(0);
    expect(beatShape(0.35)).toBeCloseTo(1, 6);
    // Diastasis barely moves; systole covers the whole range in a third of the beat.
    expect(Math.abs(beatShape(0.8) - beatShape(0.6))).toBeLessThan(0.1);
    expect(beatShape(0.999)).toBeLessThan(0.01);
  });

  it('an ectopic beat is premature and its pause compensatory; schedules do not depend on what was asked first', () => {
    const spec = { waveform: 'physiological' as const, cardiacHz: 1, cardiacMm: 8, respiratoryHz: 0.25, respiratoryMm: 5, ectopicFraction: 0.3, rrVariability: 0, seed: 5 };
    const a = new HeartMotion(demo, spec);
    const b = new HeartMotion(demo, spec);
    b.respiratory(100); // breaths first: the beats must come out the same
    const rA = a.rWaves(0, 60), rB = b.rWaves(0, 60);
    expect(rB).toEqual(rA);
    const rr = rA.slice(1).map((t, k) => t - rA[k]!);
    const premature = rr.findIndex((x) => x < 0.7);
    expect(premature).toBeGreaterThanOrEqual(0);
    expect(rr[premature]! + rr[premature + 1]!).toBeCloseTo(2, 6);
  });
});

describe('twin info says when the twin was imaged', () => {
  it('the bundle\'s acquisition, or the default said as such', async () => {
    const { summariseTwin } = await import('../../server/twin/twin-summary.ts');
    expect(summariseTwin(demo).acquisition).toBe('end-diastole, end-expiration (the default: the bundle does not say)');
    expect(summariseTwin({ ...demo, meta: { ...demo.meta, acquisition: { cardiac: { percentRR: 75 }, respiratory: 'mean' } } }).acquisition).toBe('75 % RR, mean breathing');
  });
});
