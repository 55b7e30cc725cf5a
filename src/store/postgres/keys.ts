/**
 * Virtual keys in PostgreSQL, shared by every instance. Lookups are remembered for a moment
 * (cached-keys.ts); a trigger on the table notifies every instance of each change
 * (LISTEN/NOTIFY), which then forgets what it remembered, so a key created, changed or revoked
 * anywhere is in force everywhere as soon as the notification arrives, and within the cache's
 * time should the connection that listens be down.
 */
import pg from 'pg';
import { GatewayError } from '../../core/errors.js';
import { generateKey, hashKey, randomBase62 } from '../sqlite/keys.js';
import type { BudgetPeriod, KeyChanges, KeyRecord, KeyStore, NewKey } from '../types.js';

const NANOS_PER_USD = 1e9;
const DISPLAY_PREFIX_LENGTH = 10;
export const KEYS_CHANNEL = 'tollgate_keys';
const LISTEN_RETRY_MAX_MS = 1_000;

interface KeyRow {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  updated_at: string;
  revoked_at: string | null;
  expires_at: string | null;
  user: string | null;
  tags: string[] | null;
  budget_nanos: number | null;
  budget_period: string;
  models: string[] | null;
  providers: string[] | null;
  rpm: number | null;
  tpm: number | null;
  allow_user_override: boolean;
  allow_byok: boolean;
}

