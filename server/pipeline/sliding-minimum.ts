// The smallest value over a trailing time window, in constant time per sample: a monotonic queue
// (each value stays only while nothing newer is smaller), in typed arrays so that a sample
// allocates nothing. The window may change from one query to the next (it follows a rate read from
// the signal). When more values would be queued than it holds, the oldest is dropped: the minimum
// is then over a slightly shorter window, never a made-up value.

export class SlidingMinimum {
  private readonly t: Float64Array;
  private readonly v: Float64Array;
  private head = 0;
  private count = 0;
  /** When the values began (NaN: none yet): the window is whole once it reaches this far back. */
  private since = Number.NaN;

  constructor(private readonly capacity = 2048) {
    this.t = new Float64Array(capacity);
    this.v = new Float64Array(capacity);
  }

  add(t: number, value: number): void {
    if (Number.isNaN(this.since)) this.since = t;
    // Values newer and no larger make the older ones irrelevant.
    while (this.count > 0) {
      const last = (this.head + this.count - 1) % this.capacity;
      if (this.v[last]! < value) break;
      this.count--;
    }
    if (this.count === this.capacity) {
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
    const i = (this.head + this.count) % this.capacity;
    this.t[i] = t;
    this.v[i] = value;
    this.count++;
  }

  /**
   * The minimum of the values of the last windowS seconds up to t, or NaN while the values do not
   * yet reach back that far (a minimum over less than the window says less than it seems to).
   */
  minimum(t: number, windowS: number): number {
    if (!(t - this.since >= windowS)) return Number.NaN;
    while (this.count > 1 && this.t[this.head]! < t - windowS) {
      this.head = (this.head + 1) % this.capacity;
      this.count--;
    }
    return this.count > 0 ? this.v[this.head]! : Number.NaN;
  }

  clear(): void {
    this.head = 0;
    this.count = 0;
    this.since = Number.NaN;
  }
}
