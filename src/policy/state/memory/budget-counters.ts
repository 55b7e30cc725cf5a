import type { MemoryRateWindows } from './rate-windows.js';
import type { BudgetCounters, Charged, CounterReading, CounterRef, HoldRequest, ReserveOutcome, WindowCounts } from '../types.js';

interface Counter {
  spent: number;
  reserved: number;
  endsAt: number | null;
  /** Hold id → its amount and the time it is swept if never settled. */
  holds: Map<string, { nanos: number; deadline: number }>;
}

/** Budget counters of one process. Operations finish before their promise is returned. */
export class MemoryBudgetCounters implements BudgetCounters {
  private readonly counters = new Map<string, Counter>();
  private sweptAt = 0;

  constructor(
    private readonly holdTtlMs: number,
    private readonly windows: MemoryRateWindows,
  ) {}

  async reserve(hold: HoldRequest, now: number): Promise<ReserveOutcome> {
    this.forgetEnded(now);
    const found = hold.counters.map((ref) => this.live(ref, now));
    const unseeded = found.flatMap((counter, index) => (counter ? [] : [index]));
    if (unseeded.length) return { kind: 'unseeded', counters: unseeded };
    const counters = found as Counter[];
    for (const [index, counter] of counters.entries()) {
      const remaining = hold.limits[index]! - counter.spent - counter.reserved;
      if (remaining <= 0 || hold.nanos > remaining) {
        return { kind: 'refused', counter: index, spentNanos: counter.spent, reservedNanos: counter.reserved };
      }
    }
    let counts: WindowCounts[] = [];
    if (hold.windows?.length) {
      const taken = this.windows.takeNow(hold.windows, now);
      if (!taken.admitted) return { kind: 'rate-limited', window: taken.refused, counts: taken.counts };
      counts = taken.counts;
    }
    for (const counter of counters) {
      counter.reserved += hold.nanos;
      counter.holds.set(hold.id, { nanos: hold.nanos, deadline: now + this.holdTtlMs });
    }
    return { kind: 'held', counts };
  }

  async seed(ref: CounterRef, spentNanos: number, now: number, overwrite = false): Promise<void> {
    const counter = this.live(ref, now);
    if (counter) {
      if (overwrite) counter.spent = spentNanos;
      return;
    }
    this.counters.set(ref.id, { spent: spentNanos, reserved: 0, endsAt: ref.endsAt, holds: new Map() });
  }

  async settle(holdId: string, held: CounterRef[], charged: CounterRef[], costNanos: number, now: number): Promise<Array<Charged | null>> {
    this.drop(holdId, held);
    return charged.map((ref) => {
      const counter = this.live(ref, now);
      if (!counter || costNanos <= 0) return null;
      const beforeNanos = counter.spent;
      counter.spent += costNanos;
      return { beforeNanos, afterNanos: counter.spent };
    });
  }

  async release(holdId: string, held: CounterRef[]): Promise<void> {
    this.drop(holdId, held);
  }

  async read(refs: CounterRef[], now: number): Promise<Array<CounterReading | null>> {
    return refs.map((ref) => {
      const counter = this.live(ref, now);
      return counter ? { spentNanos: counter.spent, reservedNanos: counter.reserved } : null;
    });
  }

  /** The counter with its expired holds swept; undefined when unseeded or its period is over. */
  private live(ref: CounterRef, now: number): Counter | undefined {
    const counter = this.counters.get(ref.id);
    if (!counter) return undefined;
    if (counter.endsAt !== null && counter.endsAt <= now) {
      this.counters.delete(ref.id);
      return undefined;
    }
    for (const [id, hold] of counter.holds) {
      if (hold.deadline > now) continue;
      counter.holds.delete(id);
      counter.reserved -= hold.nanos;
    }
    return counter;
  }

  private drop(holdId: string, refs: CounterRef[]): void {
    for (const ref of refs) {
      const counter = this.counters.get(ref.id);
      const hold = counter?.holds.get(holdId);
      if (!counter || !hold) continue;
      counter.holds.delete(holdId);
      counter.reserved -= hold.nanos;
    }
  }

  /** Counters of periods that are over are dropped, so memory stays bounded by live budgets. */
  private forgetEnded(now: number): void {
    if (now - this.sweptAt < 60_000) return;
    this.sweptAt = now;
    for (const [id, counter] of this.counters) if (counter.endsAt !== null && counter.endsAt <= now) this.counters.delete(id);
  }
}
