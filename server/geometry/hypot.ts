// Euclidean lengths for the per-sample path. Node's Math.hypot is a builtin that TurboFan does not
// reduce: every call allocates a scratch array of its arguments' magnitudes, ~16–32 bytes, and the
// pipeline calls it a dozen times a sample (bench/pipeline.bench.ts counts the bytes). These give
// the same result bit for bit (test/geometry/hypot.test.ts checks it against Math.hypot): the
// magnitudes scaled by the largest, their squares summed with Kahan's compensation, the root scaled
// back. Same result matters: a changed last bit can change a branch decision, and held-out figures
// are compared byte for byte between versions.

/** Math.hypot(a, b), without its allocation. */
export function hypot2(a: number, b: number): number {
  return hypotOf(a, b, 0, false);
}

/** Math.hypot(a, b, c), without its allocation. */
export function hypot3(a: number, b: number, c: number): number {
  return hypotOf(a, b, c, true);
}

/** Math.hypot of a and b, and of c too when `three` (a two-term hypot must not add a third term: the sum's last bit could change). */
function hypotOf(a: number, b: number, c: number, three: boolean): number {
  const infinite = a === Infinity || a === -Infinity || b === Infinity || b === -Infinity || (three && (c === Infinity || c === -Infinity));
  if (infinite) return Infinity;
  if (Number.isNaN(a) || Number.isNaN(b) || (three && Number.isNaN(c))) return Number.NaN;
  const x = Math.abs(a), y = Math.abs(b), z = three ? Math.abs(c) : 0;
  let max = x > y ? x : y;
  if (z > max) max = z;
  if (max === 0) return 0;
  const nx = x / max, ny = y / max, nz = z / max;
  // Kahan's compensated sum of the squares, in the builtin's order.
  let sum = 0, compensation = 0;
  let summand = nx * nx - compensation;
  let preliminary = sum + summand;
  compensation = preliminary - sum - summand;
  sum = preliminary;
  summand = ny * ny - compensation;
  preliminary = sum + summand;
  compensation = preliminary - sum - summand;
  sum = preliminary;
  if (three) {
    summand = nz * nz - compensation;
    sum += summand;
  }
  return Math.sqrt(sum) * max;
}
