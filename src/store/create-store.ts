import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LEDGER_FILE } from '../config/data-home.js';
import type { Config } from '../config/schema.js';
import type { Logger } from '../logger.js';
import { RedisConnection } from '../policy/state/redis/connection.js';
import { redisResponseCache } from './redis/response-cache.js';
import type { ResponseCacheStore } from './response-cache.js';
import { StoreOpenError } from './store-open-error.js';
import { openSqliteResponseCache } from './sqlite/response-cache.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';
import type { Store } from './types.js';

export interface CreateStoreOptions {
  /** True while other requests are in flight, whose rows may share the next commit. */
  busy?: () => boolean;
  /** The clock key lookups are remembered by (tests move it past the cache's time). */
  now?: () => number;
}

/**
 * The store config names: PostgreSQL when `store.database` (or TOLLGATE_DATABASE_URL) is set,
 * SQLite in `dataDir` otherwise. The server and every CLI command open it here, so they read
 * and write the same rows from the same environment.
 */
export async function createStore(config: Config, dataDir: string, logger: Pick<Logger, 'error' | 'warn' | 'info'>, options: CreateStoreOptions = {}): Promise<Store> {
  if (config.store.database) return openPostgres(config.store.database, dataDir, logger, options.now);
  return openSqliteStore(dataDir, {
    onWriteError: (error) => logger.error({ err: error }, 'ledger rows could not be written'),
    onUpgrade: (from, to) =>
      logger.info({ from, to }, `upgrading the ledger's schema (version ${from} to ${to}) in ${dataDir}; on a large ledger this takes a while, about 15 s per million requests`),
    ...(options.busy ? { busy: options.busy } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
}

/**
 * PostgreSQL, ready to serve: the schema current, and rows an earlier run left in the local spool
 * sent. PostgreSQL out of reach does not stop a start (rows spool until it answers); a database
 * that answers but refuses (credentials, no such database) does.
 */
async function openPostgres(url: string, dataDir: string, logger: Pick<Logger, 'error' | 'warn' | 'info'>, now?: () => number): Promise<Store> {
  const { openPostgresStore } = await import('./postgres/postgres-store.js');
  const store = openPostgresStore({
    url,
    dataDir,
    ...(now ? { now } : {}),
    onWriteError: (error) => logger.error({ err: error }, 'ledger rows could not be written'),
    onDegraded: (degraded, error) => {
      const where = `PostgreSQL at ${store.description}`;
      if (degraded) logger.warn({ err: error }, `ledger database unreachable (${where}): rows wait in the local spool until it answers`);
      else logger.info(`ledger database reachable again (${where}): the local spool has drained`);
    },
  });
  try {
    await store.ready();
  } catch (error) {
    await store.close().catch(() => undefined);
    throw new StoreOpenError(`the ledger database (PostgreSQL at ${store.description}) refused to open: ${(error as Error).message}`);
  }
  return store;
}

/**
 * The store for a command that only reads (`tollgate spend`, `doctor`): undefined when there is
 * nothing to read yet, without creating anything (no data folder, no SQLite file).
 */
export async function openExistingStore(config: Config, dataDir: string, logger: Pick<Logger, 'error' | 'warn' | 'info'>): Promise<Store | undefined> {
  if (!config.store.database && !existsSync(join(dataDir, LEDGER_FILE))) return undefined;
  return createStore(config, dataDir, logger);
}

/** The response cache's store: Redis, shared by every instance, when config names one; else a file in the data folder. */
export function createResponseCache(config: Config, dataDir: string, logger: Logger): ResponseCacheStore {
  const { redis, redisKeyPrefix } = config.store;
  if (redis) return redisResponseCache(new RedisConnection({ url: redis, keyPrefix: redisKeyPrefix, logger }));
  return openSqliteResponseCache(dataDir, { maxEntries: config.cache.maxEntries });
}
