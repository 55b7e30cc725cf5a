/**
 * The fields of a virtual key as callers send them (admin API bodies, CLI flags), in the
 * camelCase of `NewKey`. One schema for both, so both refuse the same things with the same words.
 */
import { z } from 'zod';
import type { KeyChanges, NewKey } from '../../store/types.js';

const NAME_PATTERN = /^[^\p{Cc}]+$/u;

export const KeyName = z
  .string()
  .trim()
  .min(1, 'a key needs a name')
  .max(100, 'a key name has at most 100 characters')
  .regex(NAME_PATTERN, 'a key name cannot contain control characters')
  // An id-like name would shadow ids in `keys show`; a key-like one is probably a pasted secret.
  .refine((name) => !name.startsWith('key_') && !name.startsWith('tg_'), 'a key name cannot start with "key_" or "tg_"');

const Patterns = z.array(z.string().trim().min(1, 'an empty pattern matches nothing')).min(1, 'give at least one, or null for all');

/** ISO 8601 date or date-time in the future; stored as a full UTC timestamp. */
export const ExpiresAt = z
  .string()
  .refine((text) => /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) && !Number.isNaN(Date.parse(text)), 'give an ISO 8601 date or date-time (2026-01-31 or 2026-01-31T12:00:00Z)')
  .transform((text) => new Date(text).toISOString())
  .refine((iso) => Date.parse(iso) > Date.now(), 'that time is already past (to end a key now, revoke it)');

/** Every field but the name; `null` clears a limit on update. */
const limitFields = {
  user: z.string().trim().min(1).max(200).nullable().optional(),
  tags: z.array(z.string().trim().min(1).max(100)).max(50).optional(),
  budgetUsd: z.number().positive('budgetUsd must be more than 0 (null for no budget)').nullable().optional(),
  budgetPeriod: z.enum(['day', 'week', 'month', 'total']).optional(),
  models: Patterns.nullable().optional(),
  providers: Patterns.nullable().optional(),
  rpm: z.number().int().positive().nullable().optional(),
  tpm: z.number().int().positive().nullable().optional(),
  expiresAt: ExpiresAt.nullable().optional(),
  allowUserOverride: z.boolean().optional(),
  allowByok: z.boolean().optional(),
};

export const NewKeySchema = z.object({ name: KeyName, ...limitFields }).strict() satisfies z.ZodType<NewKey>;

export const KeyChangesSchema = z.object({ name: KeyName.optional(), ...limitFields }).strict() satisfies z.ZodType<KeyChanges>;

/** The first problem, as `field: message`, for a 400 or a CLI error. */
export function describeKeyFieldsError(error: z.ZodError): string {
  const issue = error.issues[0];
  if (!issue) return 'invalid key fields';
  if (issue.code === 'unrecognized_keys') {
    return `unknown field${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((key) => `"${key}"`).join(', ')}; key fields are camelCase: name, user, tags, budgetUsd, budgetPeriod, models, providers, rpm, tpm, expiresAt, allowUserOverride, allowByok`;
  }
  const path = issue.path.join('.');
  return path ? `${path}: ${issue.message}` : issue.message;
}
