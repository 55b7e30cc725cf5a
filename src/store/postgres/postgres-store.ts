/**
 * The store on PostgreSQL, shared by every instance that uses the same database: the ledger,
 * keys, images and audio, webhook deliveries. Reports and budgets' starting spend run as SQL in
 * the database. The ledger never waits for PostgreSQL to answer requests: while it is out of
 * reach, rows go to a durable spool in the data folder (see spool.ts).
 */
import { join } from 'node:path';
import type pg from 'pg';
import { GatewayError } from '../../core/errors.js';
import { describeDatabaseUrl } from '../database-url.js';
import { isUnreachable, openPool } from './connection.js';
import type { Store } from '../types.js';
import { postgresBlobs } from './blobs.js';
import { cacheKeyLookups, KEY_LOOKUP_TTL_MS } from '../cached-keys.js';
import { listenForKeyChanges, postgresKeyStore, type KeyChangeListener } from './keys.js';
import { postgresLedger, type PostgresLedger } from './ledger-writer.js';
import { migrate } from './migrations.js';
import { postgresCostSince, postgresRefusals, postgresReport, postgresRequestLog } from './report.js';
import { postgresResponses } from './responses.js';
import { LedgerSpool } from './spool.js';
import { postgresWebhookDeliveries } from './webhook-deliveries.js';

export interface PostgresStoreOptions {
  /** `postgres://…` */
  url: string;
  /** The data folder: the ledger's spool lives under it. */
  dataDir: string;
  /** A batch of ledger rows PostgreSQL refused (not for being out of reach). */
  onWriteError?: (error: unknown) => void;
  /** The ledger started spooling (PostgreSQL out of reach), or drained its spool. */
  onDegraded?: (degraded: boolean, error?: unknown) => void;
  poolMax?: number;
  /** The clock key lookups are remembered by (tests move it past the cache's time). */
  now?: () => number;
}

export interface PostgresStore extends Store {
  ledger: PostgresLedger;
  /** `host:port/db`, never the credentials. */
  readonly description: string;
  /** Resolves at the next key change this instance hears of (tests wait on it). */
  keysChanged(): Promise<void>;
  /**
   * Resolves once the schema is current and the spool left by earlier runs has been sent.
   * Rejects when PostgreSQL answers but refuses (wrong credentials, no such database); while it
   * is out of reach it resolves, degraded, and the store keeps trying.
   */
  ready(): Promise<void>;
  /** The pool, for tests and tools that look at the tables. */
  readonly pool: pg.Pool;
}

export function openPostgresStore(options: PostgresStoreOptions): PostgresStore {
  const pool = openPool({ url: options.url, ...(options.poolMax ? { max: options.poolMax } : {}) });
  const description = describeDatabaseUrl(options.url);
  let schema: Promise<void> | undefined;
  /** Migrates once; after a failure the next use tries again. */
  const schemaReady = (): Promise<void> => {
    schema ??= migrate(pool).catch((error: unknown) => {
      schema = undefined;
      throw error;
    });
    return schema;
  };
  const ledger = postgresLedger(pool, new LedgerSpool(join(options.dataDir, 'ledger-spool')), {
    schemaReady,
    onWriteError: options.onWriteError ?? ((error) => process.emitWarning(`tollgate: ledger write failed: ${String(error)}`)),
    ...(options.onDegraded ? { onDegraded: options.onDegraded } : {}),
  });
  /**
   * Every call waits for the schema; PostgreSQL out of reach is a 503 `store_unavailable` naming
   * it (the ledger's writes never get here: they spool).
   */
  const guard = <A extends unknown[], T>(run: (...args: A) => Promise<T>) => async (...args: A): Promise<T> => {
    try {
      await schemaReady();
      return await run(...args);
    } catch (error) {
      if (!isUnreachable(error)) throw error;
      throw new GatewayError('store_unavailable', `the store (PostgreSQL at ${description}) is unreachable; try again shortly`);
    }
  };
  const guardAll = <T extends object>(methods: T): T =>
    Object.fromEntries(Object.entries(methods).map(([name, method]) => [name, guard(method as (...args: unknown[]) => Promise<unknown>)])) as T;
  const plainKeys = postgresKeyStore(pool);
  const keys = cacheKeyLookups(guardAll(plainKeys), KEY_LOOKUP_TTL_MS, options.now);
  let listener: KeyChangeListener | undefined;
  /** Reads see every row recorded before them (those spooled excepted, until they drain). */
  const read = <T>(run: () => Promise<T>): Promise<T> =>
    guard(async () => {
      await ledger.settled();
      return run();
    })();
  const blobs = postgresBlobs(pool);
  const webhooks = postgresWebhookDeliveries(pool);
  const requests = postgresRequestLog(pool);
  let started: Promise<void> | undefined;
  let closing: Promise<void> | undefined;

  return {
    description,
    pool,
    ledger,
    spend: { costSince: (filter) => read(() => postgresCostSince(pool, filter)) },
    reports: {
      report: (query, scope) => read(() => postgresReport(pool, query, scope)),
      listRequests: (query, scope) => read(() => requests.list(query, scope)),
      getRequest: (id, scope) => read(() => requests.get(id, scope)),
      listRefusals: () => read(() => postgresRefusals(pool)),
    },
    keys: {
      create: keys.create,
      list: keys.list,
      get: keys.get,
      findByKey: keys.findByKey,
      update: keys.update,
      revoke: keys.revoke,
      hasActiveKeys: keys.hasActiveKeys,
    },
    blobs: guardAll(postgresBlobs(pool)),
    responses: guardAll(postgresResponses(pool)),
    webhooks: guardAll(postgresWebhookDeliveries(pool)),
    onKeyChange: keys.onChange,
    health: () => ledger.health(),
    keysChanged: () => {
      if (!listener) throw new Error('keysChanged: the store is not ready yet (await ready())');
      return listener.changed();
    },
    ready: () => {
      started ??= (async () => {
        try {
          await schemaReady();
        } catch (error) {
          if (!isUnreachable(error)) throw error;
        }
        listener = await listenForKeyChanges({ url: options.url, onChange: (keyId) => keys.changed(keyId) });
        await ledger.drainSpool();
      })();
      return started;
    },
    close: () => {
      closing ??= (async () => {
        await ledger.close();
        await listener?.close();
        await pool.end();
      })();
      return closing;
    },
  };
}
