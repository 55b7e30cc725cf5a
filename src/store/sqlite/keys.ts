/**
 * Virtual keys in the `keys` table. A key is shown once, at creation; the table keeps only its
 * SHA-256 (to find it again) and its first characters (for people to recognise it). Lookups go to
 * the table on every request, so a key revoked by the CLI in another process is refused at once.
 */
import type Database from 'better-sqlite3';
import { GatewayError } from '../../core/errors.js';
import { DISPLAY_PREFIX_LENGTH, duplicateName, generateKey, hashKey, randomBase62, toKeyColumns, toKeyRecord, type KeyColumnCodec, type KeyRow as SharedKeyRow } from '../key-rows.js';
import type { KeyChanges, KeyRecord, KeyStore, NewKey } from '../types.js';

const NO_KEYS_RECHECK_MS = 100;

/** Lists as JSON text, flags as 0/1. */
export const COLUMN_CODEC: KeyColumnCodec<string, number> = {
  readList: (value) => (value ? (JSON.parse(value) as string[]) : null),
  writeList: (value) => JSON.stringify(value),
  readFlag: (value) => value === 1,
  writeFlag: (value) => (value ? 1 : 0),
};

type KeyRow = SharedKeyRow<string, number>;

const COLUMNS = `id, name, prefix, created_at, updated_at, revoked_at, expires_at, user, tags, budget_nanos,
  budget_period, models, providers, rpm, tpm, allow_user_override, allow_byok`;

const toRecord = (row: KeyRow): KeyRecord => toKeyRecord(row, COLUMN_CODEC);
const toColumns = (input: KeyChanges) => toKeyColumns(input, COLUMN_CODEC) as Record<string, string | number | null>;

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

export function sqliteKeyStore(db: Database.Database): KeyStore {
  const byId = db.prepare(`SELECT ${COLUMNS} FROM keys WHERE id = ?`);
  const byLiveName = db.prepare(`SELECT ${COLUMNS} FROM keys WHERE name = ? AND revoked_at IS NULL`);
  const byHash = db.prepare(`SELECT ${COLUMNS} FROM keys WHERE hash = ? AND revoked_at IS NULL`);
  const listLive = db.prepare(`SELECT ${COLUMNS} FROM keys WHERE revoked_at IS NULL ORDER BY created_at, rowid`);
  const listAll = db.prepare(`SELECT ${COLUMNS} FROM keys ORDER BY created_at, rowid`);
  // The partial index keys_live_name covers exactly the rows this looks for.
  // Any key ever made, revoked or not: revoking the last key must not open the gateway again.
  const anyKey = db.prepare('SELECT 1 FROM keys LIMIT 1');
  let keysExist = false;
  let checkedAt = -Infinity;
  const setRevoked = db.prepare('UPDATE keys SET revoked_at = ?, updated_at = ? WHERE id = ? AND revoked_at IS NULL');

  const find = (idOrName: string): KeyRow | undefined =>
    (byId.get(idOrName) as KeyRow | undefined) ?? (byLiveName.get(idOrName) as KeyRow | undefined);

  const mustFind = (idOrName: string): KeyRow => {
    const row = find(idOrName);
    if (!row) throw new GatewayError('not_found', `no key with id or name "${idOrName}"; list them with \`tollgate keys list\``);
    return row;
  };

  return {
    async create(input: NewKey) {
      const key = generateKey();
      const now = new Date().toISOString();
      const columns = {
        tags: null,
        user: null,
        budget_nanos: null,
        budget_period: 'month',
        models: null,
        providers: null,
        rpm: null,
        tpm: null,
        expires_at: null,
        allow_user_override: 0,
        allow_byok: 1,
        ...toColumns(input),
        id: `key_${randomBase62(16)}`,
        prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
        hash: hashKey(key),
        created_at: now,
        updated_at: now,
      };
      const names = Object.keys(columns);
      try {
        db.prepare(`INSERT INTO keys (${names.join(', ')}) VALUES (${names.map((name) => `@${name}`).join(', ')})`).run(columns);
      } catch (error) {
        if (isUniqueViolation(error)) throw duplicateName(input.name);
        throw error;
      }
      keysExist = true;
      return { key, record: toRecord(byId.get(columns.id) as KeyRow) };
    },

    async list(options = {}) {
      return ((options.includeRevoked ? listAll : listLive).all() as KeyRow[]).map(toRecord);
    },

    async get(idOrName) {
      const row = find(idOrName);
      return row ? toRecord(row) : undefined;
    },

    async findByKey(key, now = new Date()) {
      const row = byHash.get(hashKey(key)) as KeyRow | undefined;
      if (!row) return undefined;
      keysExist = true;
      if (row.expires_at !== null && Date.parse(row.expires_at) <= now.getTime()) return undefined;
      return toRecord(row);
    },

    async update(idOrName, changes) {
      const row = mustFind(idOrName);
      if (row.revoked_at !== null) throw new GatewayError('invalid_request', `key "${row.name}" (${row.id}) is revoked; create a new one`);
      const columns = toColumns(changes);
      const names = Object.keys(columns);
      if (names.length === 0) return toRecord(row);
      const assignments = [...names, 'updated_at'].map((name) => `${name} = @${name}`).join(', ');
      try {
        db.prepare(`UPDATE keys SET ${assignments} WHERE id = @id`).run({ ...columns, updated_at: new Date().toISOString(), id: row.id });
      } catch (error) {
        if (isUniqueViolation(error)) throw duplicateName(changes.name ?? row.name);
        throw error;
      }
      return toRecord(byId.get(row.id) as KeyRow);
    },

    async revoke(idOrName) {
      const row = mustFind(idOrName);
      const now = new Date().toISOString();
      // Revoking twice keeps the first time.
      setRevoked.run(now, now, row.id);
      return toRecord(byId.get(row.id) as KeyRow);
    },

    async hasActiveKeys() {
      // Keys are never deleted, so once one exists the answer stays true: no query per request.
      // While there are none, a key made by another process (the CLI) is seen within a tenth of a
      // second (the gateway must not stay open long after the first key), and at once when a
      // request presents it (findByKey).
      if (keysExist) return true;
      const now = Date.now();
      if (now - checkedAt >= NO_KEYS_RECHECK_MS) {
        checkedAt = now;
        keysExist = anyKey.get() !== undefined;
      }
      return keysExist;
    },
  };
}
