import type { LedgerWriter } from '../store/types.js';
import type { Middleware } from './chain.js';

/**
 * Holds the end of every answer until the ledger rows recorded so far are committed, so an
 * answer the client saw complete is never missing from the ledger after a crash. Rows are
 * committed in batches once per event-loop turn, so this waits at most one turn.
 */
export function holdUntilDurable(ledger: Pick<LedgerWriter, 'whenDurable'>): Middleware {
  return (exchange, next) => {
    if (exchange.endpoint.durable) exchange.res.holdEnd(() => ledger.whenDurable());
    return next();
  };
}
