// One fluoroscopic view sees no depth: where the vein at the tip runs toward the beam, the place
// along it is all but unseen. Guidance then says how side-on the view shows the vein (`veinShown`)
// and names the nearest C-arm angles that show it side-on (`sideOn`); the display says so.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FORESHORTENED_BELOW } from '../../protocol/index.ts';
import { carmFrame, shownInView, sideOnView, SUGGESTED_VIEWS, viewDirection } from '../../server/pipeline/carm-geometry.ts';
import { VEIN_CHORD_HALF_MM } from '../../server/pipeline/tree-tracker.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { branchDirection, treeCentre } from '../../server/twin/vein-tree.ts';
import { conditionRuns } from '../../simulators/device/accuracy.ts';
import { applyMatrix, rigidMatrix } from '../../simulators/device/device-simulator.ts';
import { viewAdvice } from '../../client/src/display/guidance-panel.ts';
import { displayValidators, validateMessage, viewName, type Guidance } from '../../protocol/index.ts';

const unit = (v: number[]): number[] => { const n = Math.hypot(...v); return v.map((x) => x / n); };

describe('C-arm views and a direction', () => {
  it('the viewing direction is the C-arm frame\'s', () => {
    for (const [alpha, beta] of [[0, 0], [30, 0], [-25, 20], [45, -35]] as const) {
      const g = { alpha, beta, sid: 1100, sod: 750, pixelSpacing: [0.2, 0.2] as [number, number], size: [1024, 1024] as [number, number] };
      expect(viewDirection(alpha, beta)).toEqual(carmFrame(g).direction);
    }
  });

  it('a direction along the beam is shown not at all, one across it fully', () => {
    const along = viewDirection(30, 0);
    expect(shownInView(along, 30, 0)).toBeCloseTo(0, 6);
    expect(shownInView([0, 0, 1], 30, 0)).toBeCloseTo(1, 12); // cranio-caudal, in LAO 30 without angulation
    expect(shownInView(unit([1, 1, 0]), 45, 0)).toBeCloseTo(1, 12);
  });

  it('suggests the nearest angles that show a direction side-on, else the best there are', () => {
    const dir = viewDirection(30, 0); // a vein running straight along the LAO 30 beam
    const near = sideOnView(dir, { alpha: 30, beta: 0 });
    expect(near.shown).toBeGreaterThanOrEqual(0.9);
    expect(near.shown).toBeCloseTo(shownInView(dir, near.alpha, near.beta), 12);
    const move = Math.hypot(near.alpha - 30, near.beta);
    // No view on the grid that shows it as well is nearer.
    const { alphaDeg, betaDeg, stepDeg } = SUGGESTED_VIEWS;
    for (let a = -alphaDeg; a <= alphaDeg; a += stepDeg) for (let b = -betaDeg; b <= betaDeg; b += stepDeg) {
      if (shownInView(dir, a, b) >= 0.9) expect(Math.hypot(a - 30, b)).toBeGreaterThanOrEqual(move - 1e-9);
    }
    // Asked for more than any view gives: the one that shows it best.
    const best = sideOnView(dir, { alpha: 30, beta: 0 }, 2);
    for (let a = -alphaDeg; a <= alphaDeg; a += stepDeg) for (let b = -betaDeg; b <= betaDeg; b += stepDeg) expect(shownInView(dir, a, b)).toBeLessThanOrEqual(best.shown + 1e-12);
  });
});

describe('the display', () => {
  it('names views as the lab does', () => {
    expect(viewName({ alpha: 45, beta: -10 })).toBe('LAO 45 CAUD 10');
    expect(viewName({ alpha: -20, beta: 0 })).toBe('RAO 20');
    expect(viewName({ alpha: 0, beta: 25 })).toBe('AP CRAN 25');
  });

  it('says the vein is foreshortened, and which view shows it, when the server suggests one', () => {
    const g = (view: Guidance['view']): Guidance => ({ type: 'guidance', seq: 1, t: 1, tip: { p: [0, 0, 0], branch: 'cs', arcLengthMm: 0, offCentrelineMm: 0, confidence: 0.7 }, response: { p: 0.5, source: 'site' }, zone: { state: 'outside', instruction: 'advance', text: 'ADVANCE' }, feed: { state: 'live', rateHz: 15 }, registration: { state: 'landmarks' }, ...(view ? { view } : {}) });
    // Messages the wire schema takes (the new fields and their limits).
    expect(() => validateMessage(g({ alpha: 30, beta: 0, veinShown: 0.3, sideOn: { alpha: -5, beta: -35 } }), displayValidators)).not.toThrow();
    expect(() => validateMessage(g({ alpha: 30, beta: 0, veinShown: 1.2 }), displayValidators)).toThrow();
    expect(viewAdvice(g(undefined))).toBe('');
    expect(viewAdvice(g({ alpha: 30, beta: 0 }))).toBe(''); // biplane: no veinShown
    expect(viewAdvice(g({ alpha: 30, beta: 0, veinShown: 0.9 }))).toBe('');
    expect(viewAdvice(g({ alpha: 30, beta: 0, veinShown: 0.3, sideOn: { alpha: -5, beta: -35 } }))).toBe('VEIN FORESHORTENED IN THIS VIEW — PLACE ALONG IT UNCERTAIN · RAO 5 CAUD 35 SHOWS IT SIDE-ON');
    expect(viewAdvice(g({ alpha: 30, beta: 0, veinShown: 0.3 }))).toBe(''); // not (yet) for a moment: the server has not suggested a view
  });
});

