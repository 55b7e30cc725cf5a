import type { Logger } from 'pino';
import { GatewayError } from '../../core/errors.js';
import { StateUnavailableError } from './types.js';

export type OnStoreOutage = 'deny' | 'allow';

/**
 * What policy does when its state store cannot be reached. A check that needs the store (a
 * budget, a rate limit, an idempotency key) fails closed with 503 `store_unavailable`, or with
 * `allow` lets the request through and says once that limits are off. Bookkeeping after the
 * answer (settling a hold, a breaker's verdict) cannot fail a request: it is logged.
 */
export class StoreOutage {
  private warned = false;
  private lostWarned = false;

  constructor(
    readonly mode: OnStoreOutage,
    private readonly logger: Pick<Logger, 'warn' | 'error'> | undefined,
  ) {}

  /**
   * Called with whatever a check threw: rethrows what is not an outage; in `deny` mode throws
   * store_unavailable; in `allow` mode returns, and the caller goes on without the check.
   */
  checkFailed(error: unknown, what: string): void {
    if (!(error instanceof StateUnavailableError)) throw error;
    if (this.mode === 'deny') {
      throw new GatewayError('store_unavailable', `${what} cannot be checked: ${error.message}; the request was not sent. Retry shortly.`);
    }
    if (this.warned) return;
    this.warned = true;
    this.logger?.warn({ reason: error.message }, 'policy store unreachable: budgets, rate limits and idempotency keys are not enforced until it is back (limits.onStoreOutage is "allow")');
  }

  /** A check ran: the next outage is announced again. */
  checked(): void {
    this.warned = false;
    this.lostWarned = false;
  }

  /** Bookkeeping that could not be done; an outage is logged once, anything else every time. */
  lost(error: unknown, what: string): void {
    if (!(error instanceof StateUnavailableError)) return void this.logger?.error({ err: error }, `${what} could not be recorded`);
    if (this.lostWarned) return;
    this.lostWarned = true;
    this.logger?.warn({ reason: error.message }, `${what} could not be recorded; until the policy store is back, holds expire on their own and circuit breakers count as closed`);
  }
}
