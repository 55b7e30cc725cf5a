/**
 * Virtual keys as both backends keep them: the key material (shown once, kept as a SHA-256 and a
 * display prefix), and the mapping between a key's columns and its record. Backends differ only
 * in how a list and a flag are stored (JSON text and 0/1 in SQLite; arrays and booleans in
 * PostgreSQL), which they pass in as a codec.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GatewayError } from '../core/errors.js';
import type { BudgetPeriod, KeyChanges, KeyRecord } from './types.js';

const NANOS_PER_USD = 1e9;
const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';
export const KEY_PREFIX = 'tg_';
const KEY_BODY_LENGTH = 40;
export const DISPLAY_PREFIX_LENGTH = 10;

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

/** How a backend stores a list of names and a flag. */
export interface KeyColumnCodec<List, Flag> {
  readList(value: List | null): string[] | null;
  writeList(value: string[]): List;
  readFlag(value: Flag): boolean;
  writeFlag(value: boolean): Flag;
}

/** A `keys` row as a backend reads it. */
export interface KeyRow<List, Flag> {
  id: string;
  name: string;
  prefix: string;
  created_at: string;
  updated_at: string;
  revoked_at: string | null;
  expires_at: string | null;
  user: string | null;
  tags: List | null;
  budget_nanos: number | null;
  budget_period: string;
  models: List | null;
  providers: List | null;
  rpm: number | null;
  tpm: number | null;
  allow_user_override: Flag;
  allow_byok: Flag;
}

export function toKeyRecord<List, Flag>(row: KeyRow<List, Flag>, codec: KeyColumnCodec<List, Flag>): KeyRecord {
  return {
    id: row.id,
    name: row.name,
    prefix: row.prefix,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    revokedAt: row.revoked_at,
    expiresAt: row.expires_at,
    user: row.user,
    tags: codec.readList(row.tags) ?? [],
    budgetUsd: row.budget_nanos === null ? null : row.budget_nanos / NANOS_PER_USD,
    budgetPeriod: row.budget_period as BudgetPeriod,
    models: codec.readList(row.models),
    providers: codec.readList(row.providers),
    rpm: row.rpm,
    tpm: row.tpm,
    allowUserOverride: codec.readFlag(row.allow_user_override),
    allowByok: codec.readFlag(row.allow_byok),
  };
}

/** The columns a NewKey or KeyChanges sets. */
export function toKeyColumns<List, Flag>(input: KeyChanges, codec: KeyColumnCodec<List, Flag>): Record<string, string | number | null | List | Flag> {
  const columns: Record<string, string | number | null | List | Flag> = {};
  if (input.name !== undefined) columns.name = input.name.trim();
  if (input.user !== undefined) columns.user = input.user;
  if (input.tags !== undefined) columns.tags = input.tags.length ? codec.writeList(input.tags) : null;
  if (input.budgetUsd !== undefined) columns.budget_nanos = input.budgetUsd === null ? null : Math.round(input.budgetUsd * NANOS_PER_USD);
  if (input.budgetPeriod !== undefined) columns.budget_period = input.budgetPeriod;
  if (input.models !== undefined) columns.models = input.models === null ? null : codec.writeList(input.models);
  if (input.providers !== undefined) columns.providers = input.providers === null ? null : codec.writeList(input.providers);
  if (input.rpm !== undefined) columns.rpm = input.rpm;
  if (input.tpm !== undefined) columns.tpm = input.tpm;
  if (input.expiresAt !== undefined) columns.expires_at = input.expiresAt === null ? null : new Date(input.expiresAt).toISOString();
  if (input.allowUserOverride !== undefined) columns.allow_user_override = codec.writeFlag(input.allowUserOverride);
  if (input.allowByok !== undefined) columns.allow_byok = codec.writeFlag(input.allowByok);
  return columns;
}

export function duplicateName(name: string): GatewayError {
  return new GatewayError('invalid_request', `a key named "${name}" already exists; choose another name or revoke that key first`, { param: 'name' });
}
