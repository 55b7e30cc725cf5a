import type Database from 'better-sqlite3';
import type { BudgetCounters, Charged, CounterReading, CounterRef, HoldRequest, ReserveOutcome, WindowCounts } from '../types.js';
import type { DataHomeRateWindows } from './rate-windows.js';

/** Counters of ended periods are dropped at most this often. */
const SWEEP_EVERY_MS = 60_000;

/**
 * Budget counters in the data home's policy state file: spent per counter, plus one row per
 * hold, so every process on the data home sees every other's holds. Each operation is one
 * IMMEDIATE transaction: the check and the hold are atomic across processes.
 */
export class DataHomeBudgetCounters implements BudgetCounters {
  private sweptAt = 0;
  private readonly statements;
  private readonly reserveTx;
  private readonly seedTx;
  private readonly settleTx;
  private readonly releaseTx;
  private readonly readTx;

  constructor(
    private readonly db: Database.Database,
    private readonly owner: string,
    private readonly holdTtlMs: number,
    windows: DataHomeRateWindows,
  ) {
    const s = {
      counter: db.prepare<[string], { spent: number; ends_at: number | null }>('SELECT spent, ends_at FROM budget_counters WHERE id = ?'),
      reserved: db.prepare<[string], { reserved: number }>('SELECT COALESCE(SUM(nanos), 0) AS reserved FROM budget_holds WHERE counter_id = ?'),
      dropCounter: db.prepare<[string]>('DELETE FROM budget_counters WHERE id = ?'),
      dropCounterHolds: db.prepare<[string]>('DELETE FROM budget_holds WHERE counter_id = ?'),
      expireHolds: db.prepare<[string, number]>('DELETE FROM budget_holds WHERE counter_id = ? AND deadline <= ?'),
      hold: db.prepare<[string, string, number, number, string]>('INSERT OR REPLACE INTO budget_holds (counter_id, hold_id, nanos, deadline, owner) VALUES (?, ?, ?, ?, ?)'),
      dropHold: db.prepare<[string, string]>('DELETE FROM budget_holds WHERE counter_id = ? AND hold_id = ?'),
      seed: db.prepare<[string, number, number | null]>('INSERT INTO budget_counters (id, spent, ends_at) VALUES (?, ?, ?) ON CONFLICT (id) DO NOTHING'),
      overwrite: db.prepare<[string, number, number | null]>('INSERT INTO budget_counters (id, spent, ends_at) VALUES (?, ?, ?) ON CONFLICT (id) DO UPDATE SET spent = excluded.spent'),
      charge: db.prepare<[number, string]>('UPDATE budget_counters SET spent = spent + ? WHERE id = ?'),
      sweepCounters: db.prepare<[number]>('DELETE FROM budget_counters WHERE ends_at IS NOT NULL AND ends_at <= ?'),
      sweepHolds: db.prepare<[number]>('DELETE FROM budget_holds WHERE deadline <= ?'),
    };
    this.statements = s;

    /** The counter with its expired holds swept; undefined when unseeded or its period is over. */
    const live = (ref: CounterRef, now: number): { spent: number; reserved: number } | undefined => {
      const row = s.counter.get(ref.id);
      if (!row) return undefined;
      if (row.ends_at !== null && row.ends_at <= now) {
        s.dropCounter.run(ref.id);
        s.dropCounterHolds.run(ref.id);
        return undefined;
      }
      s.expireHolds.run(ref.id, now);
      return { spent: row.spent, reserved: s.reserved.get(ref.id)!.reserved };
    };

    this.reserveTx = db.transaction((hold: HoldRequest, now: number): ReserveOutcome => {
      const found = hold.counters.map((ref) => live(ref, now));
      const unseeded = found.flatMap((counter, index) => (counter ? [] : [index]));
      if (unseeded.length) return { kind: 'unseeded', counters: unseeded };
      for (const [index, counter] of found.entries()) {
        const { spent, reserved } = counter!;
        const remaining = hold.limits[index]! - spent - reserved;
        if (remaining <= 0 || hold.nanos > remaining) return { kind: 'refused', counter: index, spentNanos: spent, reservedNanos: reserved };
      }
      let counts: WindowCounts[] = [];
      if (hold.windows?.length) {
        const taken = windows.takeWithin(hold.windows, now);
        if (!taken.admitted) return { kind: 'rate-limited', window: taken.refused, counts: taken.counts };
        counts = taken.counts;
      }
      for (const ref of hold.counters) s.hold.run(ref.id, hold.id, hold.nanos, now + this.holdTtlMs, this.owner);
      return { kind: 'held', counts };
    });
    this.seedTx = db.transaction((ref: CounterRef, spentNanos: number, now: number, overwrite: boolean) => {
      live(ref, now);
      (overwrite ? s.overwrite : s.seed).run(ref.id, spentNanos, ref.endsAt);
    });
    this.settleTx = db.transaction((holdId: string, held: CounterRef[], charged: CounterRef[], costNanos: number, now: number): Array<Charged | null> => {
      for (const ref of held) s.dropHold.run(ref.id, holdId);
      return charged.map((ref) => {
        const counter = live(ref, now);
        if (!counter || costNanos <= 0) return null;
        s.charge.run(costNanos, ref.id);
        return { beforeNanos: counter.spent, afterNanos: counter.spent + costNanos };
      });
    });
    this.releaseTx = db.transaction((holdId: string, held: CounterRef[]) => {
      for (const ref of held) s.dropHold.run(ref.id, holdId);
    });
    this.readTx = db.transaction((refs: CounterRef[], now: number): Array<CounterReading | null> =>
      refs.map((ref) => {
        const counter = live(ref, now);
        return counter ? { spentNanos: counter.spent, reservedNanos: counter.reserved } : null;
      }),
    );
  }

  async reserve(hold: HoldRequest, now: number): Promise<ReserveOutcome> {
    this.sweep(now);
    return this.reserveTx.immediate(hold, now);
  }

  async seed(counter: CounterRef, spentNanos: number, now: number, overwrite = false): Promise<void> {
    this.seedTx.immediate(counter, spentNanos, now, overwrite);
  }

  async settle(holdId: string, held: CounterRef[], charged: CounterRef[], costNanos: number, now: number): Promise<Array<Charged | null>> {
    return this.settleTx.immediate(holdId, held, charged, costNanos, now);
  }

  async release(holdId: string, held: CounterRef[]): Promise<void> {
    this.releaseTx.immediate(holdId, held);
  }

  async read(counters: CounterRef[], now: number): Promise<Array<CounterReading | null>> {
    return this.readTx.immediate(counters, now);
  }

  /** Counters of periods that are over, and holds past their deadline, go; the file stays bounded by live budgets. */
  private sweep(now: number): void {
    if (now - this.sweptAt < SWEEP_EVERY_MS) return;
    this.sweptAt = now;
    this.db.transaction(() => {
      this.statements.sweepCounters.run(now);
      this.statements.sweepHolds.run(now);
    }).immediate();
  }
}
