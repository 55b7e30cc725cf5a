import type { StoreOutage } from '../policy/state/outage.js';
import type { BreakerStates } from '../policy/state/types.js';
import type { ErrorKind } from './errors.js';

/** Failures that say a candidate is unwell, as opposed to the request being at fault. */
const unhealthy: ReadonlySet<ErrorKind> = new Set([
  'upstream_timeout',
  'upstream_connection',
  'upstream_overloaded',
  'upstream_server_error',
  'stream_interrupted',
  'upstream_invalid',
]);

export function countsAgainstHealth(kind: ErrorKind): boolean {
  return unhealthy.has(kind);
}

export type CircuitState = 'closed' | 'open' | 'half-open';

export interface BreakerSettings {
  failureThreshold: number;
  cooldownMs: number;
}

/**
 * One breaker per candidate (`provider/model`): after `failureThreshold` unhealthy failures in a
 * row it opens and the router skips that candidate; after `cooldownMs` it half-opens and lets a
 * single trial through; the trial's success closes it, its failure opens it again. The state is
 * shared by every process that shares the store. A breaker is advice, not a limit: while the
 * store is out of reach every circuit counts as closed.
 */
export class CircuitBreakers {
  constructor(
    private readonly settings: BreakerSettings,
    private readonly states: BreakerStates,
    private readonly outage: StoreOutage,
    private readonly clock: () => number = Date.now,
  ) {}

  async state(id: string): Promise<CircuitState> {
    const circuit = await this.states.read(id);
    if (!circuit || circuit.openedAt === null) return 'closed';
    return this.clock() - circuit.openedAt >= this.settings.cooldownMs ? 'half-open' : 'open';
  }

  /**
   * May a request go to this candidate now? A yes in half-open state claims the one trial, for
   * at most `trialMs` (the attempt's deadline) should its process never report back. `known` is
   * the state read a moment ago (alongside the request's budget holds, in the same round trip to
   * a shared store); it is read now otherwise.
   */
  async allow(id: string, trialMs: number, known?: Promise<CircuitState>): Promise<boolean> {
    try {
      const state = await (known ?? this.state(id));
      if (state === 'closed') return true;
      if (state === 'open') return false;
      return await this.states.claimTrial(id, this.clock(), trialMs);
    } catch (error) {
      this.outage.lost(error, 'a circuit breaker check');
      return true;
    }
  }

  success(id: string): Promise<void> {
    return this.states.success(id).catch((error: unknown) => this.outage.lost(error, 'a circuit breaker success'));
  }

  failure(id: string, kind: ErrorKind): Promise<void> {
    if (!countsAgainstHealth(kind)) return this.release(id);
    return this.states
      .failure(id, this.clock(), this.settings.failureThreshold)
      .catch((error: unknown) => this.outage.lost(error, 'a circuit breaker failure'));
  }

  /** The attempt ended without a verdict on health (client went away, bad request). */
  release(id: string): Promise<void> {
    return this.states.endTrial(id).catch((error: unknown) => this.outage.lost(error, 'a circuit breaker release'));
  }
}
