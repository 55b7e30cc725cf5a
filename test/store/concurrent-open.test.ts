/**
 * Processes that open one new data folder at the same moment (two servers, a server and the
 * CLI) must all start: the one that creates the schema holds the write lock from before it reads
 * the schema version, so the others wait for it and then find nothing to do, rather than read the
 * old version and fail with "table already exists".
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { migrate } from '../../src/store/sqlite/schema.js';

const dir = mkdtempSync(join(tmpdir(), 'tollgate-concurrent-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('migrating a data folder another process is migrating', () => {
  it('reads the schema version under the write lock: it waits for the other process, even with nothing left to do', () => {
    const file = join(dir, 'tollgate.db');
    const other = new Database(file);
    other.pragma('journal_mode = WAL');
    migrate(other);
    const opening = new Database(file);
    // No waiting here, so that a lock the migration takes shows as SQLITE_BUSY at once.
    opening.pragma('busy_timeout = 0');
    other.prepare('BEGIN IMMEDIATE').run();
    try {
      expect(() => migrate(opening)).toThrow(expect.objectContaining({ code: 'SQLITE_BUSY' }));
    } finally {
      other.prepare('COMMIT').run();
    }
    expect(() => migrate(opening)).not.toThrow();
    opening.close();
    other.close();
  });
});
