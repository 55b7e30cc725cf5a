/**
 * The store on PostgreSQL, shared by every instance that uses the same database: the ledger,
 * keys, images and audio, webhook deliveries. Reports and budgets' starting spend run as SQL in
 * the database. The ledger never waits for PostgreSQL to answer requests: while it is out of
 * reach, rows go to a durable spool in the data folder (see spool.ts).
 */
import { join } from 'node:path';
import type pg from 'pg';
import { describeDatabaseUrl, isUnreachable, openPool } from './connection.js';
import type { Store } from './interfaces.js';
import { postgresBlobs } from './blobs.js';
import { postgresKeyStore } from './keys.js';
import { postgresLedger, type LedgerHealth, type PostgresLedger } from './ledger-writer.js';
import { migrate } from './migrations.js';
import { postgresCostSince, postgresGetRequest, postgresListRequests, postgresRefusals, postgresReport } from './report.js';
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
}

export interface PostgresStore extends Store {
  ledger: PostgresLedger;
  /** `host:port/db`, never the credentials. */
  readonly description: string;
  health(): LedgerHealth;
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
  const keys = postgresKeyStore(pool, { url: options.url });
  /** Reads see every row recorded before them (those spooled excepted, until they drain). */
  const read = async <T>(run: () => Promise<T>): Promise<T> => {
    await schemaReady();
    await ledger.settled();
    return run();
  };
  const withSchema = <A extends unknown[], T>(run: (...args: A) => Promise<T>) => async (...args: A): Promise<T> => {
    await schemaReady();
    return run(...args);
  };
  const blobs = postgresBlobs(pool);
  const webhooks = postgresWebhookDeliveries(pool);
  let started: Promise<void> | undefined;

  return {
    description,
    pool,
    ledger,
    spend: { costSince: (filter) => read(() => postgresCostSince(pool, filter)) },
    reports: {
      report: (query, scope) => read(() => postgresReport(pool, query, scope)),
      listRequests: (query, scope) => read(() => postgresListRequests(pool, query, scope)),
      getRequest: (id, scope) => read(() => postgresGetRequest(pool, id, scope)),
      listRefusals: () => read(() => postgresRefusals(pool)),
    },
    keys: {
      create: withSchema(keys.create),
      list: withSchema(keys.list),
      get: withSchema(keys.get),
      findByKey: withSchema(keys.findByKey),
      update: withSchema(keys.update),
      revoke: withSchema(keys.revoke),
      hasActiveKeys: withSchema(keys.hasActiveKeys),
    },
    blobs: {
      put: withSchema(blobs.put),
      get: withSchema(blobs.get),
      deleteCreatedBefore: withSchema(blobs.deleteCreatedBefore),
    },
    webhooks: {
      insertPending: withSchema(webhooks.insertPending),
      recordAttempt: withSchema(webhooks.recordAttempt),
      markFailed: withSchema(webhooks.markFailed),
      listRecent: withSchema(webhooks.listRecent),
    },
    health: () => ledger.health(),
    keysChanged: () => keys.changed(),
    ready: () => {
      started ??= (async () => {
        try {
          await schemaReady();
        } catch (error) {
          if (!isUnreachable(error)) throw error;
        }
        await keys.listen();
        await ledger.drainSpool();
      })();
      return started;
    },
    close: async () => {
      await ledger.close();
      await keys.close();
      await pool.end();
    },
  };
}
