// Every limit and default of the service in one place, with safe values. Servers, loaders and
// tools take a partial override and fill the rest from here, so a limit is never silently absent.

export interface Limits {
  /** Largest accepted wire frame (one msgpack message), bytes. */
  readonly maxFrameBytes: number;
  /** Largest accepted twin bundle file, bytes. */
  readonly maxTwinFileBytes: number;
  /** Largest embedded ONNX model, bytes (after base64 decoding). */
  readonly maxModelBytes: number;
  /** Count limits of a twin: surface vertices (per surface), vein nodes, sites, features per site. */
  readonly maxSurfaceVertices: number;
  readonly maxVeinNodes: number;
  readonly maxSites: number;
  readonly maxFeatures: number;
  /** A site further than this from its branch's centreline is refused (DESIGN: sites lie on the veins). */
  readonly siteMaxOffCentrelineMm: number;
  /** A site's stated arc length may differ from the arc length of its projection by this much. */
  readonly siteArcLengthToleranceMm: number;
  /** The model must reproduce each site's stored p within this. */
  readonly modelTolerance: number;
  /** Fluoro frames carry one view (single plane) or two (biplane). */
  readonly maxFluoroViews: number;
  /** Feed ordering: samples held back to restore order, and how far back in time a sample may arrive. */
  readonly reorderWindowSamples: number;
  readonly reorderWindowS: number;
  /** Feed state: `stale` after this gap in sample time, `lost` after the second. */
  readonly feedStaleAfterS: number;
  readonly feedLostAfterS: number;
  /** Highest accepted sample rate per feed (a flood above it is rejected and counted). */
  readonly maxFeedRateHz: number;
  /** Display throttle: latest-wins, at most this rate per display. */
  readonly displayMaxHz: number;
  readonly maxProcedures: number;
  readonly maxDisplaysPerProcedure: number;
  /** Recording limits per procedure and for the recordings directory. */
  readonly maxRecordingBytes: number;
  /** A recorded procedure writes a checkpoint of its pipeline's state every this many inputs (resume replays at most that many). */
  readonly checkpointEveryInputs: number;
  readonly maxRecordings: number;
  /**
   * From one sample to the next, a feed's time may run ahead of the time that passed on the
   * server's clock by at most this (a pause moves both; a corrupt time of years moves only one).
   */
  readonly maxFeedClockJumpS: number;
  /** …and step back by at most this (reordering is far less); beyond, the feed must send a reset. */
  readonly maxFeedClockStepBackS: number;
}

export const DEFAULT_LIMITS: Limits = Object.freeze({
  maxFrameBytes: 64 * 1024,
  maxTwinFileBytes: 256 * 1024 * 1024,
  maxModelBytes: 16 * 1024 * 1024,
  maxSurfaceVertices: 2_000_000,
  maxVeinNodes: 200_000,
  maxSites: 100_000,
  maxFeatures: 64,
  siteMaxOffCentrelineMm: 1,
  siteArcLengthToleranceMm: 2,
  modelTolerance: 1e-4,
  maxFluoroViews: 2,
  reorderWindowSamples: 16,
  reorderWindowS: 0.1,
  feedStaleAfterS: 0.25,
  feedLostAfterS: 2,
  maxFeedRateHz: 250,
  displayMaxHz: 60,
  maxProcedures: 64,
  maxDisplaysPerProcedure: 32,
  maxRecordingBytes: 2 * 1024 * 1024 * 1024,
  checkpointEveryInputs: 3000,
  maxRecordings: 10_000,
  maxFeedClockJumpS: 60,
  maxFeedClockStepBackS: 10,
});

/**
 * The range each limit may be configured to: a limit outside it (zero, negative, absurdly large)
 * would silently switch a protection off or make it useless, so the configuration is refused.
 */
