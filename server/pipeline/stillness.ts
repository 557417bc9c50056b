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
  // The fit's sums over the window, kept as samples come and go (the fit runs on every sample; a
  // pass over the window's 150 samples was a sixth of motion compensation's cost), in time and
  // position from an origin that is moved to the oldest sample every two windows, when the sums are
  // rebuilt from scratch (what adding and removing leaves in the last bits does not build up).
  private originT = Number.NaN;
  private readonly originY: Float64Array;
  /** Σ τᵏ, k = 0..4 (τ = t − originT). */
  private readonly moments = new Float64Array(5);
  /** Per axis: Σv, Σv·τ, Σv·τ², Σv² (v = y − originY). */
  private readonly sums: Float64Array;

  constructor(private readonly dims: number, private readonly windowS = 1.5, private readonly capacity = 512) {
    this.t = new Float64Array(capacity);
    this.y = new Float64Array(capacity * dims);
    this.originY = new Float64Array(dims);
    this.sums = new Float64Array(4 * dims);
  }

  add(t: number, y: ArrayLike<number>): void {
    if (this.count === this.capacity) this.take(this.head, -1); // its slot is about to be reused
    const i = (this.head + this.count) % this.capacity;
    if (this.count === this.capacity) this.head = (this.head + 1) % this.capacity;
    else this.count++;
    this.t[i] = t;
    for (let a = 0; a < this.dims; a++) this.y[i * this.dims + a] = y[a]!;
    // Forget what is older than the window.
    while (this.count > 1 && t - this.t[this.head]! > this.windowS) {
      this.take(this.head, -1);
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
    if (!(t - this.originT <= 2 * this.windowS)) this.rebuild();
    else this.take(i, 1);
  }

  /** Add (sign 1) or remove (−1) sample slot i's share of the sums. */
  private take(i: number, sign: number): void {
    const d = this.dims, m = this.moments, b = this.sums;
    const tau = this.t[i]! - this.originT, q = tau * tau;
    m[0]! += sign; m[1]! += sign * tau; m[2]! += sign * q; m[3]! += sign * q * tau; m[4]! += sign * q * q;
    for (let a = 0; a < d; a++) {
      const v = this.y[i * d + a]! - this.originY[a]!;
      b[4 * a]! += sign * v; b[4 * a + 1]! += sign * v * tau; b[4 * a + 2]! += sign * v * q; b[4 * a + 3]! += sign * v * v;
    }
  }

  /** The origin moved to the oldest sample, every sum summed afresh. */
  private rebuild(): void {
    const d = this.dims;
    this.originT = this.t[this.head]!;
    for (let a = 0; a < d; a++) this.originY[a] = this.y[this.head * d + a]!;
    this.moments.fill(0);
    this.sums.fill(0);
    for (let k = 0, i = this.head; k < this.count; k++, i = i + 1 === this.capacity ? 0 : i + 1) this.take(i, 1);
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
    // Normal equations of v ≈ c0 + c1 τ + c2 τ², the same matrix for every axis (the residual does
    // not depend on where time and position are measured from).
    const m = this.moments, b = this.sums;
    let sum = 0;
    for (let a = 0; a < this.dims; a++) {
      const b0 = b[4 * a]!, b1 = b[4 * a + 1]!, b2 = b[4 * a + 2]!, yy = b[4 * a + 3]!;
      if (!solveSymmetric3(m[0]!, m[1]!, m[2]!, m[3]!, m[4]!, b0, b1, b2, c)) return Number.NaN;
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