describe('single-plane guidance on the second heart (its great cardiac vein runs toward the LAO 30 beam for 50 mm)', () => {
  let twin: Twin;
  beforeAll(async () => { twin = await loadTwinFile(new URL('../../data/bench-twins/second-heart.twin.json', import.meta.url).pathname, { loadModel: false }); });
  afterAll(() => twin.close());

  it('says how side-on the view shows the vein, and suggests angles that really show it side-on, calmly', async () => {
    let messages = 0, foreshortened = 0, advised = 0, wrongOff = 0, wrongOn = 0, spells = 0, spellsAdvised = 0;
    const d = new Float64Array(3), a = new Float64Array(3), b = new Float64Array(3);
    // The patient on the table turned against the CT's frame (35°), so that the C-arm frame is not the
    // twin's: the vein's direction has to be taken into the C-arm frame to suggest a view.
    const centre = treeCentre(twin.veins);
    const turned = applyMatrix(rigidMatrix([0.3, 1, 0.2], 35, [0, 0, 0]), centre);
    const twinToSource = rigidMatrix([0.3, 1, 0.2], 35, [-turned[0]!, -turned[1]!, -turned[2]!]);
    for await (const run of conditionRuns(twin, 'clean', 'fluoro-single', [1], { device: { twinToSource } })) {
      const m = run.registration.matrix;
      let lastBelowT = -Infinity, spellStart = NaN, spellAdvised = false;
      for (const g of run.guidance) {
        messages++;
        const v = g.view!;
        expect(v.veinShown).toBeGreaterThanOrEqual(0);
        // The reported vein's direction, in the C-arm frame (the registration's rotation transposed).
        const branch = twin.veins.branches.find((x) => x.id === g.tip.branch)!;
        expect(branchDirection(twin.veins, branch, g.tip.arcLengthMm, VEIN_CHORD_HALF_MM, d, a, b)).toBe(true);
        const c = [m[0]! * d[0]! + m[4]! * d[1]! + m[8]! * d[2]!, m[1]! * d[0]! + m[5]! * d[1]! + m[9]! * d[2]!, m[2]! * d[0]! + m[6]! * d[1]! + m[10]! * d[2]!];
        // veinShown is against the ray through the tip, not the central beam: close, not equal.
        expect(Math.abs(v.veinShown! - shownInView(c, v.alpha, v.beta))).toBeLessThan(0.2);
        const below = v.veinShown! < FORESHORTENED_BELOW;
        if (below) { foreshortened++; lastBelowT = g.t; }
        if (v.sideOn) {
          advised++;
          expect(shownInView(c, v.sideOn.alpha, v.sideOn.beta)).toBeGreaterThan(0.6);
          // Only while the vein is foreshortened (below 0.6 once advised), or within the advice's 2 s hold after it was.
          if (v.veinShown! >= 0.6) expect(g.t - lastBelowT).toBeLessThanOrEqual(2.05);
        }
        // Every spell of at least half a second foreshortened gets the advice.
        if (below && Number.isNaN(spellStart)) { spellStart = g.t; spellAdvised = false; }
        if (below && v.sideOn) spellAdvised = true;
        if (!below && !Number.isNaN(spellStart)) {
          if (g.t - spellStart >= 0.5) { spells++; if (spellAdvised) spellsAdvised++; }
          spellStart = NaN;
        }
        // Where the tip is far off, the view was mostly foreshortening the vein.
        const tr = run.truths.get(g.seq)!;
        if (Math.hypot(g.tip.p[0] - tr.p[0], g.tip.p[1] - tr.p[1], g.tip.p[2] - tr.p[2]) > 5) { if (v.sideOn) wrongOn++; else wrongOff++; }
      }
    }
    expect(foreshortened).toBeGreaterThan(0.03 * messages);
    expect(advised).toBeGreaterThan(0.5 * foreshortened);
    expect(spells).toBeGreaterThan(0);
    expect(spellsAdvised).toBe(spells);
    expect(wrongOn).toBeGreaterThan(wrongOff);
  }, 120_000);

  it('biplane and EAM guidance carry no veinShown', async () => {
    for (const feed of ['fluoro-biplane', 'eam'] as const) {
      for await (const run of conditionRuns(twin, 'clean', feed, [1])) for (const g of run.guidance) expect(g.view?.veinShown).toBeUndefined();
    }
  }, 120_000);
});