export const LIMIT_RANGES: { readonly [K in keyof Limits]: readonly [min: number, max: number] } = Object.freeze({
  maxFrameBytes: [256, 16 * 1024 * 1024],
  maxTwinFileBytes: [1024, 4 * 1024 ** 3],
  maxModelBytes: [1024, 1024 ** 3],
  maxSurfaceVertices: [3, 50_000_000],
  maxVeinNodes: [2, 10_000_000],
  maxSites: [1, 10_000_000],
  maxFeatures: [1, 4096],
  siteMaxOffCentrelineMm: [0.01, 50],
  siteArcLengthToleranceMm: [0.01, 50],
  modelTolerance: [1e-9, 0.5],
  maxFluoroViews: [1, 2],
  reorderWindowSamples: [0, 4096],
  reorderWindowS: [0, 10],
  feedStaleAfterS: [0.01, 60],
  feedLostAfterS: [0.02, 600],
  maxFeedRateHz: [1, 1_000_000],
  displayMaxHz: [1, 1000],
  maxProcedures: [1, 100_000],
  maxDisplaysPerProcedure: [1, 100_000],
  maxRecordingBytes: [1024, 1024 ** 4],
  checkpointEveryInputs: [100, 10_000_000],
  maxRecordings: [1, 10_000_000],
  maxFeedClockJumpS: [1, 24 * 3600],
  maxFeedClockStepBackS: [0.1, 3600],
});

/**
 * What a real device can produce. The wire schemas use these, so a number that passes validation
 * is one the pipeline, the recorder and the displays can carry (1e300 is finite, but no clock or
 * catheter produces it, and it overflows what they compute from it).
 */
export const PHYSICAL_BOUNDS = Object.freeze({
  /** A coordinate of a position in a tracker's or the twin's frame, mm: a cath lab is smaller than ±5 m. */
  positionAbsMm: 5000,
  /**
   * A sample time, s: any clock a feed may use (seconds since its start, since the Unix epoch, or
   * OpenIGTLink's unsigned 32-bit seconds) is within ±2^32 s; t × 1e9 then fits a 64-bit ns time.
   */
  sampleTimeAbsS: 2 ** 32,
  /** A quaternion component (unit quaternions; float32 round-off allowed). */
  quaternionAbs: 1.001,
  /** C-arm geometry: source-to-image and source-to-isocentre distances, mm (clinical C-arms: SID 900–1300). */
  sidMm: [300, 2500] as const,
  sodMm: [200, 2000] as const,
  /** Detector pixel spacing, mm. */
  pixelSpacingMm: [0.01, 5] as const,
  /** A detected tip's pixel coordinate: within a generous margin around the largest image. */
  pixelAbs: 65536,
});

/** Limits checked against LIMIT_RANGES: throws a RangeError naming the first limit out of range. */
export function checkLimits(limits: Limits): Limits {
  for (const key of Object.keys(LIMIT_RANGES) as (keyof Limits)[]) {
    const value = limits[key];
    const [min, max] = LIMIT_RANGES[key];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new RangeError(`limit ${key} = ${String(value)} is outside ${min}…${max}`);
    }
  }
  for (const key of Object.keys(limits)) if (!Object.hasOwn(LIMIT_RANGES, key)) throw new RangeError(`unknown limit '${key}'`);
  if (limits.feedLostAfterS <= limits.feedStaleAfterS) throw new RangeError('limit feedLostAfterS must be greater than feedStaleAfterS');
  return limits;
}

export function withLimits(overrides?: Partial<Limits>): Limits {
  return Object.freeze({ ...DEFAULT_LIMITS, ...overrides });
}

/** Defaults for a twin's `guidance` section when the bundle leaves a value out. */
export const GUIDANCE_DEFAULTS = Object.freeze({
  responseThreshold: 0.5,
  /** A 4 French quadripolar LV lead is ~1.3 mm; 5F ~1.7 mm. */
  leadDiameterMm: 1.7,
  minVeinDiameterMm: 2.0,
  dwellTimeS: 3,
});

/** Network defaults (DESIGN: HTTP on 127.0.0.1:8080, OpenIGTLink on 18944). */
export const NETWORK_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  httpPort: 8080,
  igtlPort: 18944,
});

/** Ids that become file names or URL segments: letters, digits, `.`, `_`, `-`; no leading dot. */
export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$';
