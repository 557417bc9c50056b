// Periodic work that every procedure has (its tick, its recording's flush; each display its ping)
// spread over the period instead of falling due at one instant: procedures created together (a
// server resuming, a lab starting its day, a benchmark) would otherwise keep their timers aligned
// for good (an interval is rescheduled from when it ran, and timers due together run together),
// and every period all of them would run back to back while samples wait. Each new timer starts
// at the next point of a golden-ratio sequence through the period, so any number of them stay
// evenly apart.

const GOLDEN = (Math.sqrt(5) - 1) / 2;
let started = 0;

export interface SpreadInterval {
  clear(): void;
}

/** `fn` every `periodMs`, first after a share of the period that differs from the timers before it; unref'd. */
export function spreadInterval(fn: () => void, periodMs: number): SpreadInterval {
  const offsetMs = ((started++ * GOLDEN) % 1) * periodMs;
  let interval: ReturnType<typeof setInterval> | null = null;
  const first = setTimeout(() => {
    interval = setInterval(fn, periodMs);
    interval.unref();
    fn();
  }, offsetMs);
  first.unref();
  return {
    clear: () => {
      clearTimeout(first);
      if (interval) clearInterval(interval);
    },
  };
}
