// When a feed is stale and when it is lost, by its own rhythm: a sample is overdue when it is
// STALE_INTERVALS of the feed's own sample interval late, never sooner than the configured floor
// (limits.feedStaleAfterS). A 100 Hz EAM feed is stale after the floor, 0.25 s, as always; pulsed
// fluoroscopy at 4 frames/s (a dose-reduction protocol for device implantation, Attanasio et al.,
// Europace 2017;19:1364) has a frame every 0.25 s and must not read as stale between its frames,
// nor at one dropped frame. Lost: the configured floor, or twice the stale time if that is longer.
// The server decides the state; the display's watchdog uses the same rule with the rate the
// server announces, so that it does not grey a slow feed's guidance between frames.

/** Sample intervals a feed may be late before it is stale. */
export const STALE_INTERVALS = 2.5;

export function staleAfterS(floorS: number, intervalS: number): number {
  return Math.max(floorS, STALE_INTERVALS * intervalS);
}

export function lostAfterS(floorS: number, staleS: number): number {
  return Math.max(floorS, 2 * staleS);
}
