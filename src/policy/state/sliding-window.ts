import type { WindowCounts } from './types.js';

/**
 * A sliding one-minute window, approximated by the current and previous fixed minutes with the
 * previous one weighted by how much of it still overlaps the window (Cloudflare's method): two
 * counters per window whatever the traffic, exact at the boundaries of its error bound.
 */
export const WINDOW_MS = 60_000;

export function minuteStart(now: number): number {
  return now - (now % WINDOW_MS);
}

/** How much of the previous minute still lies inside the window ending now. */
export function previousWeight(now: number): number {
  return 1 - (now - minuteStart(now)) / WINDOW_MS;
}

export function windowUse(counts: WindowCounts, now: number): number {
  return counts.previous * previousWeight(now) + counts.current;
}

/** Seconds until `amount` more would fit under `limit`. */
export function secondsUntilFits(counts: WindowCounts, now: number, limit: number, amount: number): number {
  const elapsed = now - minuteStart(now);
  const spare = limit - counts.current - amount;
  if (spare >= 0 && counts.previous > 0) {
    // Wait for the previous minute's weight to decay below the spare room: until the overlap
    // is spare / previous, i.e. (previous - spare) / previous of the minute has passed
    // (computed in that order, so exact fractions give whole seconds).
    const decayedAt = (WINDOW_MS * (counts.previous - spare)) / counts.previous;
    return Math.max(0, Math.ceil((decayedAt - elapsed) / 1000));
  }
  return Math.max(1, Math.ceil((WINDOW_MS - elapsed) / 1000));
}
