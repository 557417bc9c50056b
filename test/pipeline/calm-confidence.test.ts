// The display withholds the instruction and says LOW CONFIDENCE whenever the confidence is below
// its threshold, at once (saying so is never delayed). Sample by sample, how the place fits the
// veins (near its vein; no other vein as near) follows each noisy observation, and in motion the
// banner came and went 120–200 times a minute: no physician can read that. The fit now counts
// smoothed over the tracker's fitTauS; the place itself is unchanged.
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Guidance } from '../../protocol/index.ts';
import { loadTwinFile } from '../../server/twin/load-twin.ts';
import type { Twin } from '../../server/twin/twin.ts';
import { DEFAULT_TRACKER_OPTIONS } from '../../server/pipeline/tree-tracker.ts';
import { CONDITIONS } from '../../simulators/device/conditions.ts';
import { runScenario } from '../../simulators/device/run-scenario.ts';

let twin: Twin;
beforeAll(async () => { twin = await loadTwinFile(new URL('../../data/twins/demo.twin.json', import.meta.url).pathname); });
afterAll(() => twin.close());

const low = (g: Guidance): boolean => g.zone.text.startsWith('LOW CONFIDENCE');
const turns = (guidance: readonly Guidance[]): number => guidance.reduce((n, g, i) => n + (i > 0 && low(g) !== low(guidance[i - 1]!) ? 1 : 0), 0);

it('does not turn LOW CONFIDENCE on and off with every noisy sample (demo twin, a physiological heart and breath)', async () => {
  // Training seeds (the bench's held-out seeds are 11–13).
  const run = (seed: number, fitTauS: number) => runScenario(twin, 'reach-lateral-zone', 'eam', {
    device: { seed, ...CONDITIONS.physiological.device(seed) },
    // (Without the display's confidence band, which calms the banner further: confidence-band.test.ts.)
    pipeline: { tracker: { fitTauS }, guidance: { confidenceBand: 0 } },
  });
  let sampleBySample = 0, smoothed = 0, lowBefore = 0, lowNow = 0;
  for (const seed of [1, 2]) {
    const a = await run(seed, 1e-9);
    const b = await run(seed, DEFAULT_TRACKER_OPTIONS.fitTauS);
    sampleBySample += turns(a.guidance);
    smoothed += turns(b.guidance);
    lowBefore += a.guidance.filter(low).length;
    lowNow += b.guidance.filter(low).length;
    // Only what is claimed about the place changed.
    expect(b.guidance.map((g) => g.tip.arcLengthMm)).toEqual(a.guidance.map((g) => g.tip.arcLengthMm));
  }
  // Measured: 254 turns sample by sample, 124 smoothed; 2502 and 2488 samples shown as LOW
  // CONFIDENCE (training seeds 1–4 with the bench's three scenarios: 188 → 86 turns a minute).
  expect(sampleBySample).toBeGreaterThan(100);
  expect(smoothed).toBeLessThan(0.6 * sampleBySample);
  expect(Math.abs(lowNow - lowBefore)).toBeLessThan(0.1 * lowBefore);
}, 300_000);
