/**
 * Virtual keys in the `keys` table. A key is shown once, at creation; the table keeps only its
 * SHA-256 (to find it again) and its first characters (for people to recognise it). Lookups go to
 * the table on every request, so a key revoked by the CLI in another process is refused at once.
 */
import { createHash, randomBytes } from 'node:crypto';
import type Database from 'better-sqlite3';
import { GatewayError } from '../../core/errors.js';
import type { BudgetPeriod, KeyChanges, KeyRecord, KeyStore, NewKey } from '../types.js';

const NANOS_PER_USD = 1e9;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const KEY_PREFIX = 'tg_';
const KEY_BODY_LENGTH = 40;
const DISPLAY_PREFIX_LENGTH = 10;
const NO_KEYS_RECHECK_MS = 100;

/** `length` base62 characters from the CSPRNG, without modulo bias (bytes ≥ 248 are redrawn). */
export function randomBase62(length: number): string {
  let out = '';
  while (out.length < length) {
    for (const byte of randomBytes(length * 2)) {
      if (byte < 248) out += BASE62[byte % 62];
      if (out.length === length) break;
    }
  }
  return out;
}

export function generateKey(): string {
  return KEY_PREFIX + randomBase62(KEY_BODY_LENGTH);
}

export function hashKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  updated_at: string;
  revoked_at: string | null;
  expires_at: string | null;
  user: string | null;
  tags: string | null;
  budget_nanos: number | null;
  budget_period: string;
  models: string | null;
  providers: string | null;
  rpm: number | null;
  tpm: number | null;
  allow_user_override: number;
  allow_byok: number;
}

const COLUMNS = `id, name, prefix, created_at, updated_at, revoked_at, expires_at, user, tags, budget_nanos,
  budget_period, models, providers, rpm, tpm, allow_user_override, allow_byok`;

function toRecord(row: KeyRow): KeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revokedAt: row.revoked_at,
    expiresAt: row.expires_at,
    user: row.user,
    tags: row.tags ? (JSON.parse(row.tags) as string[]) : [],
    budgetUsd: row.budget_nanos === null ? null : row.budget_nanos / NANOS_PER_USD,
    budgetPeriod: row.budget_period as BudgetPeriod,
    models: row.models ? (JSON.parse(row.models) as string[]) : null,
    providers: row.providers ? (JSON.parse(row.providers) as string[]) : null,
    rpm: row.rpm,
    tpm: row.tpm,
    allowUserOverride: row.allow_user_override === 1,
    allowByok: row.allow_byok === 1,
  };
}

/** The columns a NewKey or KeyChanges sets, as named parameters. */
function toColumns(input: KeyChanges): Record<string, string | number | null> {
  const columns: Record<string, string | number | null> = {};
  if (input.name !== undefined) columns.name = input.name.trim();
  if (input.user !== undefined) columns.user = input.user;
  if (input.tags !== undefined) columns.tags = input.tags.length ? JSON.stringify(input.tags) : null;
  if (input.budgetUsd !== undefined) columns.budget_nanos = input.budgetUsd === null ? null : Math.round(input.budgetUsd * NANOS_PER_USD);
  if (input.budgetPeriod !== undefined) columns.budget_period = input.budgetPeriod;
  if (input.models !== undefined) columns.models = input.models === null ? null : JSON.stringify(input.models);
  if (input.providers !== undefined) columns.providers = input.providers === null ? null : JSON.stringify(input.providers);
  if (input.rpm !== undefined) columns.rpm = input.rpm;
  if (input.tpm !== undefined) columns.tpm = input.tpm;
  if (input.expiresAt !== undefined) columns.expires_at = input.expiresAt === null ? null : new Date(input.expiresAt).toISOString();
  if (input.allowUserOverride !== undefined) columns.allow_user_override = input.allowUserOverride ? 1 : 0;
  if (input.allowByok !== undefined) columns.allow_byok = input.allowByok ? 1 : 0;
  return columns;
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === 'SQLITE_CONSTRAINT_UNIQUE';
}

function duplicateName(name: string): GatewayError {
  return new GatewayError('invalid_request', `a key named "${name}" already exists; choose another name or revoke that key first`, { param: 'name' });
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
