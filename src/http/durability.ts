import type { LedgerWriter } from '../store/types.js';
import type { Middleware } from './chain.js';

/**
 * Holds the end of every answer until the ledger rows recorded so far are durable, so an answer
 * the client saw complete is never missing from the ledger after a crash. Rows are written in
 * batches once per event-loop turn (to SQLite, or to PostgreSQL's local spool), so this waits
 * about one turn and one local write, never for a database round trip.
 */
export function holdUntilDurable(ledger: Pick<LedgerWriter, 'whenDurable'>): Middleware {
  return (exchange, next) => {
    if (exchange.endpoint.durable) exchange.res.holdEnd(() => ledger.whenDurable());
    return next();
  };
}
