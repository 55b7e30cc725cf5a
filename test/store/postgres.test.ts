/**
 * Every store contract against PostgreSQL (the machine's server on 127.0.0.1:5432), opened as
 * the server opens it. Each store under test gets a schema of its own in this run's database.
 * Skipped, saying so, when PostgreSQL does not answer.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { createStore } from '../../src/store/create-store.js';
import type { StoreBackend } from './contract/backend.js';
import { blobStoreContract } from './contract/blob-store.js';
import { keyStoreContract } from './contract/key-store.js';
import { ledgerWriterContract } from './contract/ledger-writer.js';
import { reportReaderContract } from './contract/report-reader.js';
import { responseStoreContract } from './contract/response-store.js';
import { rollupReadsContract } from './contract/rollup-reads.js';
import { spendReaderContract } from './contract/spend-reader.js';
import { webhookDeliveryStoreContract } from './contract/webhook-delivery-store.js';
import { createTestDatabase, postgresAvailable, type TestDatabase } from '../support/postgres.js';

const logger = createLogger('silent');
let database: TestDatabase | undefined;

beforeAll(async () => {
  if (postgresAvailable) database = await createTestDatabase();
});
afterAll(async () => {
  await database?.drop();
});

const postgres: StoreBackend = {
  name: 'postgres',
  open: async (options = {}) => {
    const schema = `s_${randomBytes(6).toString('hex')}`;
    const admin = new pg.Client({ connectionString: database!.url() });
    admin.on('error', () => undefined);
    await admin.connect();
    await admin.query(`CREATE SCHEMA ${schema}`);
    const url = `${database!.url()}?options=${encodeURIComponent(`-c search_path=${schema}`)}`;
    const config = parseConfig({ store: { database: url } }, {});
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-store-pg-'));
    const open = () => createStore(config, dir, logger, options.now ? { now: options.now } : {});
    const store = await open();
    return {
      store,
      openAnother: open,
      dispose: async () => {
        await store.close();
        await admin.query(`DROP SCHEMA ${schema} CASCADE`);
        await admin.end();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

if (postgresAvailable) {
  ledgerWriterContract(postgres);
  spendReaderContract(postgres);
  reportReaderContract(postgres);
  rollupReadsContract(postgres);
  keyStoreContract(postgres);
  blobStoreContract(postgres);
  responseStoreContract(postgres);
  webhookDeliveryStoreContract(postgres);
} else {
  describe('store contracts: postgres', () => {
    it.skip('skipped: PostgreSQL does not answer on 127.0.0.1:5432 (user postgres); start it to run these', () => undefined);
  });
}
