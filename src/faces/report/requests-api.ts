/**
 * The query string of `GET /v1/requests`. Parameters it does not know are ignored; a bad value
 * of one it knows is a 400 naming it.
 */
import { z } from 'zod';
import { errorKinds, GatewayError, type ErrorKind } from '../../core/errors.js';
import type { RequestListQuery } from '../../store/types.js';

export const DEFAULT_REQUESTS_LIMIT = 50;
export const MAX_REQUESTS_LIMIT = 200;

const Text = z.string().trim().min(1, { error: 'must not be empty' }).max(512, { error: 'must be at most 512 characters' });
const oneOf = (values: readonly string[]) => ({ error: `must be one of ${values.join(', ')}` });

const STATUSES = ['ok', 'error', 'cancelled'] as const;
const ERROR_KINDS = Object.keys(errorKinds) as [ErrorKind, ...ErrorKind[]];

export const RequestsParamsSchema = z.object({
  limit: z
    .string()
    .regex(/^\d+$/, { error: `must be a whole number from 1 to ${MAX_REQUESTS_LIMIT}` })
    .transform(Number)
    .pipe(z.number().int().min(1, { error: 'must be at least 1' }).max(MAX_REQUESTS_LIMIT, { error: `must be at most ${MAX_REQUESTS_LIMIT}` }))
    .optional(),
  before: Text.optional(),
  model: Text.optional(),
  /** Named as in `/v1/report`: `key` itself is refused in any URL, as a credential. */
  api_key_name: Text.optional(),
  status: z.enum(STATUSES, oneOf(STATUSES)).optional(),
  error_kind: z.enum(ERROR_KINDS, oneOf(ERROR_KINDS)).optional(),
});

export function parseRequestsParams(search: URLSearchParams): RequestListQuery {
  const raw: Record<string, string> = {};
  for (const [name, value] of search) raw[name] = value;
  const parsed = RequestsParamsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = String(issue.path[0] ?? 'query');
    throw new GatewayError('invalid_request', `${param} ${issue.message}`, { param });
  }
  const params = parsed.data;
  const query: RequestListQuery = { limit: params.limit ?? DEFAULT_REQUESTS_LIMIT };
  if (params.before !== undefined) query.before = params.before;
  if (params.model !== undefined) query.model = params.model;
  if (params.api_key_name !== undefined) query.apiKeyName = params.api_key_name;
  if (params.status !== undefined) query.status = params.status;
  if (params.error_kind !== undefined) query.errorKind = params.error_kind;
  return query;
}
