/**
 * Where policy keeps what it counts: budget counters, rate-limit windows, circuit breakers and
 * idempotency records. The policy (scopes, limits, messages, thresholds) stays in its classes;
 * these interfaces hold only state, so one process keeps it in memory and several share it in
 * Redis. Every time is passed in by the caller (the gateway's clock), never read here, so a test
 * can move it.
 */

/** The state store cannot be reached: a check that needs it cannot be made. */
export class StateUnavailableError extends Error {
  override name = 'StateUnavailableError';
}

/** One budget's counter for one period. */
export interface CounterRef {
  /** The budget's scope and the start of its period, e.g. `key:k_1:day:2026-03-10T00:00:00.000Z`. */
  readonly id: string;
  /** When the period ends (ms since the epoch): the counter is dropped then. Null: never. */
  readonly endsAt: number | null;
}

export interface CounterReading {
  spentNanos: number;
  reservedNanos: number;
}

export interface HoldRequest {
  /** Unique per request; settle and release name it. */
  id: string;
  nanos: number;
  counters: CounterRef[];
  /** The limit of each counter, in the same order. */
  limits: number[];
  /**
   * Rate-limit windows taken in the same step as the hold, so that admitting a request costs one
   * trip to the store: both are taken or neither, and the budget is checked first.
   */
  windows?: WindowTake[];
}

export type ReserveOutcome =
  /** Held; with windows, each one's counts seen before adding (as `RateWindows.take` returns them). */
  | { kind: 'held'; counts: WindowCounts[] }
  /** These counters (indexes) have no spent figure yet: load it from the ledger, seed, try again. */
  | { kind: 'unseeded'; counters: number[] }
  /** The first counter (index) the hold does not fit, with what it had. */
  | { kind: 'refused'; counter: number; spentNanos: number; reservedNanos: number }
  /** The hold fits but this window (index) has no room: nothing is held and no window counts the request. */
  | { kind: 'rate-limited'; window: number; counts: WindowCounts[] };

/** Spent before and after a charge: the caller announces the thresholds crossed in between. */
export interface Charged {
  beforeNanos: number;
  afterNanos: number;
}

/**
 * Budget counters: spent per counter, plus holds of requests in flight. A hold carries a
 * deadline (now + the store's hold lifetime) and is swept once past it, so the holds of a
 * process that died do not stay reserved.
 */
export interface BudgetCounters {
  /**
   * Holds `nanos` on every counter if it fits all of them (spent + reserved + nanos ≤ limit), else
   * on none; with `windows`, also takes them as `RateWindows.take` would, all or nothing with the hold.
   */
  reserve(hold: HoldRequest, now: number): Promise<ReserveOutcome>;
  /**
   * Sets a counter's spent figure if it has none (`overwrite`: in any case). Two callers
   * seeding at once from the same ledger leave one figure, not the sum.
   */
  seed(counter: CounterRef, spentNanos: number, now: number, overwrite?: boolean): Promise<void>;
  /**
   * Drops the hold from `held` and adds `costNanos` to each of `charged` that has a spent figure
   * (one without will be seeded from the ledger, which already has the cost). Null where not charged.
   */
  settle(holdId: string, held: CounterRef[], charged: CounterRef[], costNanos: number, now: number): Promise<Array<Charged | null>>;
  /** Drops the hold: nothing is charged. */
  release(holdId: string, held: CounterRef[], now: number): Promise<void>;
  /** Spent and reserved of each counter; null for one not seeded. */
  read(counters: CounterRef[], now: number): Promise<Array<CounterReading | null>>;
}

/** Counts of one window's current and previous fixed minute. */
export interface WindowCounts {
  current: number;
  previous: number;
}

export interface WindowTake {
  /** `key:<id>:requests`, `model:<provider/model>:tokens`, … */
  id: string;
  limit: number;
  /** What must fit under the limit for the request to be let in. */
  need: number;
  /** What is added to the window once it is. */
  add: number;
}

export type TakeOutcome =
  | { admitted: true; counts: WindowCounts[] }
  | { admitted: false; refused: number; counts: WindowCounts[] };

/**
 * Sliding one-minute windows, kept as per-minute counts: the window's use is the current
 * minute's count plus the previous one's weighted by how much of it still overlaps.
 */
export interface RateWindows {
  /**
   * Adds each window's `add` if every window has room for its `need` (`used + need ≤ limit`),
   * else adds nothing. Counts are those seen before adding.
   */
  take(windows: WindowTake[], now: number): Promise<TakeOutcome>;
  /** Adds `delta` (negative gives back) to the current minute of each window, never below zero. */
  adjust(ids: string[], delta: number, now: number): Promise<void>;
}

export interface CircuitRecord {
  /** Unhealthy failures in a row. */
  failures: number;
  /** When it last opened; null while closed. */
  openedAt: number | null;
}

/** Circuit breaker state per candidate, shared by every process that routes to it. */
export interface BreakerStates {
  read(id: string): Promise<CircuitRecord | null>;
  /** Claims the one trial of a half-open circuit until `now + ttlMs`; false while another holds it. */
  claimTrial(id: string, now: number, ttlMs: number): Promise<boolean>;
  /** Counts a failure; opens (at `now`) when it reaches `threshold` or ends a trial. The trial ends. */
  failure(id: string, now: number, threshold: number): Promise<void>;
  /** A success closes the circuit: failures, opening and trial are forgotten. */
  success(id: string): Promise<void>;
  /** The trial ended without a verdict on health. */
  endTrial(id: string): Promise<void>;
}

/** An answer kept for replay. Headers are lower-case. */
export interface StoredAnswer {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

export type Claim = { kind: 'replay'; answer: StoredAnswer } | { kind: 'in-flight' } | { kind: 'claimed' };

/**
 * Idempotency records: a kept answer per key, and an in-flight marker so a second request with
 * the key, on any process, is refused while the first runs.
 */
export interface IdempotencyRecords {
  /** The kept answer; else the key is marked in flight for `token` until `inFlightUntil`; else it is in flight elsewhere. */
  claim(key: string, token: string, now: number, inFlightUntil: number): Promise<Claim>;
  /**
   * Ends the in-flight marker of `token` and, given an answer, keeps it until `expiresAt`.
   * `bytes` is what the entry counts against the store's size cap.
   */
  finish(key: string, token: string, now: number, kept: { answer: StoredAnswer; bytes: number; expiresAt: number } | null): Promise<void>;
}

/** Every kind of policy state, from one backend. */
export interface PolicyState {
  /** `memory`, or `redis <host:port>`: for logs and error messages, never with credentials. */
  readonly description: string;
  budgets: BudgetCounters;
  rateWindows: RateWindows;
  breakers: BreakerStates;
  idempotency: IdempotencyRecords;
  close(): Promise<void>;
}
