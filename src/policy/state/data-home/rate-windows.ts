import type Database from 'better-sqlite3';
import { minuteStart, previousWeight, WINDOW_MS } from '../sliding-window.js';
import type { RateWindows, TakeOutcome, WindowCounts, WindowTake } from '../types.js';

/** Rate-limit windows in the data home's policy state file: a count per window and minute, shared by every process on it. */
export class DataHomeRateWindows implements RateWindows {
  private sweptAt = 0;
  private readonly takeTx;
  private readonly adjustTx;
  private readonly sweepOld;

  constructor(private readonly db: Database.Database) {
    const count = db.prepare<[string, number], { count: number }>('SELECT count FROM rate_minutes WHERE id = ? AND minute = ?');
    const set = db.prepare<[string, number, number]>('INSERT INTO rate_minutes (id, minute, count) VALUES (?, ?, ?) ON CONFLICT (id, minute) DO UPDATE SET count = excluded.count');
    const add = db.prepare<[{ id: string; minute: number; delta: number }]>(
      'INSERT INTO rate_minutes (id, minute, count) VALUES (@id, @minute, max(0, @delta)) ON CONFLICT (id, minute) DO UPDATE SET count = max(0, count + @delta)',
    );
    this.sweepOld = db.prepare<[number]>('DELETE FROM rate_minutes WHERE minute < ?');
    this.takeTx = db.transaction((windows: WindowTake[], now: number): TakeOutcome => {
      const start = minuteStart(now);
      const counts: WindowCounts[] = windows.map((window) => ({
        current: count.get(window.id, start)?.count ?? 0,
        previous: count.get(window.id, start - WINDOW_MS)?.count ?? 0,
      }));
      const weight = previousWeight(now);
      const refused = windows.findIndex((window, index) => counts[index]!.previous * weight + counts[index]!.current + window.need > window.limit);
      if (refused !== -1) return { admitted: false, refused, counts };
      for (const [index, window] of windows.entries()) set.run(window.id, start, counts[index]!.current + window.add);
      return { admitted: true, counts };
    });
    this.adjustTx = db.transaction((ids: string[], delta: number, now: number) => {
      const start = minuteStart(now);
      for (const id of ids) add.run({ id, minute: start, delta });
    });
  }

  async take(windows: WindowTake[], now: number): Promise<TakeOutcome> {
    this.sweep(now);
    return this.takeTx.immediate(windows, now);
  }

  /** `take` inside a transaction the caller has open (budget counters taking windows with a hold). */
  takeWithin(windows: WindowTake[], now: number): TakeOutcome {
    this.sweep(now);
    return this.takeTx(windows, now);
  }

  async adjust(ids: string[], delta: number, now: number): Promise<void> {
    this.adjustTx.immediate(ids, delta, now);
  }

  /** Minutes no window can weigh any more go, so the file stays bounded by active callers. */
  private sweep(now: number): void {
    if (now - this.sweptAt < WINDOW_MS) return;
    this.sweptAt = now;
    this.sweepOld.run(minuteStart(now) - WINDOW_MS);
  }
}
