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
  readonly maxRecordings: number;
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
  maxRecordings: 10_000,
});

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
