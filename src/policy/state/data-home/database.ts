import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';

export const POLICY_STATE_FILE = 'policy-state.db';

/** How long a process waits for another's transaction on the shared file before giving up. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * The policy state file of a data home, shared by every process on it (one `serve`, the
 * `tollgate mcp` each MCP host starts). Each operation is one short IMMEDIATE transaction, so
 * processes take turns on the write lock and never both admit on the same room.
 */
export function openPolicyStateDatabase(dataDir: string): Database.Database {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, POLICY_STATE_FILE));
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  // A commit survives a process crash; an OS crash may lose the last ones, as the counters can be rebuilt from the ledger.
  db.pragma('synchronous = NORMAL');
  db.transaction(() => {
    db.exec(`
      CREATE TABLE IF NOT EXISTS handles (owner TEXT PRIMARY KEY, pid INTEGER NOT NULL, joined_at INTEGER NOT NULL) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS budget_counters (id TEXT PRIMARY KEY, spent INTEGER NOT NULL, ends_at INTEGER) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS budget_holds (
        counter_id TEXT NOT NULL,
        hold_id TEXT NOT NULL,
        nanos INTEGER NOT NULL,
        deadline INTEGER NOT NULL,
        owner TEXT NOT NULL,
        PRIMARY KEY (counter_id, hold_id)
      ) WITHOUT ROWID;
      CREATE TABLE IF NOT EXISTS rate_minutes (id TEXT NOT NULL, minute INTEGER NOT NULL, count REAL NOT NULL, PRIMARY KEY (id, minute)) WITHOUT ROWID;
    `);
  }).immediate();
  return db;
}

function alive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Registers a handle (`owner`: this process, one per opened state) on the file. Holds of
 * processes that are gone are dropped at once (not only when their deadline passes); when no
 * live process is left, the budget counters are dropped too, so the first process rebuilds them
 * from the ledger as a lone process would: a settle lost in a crash is not carried for ever.
 */
export function joinPolicyState(db: Database.Database, owner: string, now: number): void {
  db.transaction(() => {
    const handles = db.prepare('SELECT owner, pid FROM handles').all() as Array<{ owner: string; pid: number }>;
    const gone = handles.filter((handle) => !alive(handle.pid));
    const forget = db.prepare('DELETE FROM handles WHERE owner = ?');
    const dropHolds = db.prepare('DELETE FROM budget_holds WHERE owner = ?');
    for (const handle of gone) {
      forget.run(handle.owner);
      dropHolds.run(handle.owner);
    }
    if (handles.length === gone.length) db.exec('DELETE FROM budget_counters; DELETE FROM budget_holds;');
    db.prepare('INSERT OR REPLACE INTO handles (owner, pid, joined_at) VALUES (?, ?, ?)').run(owner, process.pid, now);
  }).immediate();
}

/** The handle leaves: its holds go with it. */
export function leavePolicyState(db: Database.Database, owner: string): void {
  db.transaction(() => {
    db.prepare('DELETE FROM budget_holds WHERE owner = ?').run(owner);
    db.prepare('DELETE FROM handles WHERE owner = ?').run(owner);
  }).immediate();
}
