/** Every store contract against SQLite in a fresh data folder, opened as the server opens it. */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { createStore } from '../../src/store/create-store.js';
import { hashKey } from '../../src/store/key-rows.js';
import type { StoreBackend } from './contract/backend.js';
import { blobStoreContract } from './contract/blob-store.js';
import { keyStoreContract } from './contract/key-store.js';
import { ledgerWriterContract } from './contract/ledger-writer.js';
import { reportReaderContract } from './contract/report-reader.js';
import { responseStoreContract } from './contract/response-store.js';
import { rollupReadsContract } from './contract/rollup-reads.js';
import { spendReaderContract } from './contract/spend-reader.js';
import { webhookDeliveryStoreContract } from './contract/webhook-delivery-store.js';

const config = parseConfig({}, {});
const logger = createLogger('silent');

const sqlite: StoreBackend = {
  name: 'sqlite',
  open: async (options = {}) => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-store-'));
    const open = () => createStore(config, dir, logger, options.now ? { now: options.now } : {});
    const store = await open();
    return {
      store,
      openAnother: open,
      dispose: async () => {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

ledgerWriterContract(sqlite);
spendReaderContract(sqlite);
reportReaderContract(sqlite);
rollupReadsContract(sqlite);
keyStoreContract(sqlite);
blobStoreContract(sqlite);
responseStoreContract(sqlite);
webhookDeliveryStoreContract(sqlite);

describe('SQLite files', () => {
  it('keep only the SHA-256 of a key: the key string appears nowhere in the database files', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tollgate-store-'));
    try {
      const store = await createStore(config, dir, logger);
      const { key } = await store.keys.create({ name: 'secret-holder', user: 'alice' });
      await store.close();
      const bytes = readdirSync(dir).map((file) => readFileSync(join(dir, file)).toString('latin1')).join('');
      expect(bytes).not.toContain(key);
      expect(bytes).not.toContain(key.slice(3));
      expect(bytes).toContain(hashKey(key));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
