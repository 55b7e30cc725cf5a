import { parseConfig } from '../../src/config/load.js';
import { createLogger } from '../../src/logger.js';
import { createStore } from '../../src/store/create-store.js';
import type { Store } from '../../src/store/types.js';

/** The store of a data folder, opened as `tollgate keys` opens it beside a running server. */
export function openStore(dataDir: string): Promise<Store> {
  return createStore(parseConfig({}, {}), dataDir, createLogger('silent'));
}
