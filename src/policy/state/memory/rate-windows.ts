import { minuteStart, previousWeight, WINDOW_MS } from '../sliding-window.js';
import type { RateWindows, TakeOutcome, WindowCounts, WindowTake } from '../types.js';

/** Rate-limit windows of one process: a count per window and minute. */
export class MemoryRateWindows implements RateWindows {
  /** `<window id>@<minute start>` → count. */
  private readonly minutes = new Map<string, number>();
  private sweptAt = 0;

  async take(windows: WindowTake[], now: number): Promise<TakeOutcome> {
    return this.takeNow(windows, now);
  }

  /** `take`, done before returning: budget counters call it inside their own step. */
  takeNow(windows: WindowTake[], now: number): TakeOutcome {
    this.sweep(now);
    const start = minuteStart(now);
    const counts: WindowCounts[] = windows.map((window) => ({
      current: this.minutes.get(`${window.id}@${start}`) ?? 0,
      previous: this.minutes.get(`${window.id}@${start - WINDOW_MS}`) ?? 0,
    }));
    const weight = previousWeight(now);
    const refused = windows.findIndex((window, index) => counts[index]!.previous * weight + counts[index]!.current + window.need > window.limit);
    if (refused !== -1) return { admitted: false, refused, counts };
    for (const [index, window] of windows.entries()) this.minutes.set(`${window.id}@${start}`, counts[index]!.current + window.add);
    return { admitted: true, counts };
  }

  async adjust(ids: string[], delta: number, now: number): Promise<void> {
    const start = minuteStart(now);
    for (const id of ids) {
      const key = `${id}@${start}`;
      this.minutes.set(key, Math.max(0, (this.minutes.get(key) ?? 0) + delta));
    }
  }

  /** Minutes that no window can weigh any more are forgotten, so memory stays bounded by active callers. */
  private sweep(now: number): void {
    if (now - this.sweptAt < WINDOW_MS) return;
    this.sweptAt = now;
    const oldest = minuteStart(now) - WINDOW_MS;
    for (const key of this.minutes.keys()) {
      if (Number(key.slice(key.lastIndexOf('@') + 1)) < oldest) this.minutes.delete(key);
    }
  }
}
