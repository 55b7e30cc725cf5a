import pg from 'pg';

/** 64-bit integers (sums of nanos, token counts) as numbers: every value the ledger holds fits in 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (value: string) => Number(value);
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

export interface PoolOptions {
  url: string;
  /** Connections at most; reports and ledger batches share them. */
  max?: number;
  /** A connection not made within this fails, so the ledger spools instead of waiting. */
  connectTimeoutMs?: number;
}

export function openPool(options: PoolOptions): pg.Pool {
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.max ?? 10,
    connectionTimeoutMillis: options.connectTimeoutMs ?? 2_000,
    idleTimeoutMillis: 30_000,
    // A server that stops answering must not hold a batch forever: the socket notices a dead peer.
    keepAlive: true,
    types,
    application_name: 'tollgate',
  });
  // An idle connection that breaks (server restart, cut network) is dropped from the pool; the
  // next query opens another. Without a listener the error would end the process.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Did the query fail because the database could not be reached (refused, cut, timed out, shut
 * down), rather than because of what it asked? Only then is it worth trying again later.
 */
export function isUnreachable(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code === 'string') {
    // SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown).
    if (/^08|^57P0[1-3]$/.test(code)) return true;
    if (['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)) return true;
  }
  const message = error instanceof Error ? error.message : '';
  return /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|not queryable/i.test(message);
}
