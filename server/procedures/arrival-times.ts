// When each recent sample reached the server (performance.now(), ms), by seq, for the feed →
// display latency metrics. A ring of typed arrays indexed by seq: nothing allocated per sample. (A
// Map held a boxed double and an entry per sample for ~5 s, so every one of them outlived two
// young-generation collections and was promoted to the old generation.)

/** Samples remembered: 5 s at 100 Hz, ~2 s at the 250 Hz feed limit; a guidance comes out within one reorder window of its sample. */
const SLOTS = 512;

export class ArrivalTimes {
  private readonly seqs = new Float64Array(SLOTS).fill(Number.NaN);
  private readonly times = new Float64Array(SLOTS);

  private static slot(seq: number): number {
    return ((Math.trunc(seq) % SLOTS) + SLOTS) % SLOTS;
  }

  set(seq: number, atMs: number): void {
    const i = ArrivalTimes.slot(seq);
    this.seqs[i] = seq;
    this.times[i] = atMs;
  }

  /** When sample `seq` arrived, if it is still remembered (a later sample with the same slot replaces it). */
  get(seq: number): number | undefined {
    const i = ArrivalTimes.slot(seq);
    return this.seqs[i] === seq ? this.times[i] : undefined;
  }
}
