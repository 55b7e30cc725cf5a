/**
 * `GET /v1/responses/{id}/input_items`: a kept response's context as OpenAI's cursor-paged list
 * (`limit` 1-100, default 20; `order` desc by default; `after` an item id of the previous page).
 */
import { z } from 'zod';
import { GatewayError } from '../../core/errors.js';
import { parseRequestBody } from '../openai/parse-request-body.js';
import type { ContextItem, InputItemList } from './responses-api.js';

const InputItemsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(['asc', 'desc']).default('desc'),
  after: z.string().min(1).optional(),
});

export function parseInputItemsQuery(search: URLSearchParams): z.infer<typeof InputItemsQuerySchema> {
  const query: Record<string, string> = {};
  for (const name of ['limit', 'order', 'after']) {
    const value = search.get(name);
    if (value !== null) query[name] = value;
  }
  return parseRequestBody(InputItemsQuerySchema, query);
}

export function listInputItems(context: ContextItem[], query: z.infer<typeof InputItemsQuerySchema>): InputItemList {
  const ordered = query.order === 'asc' ? context : [...context].reverse();
  let start = 0;
  if (query.after !== undefined) {
    const at = ordered.findIndex((item) => item.id === query.after);
    if (at === -1) throw new GatewayError('invalid_request', `No input item of this response has id '${query.after}'.`, { param: 'after' });
    start = at + 1;
  }
  const data = ordered.slice(start, start + query.limit);
  return {
    object: 'list',
    data,
    first_id: data[0]?.id ?? null,
    last_id: data[data.length - 1]?.id ?? null,
    has_more: start + query.limit < ordered.length,
  };
}
