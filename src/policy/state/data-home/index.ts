import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { MemoryBreakerStates } from '../memory/breaker-states.js';
import { MemoryIdempotencyRecords } from '../memory/idempotency-records.js';
import type { PolicyState } from '../types.js';
import { DataHomeBudgetCounters } from './budget-counters.js';
import { joinPolicyState, leavePolicyState, openPolicyStateDatabase, POLICY_STATE_FILE } from './database.js';
import { DataHomeRateWindows } from './rate-windows.js';

export interface DataHomeStateOptions {
  dataDir: string;
  /** How long a hold that is never settled stays reserved. */
  holdTtlMs: number;
  /** The byte budget of kept idempotent answers. */
  idempotencyMaxBytes: number;
  /** The time a handle joins at (the gateway's clock); default now. */
  now?: number;
}

/**
 * Policy state of a data home without Redis: budget counters and rate-limit windows in a
 * SQLite file in the data folder, so one `serve` and every `tollgate mcp` on that folder count
 * one budget once. Circuit breakers and idempotency records stay in memory: idempotency keys
 * are an HTTP matter (one `serve` per data folder), and a breaker only saves wasted calls.
 */
export function createDataHomeState(options: DataHomeStateOptions): PolicyState {
  const db = openPolicyStateDatabase(options.dataDir);
  const owner = `${process.pid}:${randomUUID()}`;
  joinPolicyState(db, owner, options.now ?? Date.now());
  let closed = false;
  const rateWindows = new DataHomeRateWindows(db);
  return {
    description: `data home (${join(options.dataDir, POLICY_STATE_FILE)}: budgets and rate limits shared by every process on this folder)`,
    budgets: new DataHomeBudgetCounters(db, owner, options.holdTtlMs, rateWindows),
    rateWindows,
    breakers: new MemoryBreakerStates(),
    idempotency: new MemoryIdempotencyRecords(options.idempotencyMaxBytes),
    close: async () => {
      if (closed) return;
      closed = true;
      leavePolicyState(db, owner);
      db.close();
    },
  };
}
