/**
 * Limits on the user and tags a request names for spend reports, wherever it names them (a body
 * field of any face, `providerOptions.gateway`, the `ai-reporting-*` headers). They are stored
 * on every ledger row and grouped by in reports, so an unbounded list would bloat both.
 */
import { z } from 'zod';
import { GatewayError } from './errors.js';
import type { GatewayOptions } from './types.js';

export const MAX_TAGS = 10;
export const MAX_TAG_LENGTH = 64;
export const MAX_USER_LENGTH = 256;

/** A user named by a request. */
export const AttributionUserSchema = z.string().max(MAX_USER_LENGTH, { error: `a user is at most ${MAX_USER_LENGTH} characters` });

const TagSchema = z.string().min(1, { error: `a tag is 1 to ${MAX_TAG_LENGTH} characters` }).max(MAX_TAG_LENGTH, { error: `a tag is 1 to ${MAX_TAG_LENGTH} characters` });

/**
 * Tags named by a request. The count is checked before the tags themselves, so a list of a
 * million tags is refused without a look at each one.
 */
export const AttributionTagsSchema = z
  .array(z.unknown())
  .max(MAX_TAGS, { error: `at most ${MAX_TAGS} tags are allowed` })
  .pipe(z.array(TagSchema));

/**
 * The core's own check of the gateway options a face hands over: each face has checked its
 * wire fields with the schemas above (naming the exact field); this keeps a request that came
 * any other way within the same limits.
 */
export function checkGatewayAttribution(gateway: GatewayOptions | undefined): void {
  if (!gateway) return;
  if (gateway.user !== undefined) refuseIfInvalid(AttributionUserSchema, gateway.user, 'user');
  if (gateway.tags !== undefined) refuseIfInvalid(AttributionTagsSchema, gateway.tags, 'tags');
}

function refuseIfInvalid(schema: z.ZodType, value: unknown, param: string): void {
  const result = schema.safeParse(value);
  if (!result.success) throw new GatewayError('invalid_request', `Invalid value for '${param}': ${result.error.issues[0]!.message}`, { param });
}
