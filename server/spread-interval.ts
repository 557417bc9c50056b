// Periodic work that every procedure has (its tick, its recording's flush; each display its ping)
// spread over the period instead of falling due at one instant: procedures created together (a
// server resuming, a lab starting its day, a benchmark) would otherwise keep their timers aligned
// for good (an interval is rescheduled from when it ran, and timers due together run together),
// and every period all of them would run back to back while samples wait. Each new timer starts
// at the next point of a golden-ratio sequence through the period, so any number of them stay
// evenly apart. Work counted in a procedure's inputs rather than in time (its checkpoints) is
// spread by a phase drawn from the procedure's id (spreadPhase): procedures fed together would
// otherwise reach their N-th input in the same few milliseconds and all checkpoint at once (16 ×
// 2–5 ms of state capture, bench:server's scale load).

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

/**
 * A share of a period in [0, 1) drawn from a key (FNV-1a of its characters, mixed): the same for the same
 * procedure id on every instance and after a resume, and spread evenly over many ids.
 */
export function spreadPhase(key: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193);
  // MurmurHash3's finaliser: ids that differ only in their last characters (p…1, p…2) land far apart.
  hash ^= hash >>> 16;
  hash = Math.imul(hash, 0x85ebca6b);
  hash ^= hash >>> 13;
  hash = Math.imul(hash, 0xc2b2ae35);
  hash ^= hash >>> 16;
  return (hash >>> 0) / 2 ** 32;
}

/** Where in every `period` inputs a procedure's periodic work (its checkpoints) falls: 0 … period − 1, from its id. */
export function spreadOffset(key: string, period: number): number {
  return Math.floor(spreadPhase(key) * period);
}
