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
  /** Per axis: Σv, Σv·s, Σv·s², Σv² over the window, then each axis's origin (wobble's scratch). */
  private readonly sums: Float64Array;

  constructor(private readonly dims: number, private readonly windowS = 1.5, private readonly capacity = 512) {
    this.t = new Float64Array(capacity);
    this.y = new Float64Array(capacity * dims);
    this.sums = new Float64Array(5 * dims);
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
    // Normal equations of y ≈ c0 + c1 s + c2 s² (s = (t − t0)/span ∈ [0, 1]), the same matrix for
    // every axis; one pass over the window gathers the matrix and every axis's sums.
    // Centred on the first sample: the residual is not lost to cancellation against large coordinates.
    const d = this.dims, b = this.sums, ts = this.t, ys = this.y, cap = this.capacity, head = this.head;
    b.fill(0);
    for (let a = 0; a < d; a++) b[4 * d + a] = ys[head * d + a]!;
    let s0 = 0, s1 = 0, s2 = 0, s3 = 0, s4 = 0;
    for (let k = 0, i = head; k < n; k++, i = i + 1 === cap ? 0 : i + 1) {
      const s = (ts[i]! - t0) / span, q = s * s;
      s0 += 1; s1 += s; s2 += q; s3 += q * s; s4 += q * q;
      for (let a = 0; a < d; a++) {
        const v = ys[i * d + a]! - b[4 * d + a]!;
        b[4 * a]! += v; b[4 * a + 1]! += v * s; b[4 * a + 2]! += v * s * s; b[4 * a + 3]! += v * v;
      }
    }
    let sum = 0;
    for (let a = 0; a < d; a++) {
      const b0 = b[4 * a]!, b1 = b[4 * a + 1]!, b2 = b[4 * a + 2]!, yy = b[4 * a + 3]!;
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
