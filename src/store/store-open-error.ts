/**
 * The configured ledger database answered but refused to open (credentials, no such database):
 * every command stops with this message, which names the database and never its password.
 */
export class StoreOpenError extends Error {
  override name = 'StoreOpenError';
}
