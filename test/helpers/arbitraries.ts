// fast-check generators for valid wire messages (finite floats, the contract's ranges).
import fc from 'fast-check';
import type { FluoroSample, Guidance, TipSample } from '../../protocol/index.ts';

export const finite = (min = -5000, max = 5000) => fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
export const vec3 = fc.tuple(finite(), finite(), finite());
export const seq = fc.nat({ max: Number.MAX_SAFE_INTEGER });

export const tipSample: fc.Arbitrary<TipSample> = fc.record(
  {
    type: fc.constant('tip' as const),
    seq,
    t: finite(0, 1e9),
    p: vec3,
    q: fc.tuple(finite(-1, 1), finite(-1, 1), finite(-1, 1), finite(-1, 1)),
    quality: fc.constantFrom('ok' as const, 'missing' as const, 'out-of-view' as const),
  },
  { requiredKeys: ['type', 'seq', 't', 'p'] },
);

const geometry = fc.record({
  alpha: finite(-180, 180),
  beta: finite(-90, 90),
  sid: finite(1100, 1500),
  sod: finite(300, 1000),
  pixelSpacing: fc.tuple(finite(0.05, 1), finite(0.05, 1)),
  size: fc.tuple(fc.integer({ min: 1, max: 4096 }), fc.integer({ min: 1, max: 4096 })),
});

export const fluoroSample: fc.Arbitrary<FluoroSample> = fc.record(
  {
    type: fc.constant('fluoro' as const),
    seq,
    t: finite(0, 1e9),
    views: fc.array(fc.record({ u: finite(-1e4, 1e4), v: finite(-1e4, 1e4), geometry }), { minLength: 1, maxLength: 2 }),
    quality: fc.constantFrom('ok' as const, 'missing' as const, 'out-of-view' as const),
  },
  { requiredKeys: ['type', 'seq', 't', 'views'] },
);

export const guidance: fc.Arbitrary<Guidance> = fc.record({
  type: fc.constant('guidance' as const),
  seq,
  t: finite(0, 1e9),
  tip: fc.record({ p: vec3, branch: fc.string({ maxLength: 20 }), arcLengthMm: finite(0, 500), offCentrelineMm: finite(0, 50), confidence: finite(0, 1) }),
  response: fc.record({ p: finite(0, 1), source: fc.constantFrom('site' as const, 'interpolated' as const, 'model' as const) }),
  zone: fc.record(
    {
      state: fc.constantFrom('in' as const, 'approaching' as const, 'outside' as const, 'none-accessible' as const),
      zoneId: fc.string({ maxLength: 20 }),
      distanceMm: finite(0, 500),
      dwellS: finite(0, 3600),
      instruction: fc.constantFrom('hold' as const, 'advance' as const, 'withdraw' as const, 'switch-branch' as const, 'none' as const),
      targetBranch: fc.string({ maxLength: 20 }),
      text: fc.string({ maxLength: 200 }),
    },
    { requiredKeys: ['state', 'instruction', 'text'] },
  ),
  feed: fc.record({ state: fc.constantFrom('live' as const, 'stale' as const, 'lost' as const), rateHz: finite(0, 1000) }),
  registration: fc.record({ state: fc.constantFrom('none' as const, 'landmarks' as const, 'refined' as const), rmsMm: finite(0, 100) }, { requiredKeys: ['state'] }),
});

export const SAMPLE_GUIDANCE: Guidance = {
  type: 'guidance',
  seq: 12345,
  t: 81.234567,
  tip: { p: [61.2, 29.8, -34.1], branch: 'lat', arcLengthMm: 94.1, offCentrelineMm: 0.8, confidence: 0.97 },
  response: { p: 0.64, source: 'model' },
  zone: { state: 'in', zoneId: 'lat#1', distanceMm: 0, dwellS: 2.4, instruction: 'hold', text: 'IN TARGET ZONE' },
  feed: { state: 'live', rateHz: 100 },
  registration: { state: 'refined', rmsMm: 1.2 },
};
