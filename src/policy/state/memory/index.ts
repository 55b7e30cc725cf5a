import type { PolicyState } from '../types.js';
import { MemoryBreakerStates } from './breaker-states.js';
import { MemoryBudgetCounters } from './budget-counters.js';
import { MemoryIdempotencyRecords } from './idempotency-records.js';
import { MemoryRateWindows } from './rate-windows.js';

export interface MemoryStateOptions {
  /** How long a hold that is never settled stays reserved. */
  holdTtlMs: number;
  /** The byte budget of kept idempotent answers. */
  idempotencyMaxBytes: number;
}

/** Policy state in this process's memory: exact for one process, lost when it stops. */
export function createMemoryState(options: MemoryStateOptions): PolicyState {
  const rateWindows = new MemoryRateWindows();
  return {
    description: 'memory',
    budgets: new MemoryBudgetCounters(options.holdTtlMs, rateWindows),
    rateWindows,
    breakers: new MemoryBreakerStates(),
    idempotency: new MemoryIdempotencyRecords(options.idempotencyMaxBytes),
    close: async () => undefined,
  };
}
