/**
 * Virtual keys in PostgreSQL, shared by every instance. Lookups are remembered for a moment
 * (cached-keys.ts); a trigger on the table notifies every instance of each change
 * (LISTEN/NOTIFY), which then forgets what it remembered, so a key created, changed or revoked
 * anywhere is in force everywhere as soon as the notification arrives, and within the cache's
 * time should the connection that listens be down.
 */
import pg from 'pg';
import { GatewayError } from '../../core/errors.js';
import { DISPLAY_PREFIX_LENGTH, duplicateName, generateKey, hashKey, randomBase62, toKeyColumns, toKeyRecord, type KeyColumnCodec, type KeyRow as SharedKeyRow } from '../key-rows.js';
import type { KeyChanges, KeyRecord, KeyStore, NewKey } from '../types.js';

export const KEYS_CHANNEL = 'tollgate_keys';
const LISTEN_RETRY_MAX_MS = 1_000;

/** Lists as text arrays, flags as booleans: as the record has them. */
export const COLUMN_CODEC: KeyColumnCodec<string[], boolean> = {
  readList: (value) => value,
  writeList: (value) => value,
  readFlag: (value) => value,
  writeFlag: (value) => value,
};

type KeyRow = SharedKeyRow<string[], boolean>;

const COLUMNS = `id, name, prefix, created_at, updated_at, revoked_at, expires_at, "user", tags, budget_nanos,
  budget_period, models, providers, rpm, tpm, allow_user_override, allow_byok`;

const toRecord = (row: KeyRow): KeyRecord => toKeyRecord(row, COLUMN_CODEC);
const toColumns = (input: KeyChanges): Record<string, unknown> => toKeyColumns(input, COLUMN_CODEC);

const quote = (column: string) => (column === 'user' ? '"user"' : column);

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string }).code === '23505';
}

/** Listens for key changes on a connection of its own (a pool's connections come and go). */
export interface KeyChangeListener {
  /** Resolves at the next change heard of. */
  changed(): Promise<void>;
  close(): Promise<void>;
}

export interface KeyChangeListenerOptions {
  url: string;
  /** The id of the key that changed; none after a reconnect, when changes may have been missed. */
  onChange: (keyId?: string) => void;
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
  const heard = (notification: pg.Notification) => {
    options.onChange(notification.payload || undefined);
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
