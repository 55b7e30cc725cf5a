import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { ResponseCacheStore } from '../response-cache.js';

export interface SqliteResponseCacheOptions {
  /** Entries kept at most; past it, those closest to expiry go first. */
  maxEntries: number;
}

/**
 * The response cache in its own SQLite file beside the ledger: cached answers come and go far
 * more often than ledger rows, and their churn stays out of the ledger's WAL.
 */
export function openSqliteResponseCache(dataDir: string, options: SqliteResponseCacheOptions): ResponseCacheStore {
  mkdirSync(dataDir, { recursive: true });
  const file = join(dataDir, 'response-cache.db');
  const db = new Database(file);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  // A cache: losing the last writes to an OS crash costs only a miss.
  db.pragma('synchronous = OFF');
  db.exec(`CREATE TABLE IF NOT EXISTS response_cache (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    expires_at INTEGER NOT NULL
  ) WITHOUT ROWID;
  CREATE INDEX IF NOT EXISTS response_cache_expires ON response_cache (expires_at);`);
  const select = db.prepare<[string, number], { value: string }>('SELECT value FROM response_cache WHERE key = ? AND expires_at > ?');
  const upsert = db.prepare('INSERT INTO response_cache (key, value, expires_at) VALUES (?, ?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value, expires_at = excluded.expires_at');
  const expired = db.prepare('DELETE FROM response_cache WHERE expires_at <= ?');
  const count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM response_cache');
  const evict = db.prepare('DELETE FROM response_cache WHERE key IN (SELECT key FROM response_cache ORDER BY expires_at LIMIT ?)');
  let entries = count.get()!.n;
  return {
    description: `sqlite ${file}`,
    get: async (key, now) => select.get(key, now)?.value,
    put: async (key, value, expiresAt, now) => {
      db.transaction(() => {
        upsert.run(key, value, expiresAt);
        entries += 1;
        if (entries <= options.maxEntries) return;
        expired.run(now);
        entries = count.get()!.n;
        if (entries > options.maxEntries) {
          evict.run(entries - options.maxEntries);
          entries = options.maxEntries;
        }
      })();
    },
    sweep: async (now) => {
      const gone = expired.run(now).changes;
      entries = count.get()!.n;
      return gone;
    },
    close: async () => {
      db.close();
    },
  };
}
