import type { Store } from '../../../src/store/types.js';

/** One store under test, on its own empty data (a folder, a PostgreSQL schema). */
export interface StoreUnderTest {
  store: Store;
  /** Another store over the same data, as another process or instance opens it; the caller closes it. */
  openAnother(): Promise<Store>;
  /** Closes `store` and removes its data. */
  dispose(): Promise<void>;
}

export interface OpenOptions {
  /** The clock key lookups are remembered by. */
  now?: () => number;
}

/** A backend the contract suites run against: SQLite, PostgreSQL. */
export interface StoreBackend {
  name: string;
  open(options?: OpenOptions): Promise<StoreUnderTest>;
}
