// Is the measured tip free of any heartbeat right now? Over the last 1.5 s, how far the
// measurements stray from a smooth path (a quadratic in time per axis: a steady push, a slowing
// push and a gentle curve all fit one; a heartbeat does not: 1.5 s holds a whole beat down to 40 bpm).
// With clean or gated input the answer is yes, and then whatever motion the filter has fitted is
// not the heart's (a fast push leaves some in the harmonics, which would otherwise be taken out of
// the tip and move it off the vein).

export class StillnessGauge {
  private readonly t: Float64Array;
  private readonly y: Float64Array;
  private head = 0;
  private count = 0;

  constructor(private readonly dims: number, private readonly windowS = 1.5, private readonly capacity = 512) {
    this.t = new Float64Array(capacity);
    this.y = new Float64Array(capacity * dims);
  }

  add(t: number, y: ArrayLike<number>): void {
    const i = (this.head + this.count) % this.capacity;
    if (this.count === this.capacity) this.head = (this.head + 1) % this.capacity;
    else this.count++;
    this.t[i] = t;
    for (let a = 0; a < this.dims; a++) this.y[i * this.dims + a] = y[a]!;
    // Forget what is older than the window.
    while (this.count > 1 && t - this.t[this.head]! > this.windowS) { this.head = (this.head + 1) % this.capacity; this.count--; }
  }

  /**
   * RMS (over the axes) of the measurements about their least-squares quadratic in time over the
   * window, or NaN until the window holds at least 80 % of its length and 8 samples.
   */
  wobble(): number {
    const n = this.count;
    if (n < 8) return Number.NaN;
    const t0 = this.t[this.head]!, span = this.t[(this.head + n - 1) % this.capacity]! - t0;
    if (span < 0.8 * this.windowS) return Number.NaN;
    // Normal equations of y ≈ c0 + c1 s + c2 s² (s = (t − t0)/span ∈ [0, 1]), the same matrix for every axis.
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    for (let k = 0; k < n; k++) {
      const s = (this.t[(this.head + k) % this.capacity]! - t0) / span, q = s * s;
      s0 += 1; s1 += s; s2 += q; s3 += q * s; s4 += q * q;
    }
    let sum = 0;
    for (let a = 0; a < this.dims; a++) {
      // Centred on the first sample: the residual is not lost to cancellation against large coordinates.
      const origin = this.y[this.head * this.dims + a]!;
      let b0 = 0, b1 = 0, b2 = 0, yy = 0;
      for (let k = 0; k < n; k++) {
        const i = (this.head + k) % this.capacity;
        const s = (this.t[i]! - t0) / span, v = this.y[i * this.dims + a]! - origin;
        b0 += v; b1 += v * s; b2 += v * s * s; yy += v * v;
      }
      if (!solveSymmetric3(s0, s1, s2, s3, s4, b0, b1, b2, c)) return Number.NaN;
      // Residual sum of squares = yᵀy − cᵀb at the least-squares solution.
      sum += Math.max(0, yy - (c[0]! * b0 + c[1]! * b1 + c[2]! * b2)) / n;
    }
    return Math.sqrt(sum);
  }
}

/** The fit's coefficients, reused (the gauge runs on every sample). */
const c = new Float64Array(3);

/** Solve [[s0 s1 s2] [s1 s2 s3] [s2 s3 s4]] c = b into out (Cholesky: the matrix is positive definite); false when singular. */
function solveSymmetric3(s0: number, s1: number, s2: number, s3: number, s4: number, b0: number, b1: number, b2: number, out: Float64Array): boolean {
  const l00 = Math.sqrt(s0);
  if (!(l00 > 0)) return false;
  const l10 = s1 / l00, l20 = s2 / l00;
  const d1 = s2 - l10 * l10;
  if (!(d1 > 1e-12)) return false;
  const l11 = Math.sqrt(d1), l21 = (s3 - l20 * l10) / l11;
  const d2 = s4 - l20 * l20 - l21 * l21;
  if (!(d2 > 1e-12)) return false;
  const l22 = Math.sqrt(d2);
  // L z = b, then Lᵀ c = z.
  const z0 = b0 / l00, z1 = (b1 - l10 * z0) / l11, z2 = (b2 - l20 * z0 - l21 * z1) / l22;
  out[2] = z2 / l22;
  out[1] = (z1 - l21 * out[2]!) / l11;
  out[0] = (z0 - l10 * out[1]! - l20 * out[2]!) / l00;
  return true;
}