const COLUMNS = `id, name, prefix, created_at, updated_at, revoked_at, expires_at, "user", tags, budget_nanos,
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
    tags: row.tags ?? [],
    budgetUsd: row.budget_nanos === null ? null : row.budget_nanos / NANOS_PER_USD,
    budgetPeriod: row.budget_period as BudgetPeriod,
    models: row.models,
    providers: row.providers,
    rpm: row.rpm,
    tpm: row.tpm,
    allowUserOverride: row.allow_user_override,
    allowByok: row.allow_byok,
  };
}

/** The columns a NewKey or KeyChanges sets. */
function toColumns(input: KeyChanges): Record<string, unknown> {
  const columns: Record<string, unknown> = {};
  if (input.name !== undefined) columns.name = input.name.trim();
  if (input.user !== undefined) columns.user = input.user;
  if (input.tags !== undefined) columns.tags = input.tags.length ? input.tags : null;
  if (input.budgetUsd !== undefined) columns.budget_nanos = input.budgetUsd === null ? null : Math.round(input.budgetUsd * NANOS_PER_USD);
  if (input.budgetPeriod !== undefined) columns.budget_period = input.budgetPeriod;
  if (input.models !== undefined) columns.models = input.models;
  if (input.providers !== undefined) columns.providers = input.providers;
  if (input.rpm !== undefined) columns.rpm = input.rpm;
  if (input.tpm !== undefined) columns.tpm = input.tpm;
  if (input.expiresAt !== undefined) columns.expires_at = input.expiresAt === null ? null : new Date(input.expiresAt).toISOString();
  if (input.allowUserOverride !== undefined) columns.allow_user_override = input.allowUserOverride;
  if (input.allowByok !== undefined) columns.allow_byok = input.allowByok;
  return columns;
}

const quote = (column: string) => (column === 'user' ? '"user"' : column);

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}

function duplicateName(name: string): GatewayError {
  return new GatewayError('invalid_request', `a key named "${name}" already exists; choose another name or revoke that key first`, { param: 'name' });
}

/** Listens for key changes on a connection of its own (a pool's connections come and go). */
export interface KeyChangeListener {
  /** Resolves at the next change heard of. */
  changed(): Promise<void>;
  close(): Promise<void>;
}

export interface KeyChangeListenerOptions {
  url: string;
  onChange: () => void;
  /** Timers of the reconnects. */
  setTimer?: (run: () => void, ms: number) => { unref?(): unknown };
}

/** Connects (resolving once it listens, or has failed and will retry) and keeps reconnecting. */
export async function listenForKeyChanges(options: KeyChangeListenerOptions): Promise<KeyChangeListener> {
  const setTimer = options.setTimer ?? ((run, ms) => setTimeout(run, ms));
  let client: pg.Client | undefined;
  let closed = false;
  let retryMs = 50;
  let waiters: Array<() => void> = [];
  const heard = () => {
    options.onChange();
    const waiting = waiters;
    waiters = [];
    for (const resolve of waiting) resolve();
  };

  const connect = async (): Promise<void> => {
    if (closed) return;
    const current = new pg.Client({ connectionString: options.url, keepAlive: true, application_name: 'tollgate-keys' });
    const lost = () => {
      if (client !== current) return;
      client = undefined;
      void current.end().catch(() => undefined);
      if (closed) return;
      const wait = retryMs;
      retryMs = Math.min(retryMs * 2, LISTEN_RETRY_MAX_MS);
      setTimer(() => void connect(), wait).unref?.();
    };
    current.on('error', lost);
    current.on('end', lost);
    current.on('notification', heard);
    client = current;
    try {
      await current.connect();
      await current.query(`LISTEN ${KEYS_CHANNEL}`);
      retryMs = 50;
      // Whatever changed while nobody listened is unknown here.
      options.onChange();
    } catch {
      lost();
    }
  };

  await connect();
  return {
    changed: () => new Promise<void>((resolve) => waiters.push(resolve)),
    close: async () => {
      closed = true;
      const current = client;
      client = undefined;
      await current?.end().catch(() => undefined);
    },
  };
}

export function postgresKeyStore(pool: pg.Pool): KeyStore {
  let keysExist = false;

  const query = async (sql: string, values: unknown[] = []): Promise<KeyRow[]> => (await pool.query<KeyRow>(sql, values)).rows;

  const find = async (idOrName: string): Promise<KeyRow | undefined> =>
    (await query(`SELECT ${COLUMNS} FROM keys WHERE id = $1`, [idOrName]))[0] ??
    (await query(`SELECT ${COLUMNS} FROM keys WHERE name = $1 AND revoked_at IS NULL`, [idOrName]))[0];

  const mustFind = async (idOrName: string): Promise<KeyRow> => {
    const row = await find(idOrName);
    if (!row) throw new GatewayError('not_found', `no key with id or name "${idOrName}"; list them with \`tollgate keys list\``);
    return row;
  };

  return {
    async create(input: NewKey) {
      const key = generateKey();
      const now = new Date().toISOString();
      const columns: Record<string, unknown> = {
        ...toColumns(input),
        id: `key_${randomBase62(16)}`,
        prefix: key.slice(0, DISPLAY_PREFIX_LENGTH),
        hash: hashKey(key),
        created_at: now,
        updated_at: now,
      };
      const names = Object.keys(columns);
      let rows: KeyRow[];
      try {
        rows = await query(
          `INSERT INTO keys (${names.map(quote).join(', ')}) VALUES (${names.map((_, index) => `$${index + 1}`).join(', ')}) RETURNING ${COLUMNS}`,
          Object.values(columns),
        );
      } catch (error) {
        if (isUniqueViolation(error)) throw duplicateName(input.name);
        throw error;
      }
      keysExist = true;
      return { key, record: toRecord(rows[0]!) };
    },

    async list(options = {}) {
      const where = options.includeRevoked ? '' : 'WHERE revoked_at IS NULL';
      return (await query(`SELECT ${COLUMNS} FROM keys ${where} ORDER BY created_at, seq`)).map(toRecord);
    },

    async get(idOrName) {
      const row = await find(idOrName);
      return row ? toRecord(row) : undefined;
    },

    async findByKey(key, now = new Date()) {
      const row = (await query(`SELECT ${COLUMNS} FROM keys WHERE hash = $1 AND revoked_at IS NULL`, [hashKey(key)]))[0];
      if (!row) return undefined;
      keysExist = true;
      if (row.expires_at !== null && Date.parse(row.expires_at) <= now.getTime()) return undefined;
      return toRecord(row);
    },

    async update(idOrName, changes) {
      const row = await mustFind(idOrName);
      if (row.revoked_at !== null) throw new GatewayError('invalid_request', `key "${row.name}" (${row.id}) is revoked; create a new one`);
      const columns = toColumns(changes);
      const names = Object.keys(columns);
      if (names.length === 0) return toRecord(row);
      const values = [...Object.values(columns), new Date().toISOString(), row.id];
      const assignments = [...names, 'updated_at'].map((name, index) => `${quote(name)} = $${index + 1}`).join(', ');
      try {
        const rows = await query(`UPDATE keys SET ${assignments} WHERE id = $${values.length} RETURNING ${COLUMNS}`, values);
        return toRecord(rows[0]!);
      } catch (error) {
        if (isUniqueViolation(error)) throw duplicateName(changes.name ?? row.name);
        throw error;
      }
    },

    async revoke(idOrName) {
      const row = await mustFind(idOrName);
      const now = new Date().toISOString();
      // Revoking twice keeps the first time.
      await query('UPDATE keys SET revoked_at = $1, updated_at = $1 WHERE id = $2 AND revoked_at IS NULL', [now, row.id]);
      return toRecord((await query(`SELECT ${COLUMNS} FROM keys WHERE id = $1`, [row.id]))[0]!);
    },

    async hasActiveKeys() {
      // Keys are never deleted, so once one exists the answer stays true.
      if (!keysExist) keysExist = (await query('SELECT 1 AS id FROM keys LIMIT 1')).length > 0;
      return keysExist;
    },
  };
}
