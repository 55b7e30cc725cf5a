/**
 * Cohere `POST /v2/rerank`: `{ id, results: [{ index, relevance_score }], meta: { api_version,
 * billed_units: { search_units } } }`. Errors are `{ id, message }`.
 *
 * Score: the share of distinct lower-case query words found among the document's words,
 * rounded to 4 decimals; results sorted by score, ties by index; `top_n` keeps the first n.
 * One search unit per 100 documents (rounded up), as Cohere bills.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Family, Route } from './types.js';
import { bearerToken, bodyModel, json, parseBody } from './wire.js';

const MESSAGES: Record<number, string> = {
  400: 'invalid request',
  401: 'invalid api token',
  404: 'model not found',
  429: 'You are using a Trial key, which is limited to 10 API calls / minute.',
  500: 'internal server error',
  503: 'service unavailable',
};

function errorBody(status: number, model: string | undefined): unknown {
  const message =
    status === 404 && model !== undefined
      ? `model '${model}' not found, make sure the correct model ID was used and that you have access to the model.`
      : (MESSAGES[status] ?? (status >= 500 ? 'internal server error' : 'request failed'));
  return { id: randomUUID(), message };
}

export const cohereFamily: Family = {
  name: 'cohere',
  eventEnd: '\n\n',
  defaultStreamErrorStatus: 500,
  authError(req) {
    return bearerToken(req.headers) === undefined ? json({ id: randomUUID(), message: 'no api key supplied' }, 401) : undefined;
  },
  credential: (req) => bearerToken(req.headers),
  keyRejected: () => json(errorBody(401, undefined), 401),
  errorBody,
  streamErrorEvent(status) {
    return { data: JSON.stringify(errorBody(status, undefined)), content: true };
  },
};

const RerankBody = z.looseObject({
  model: z.string(),
  query: z.string(),
  documents: z.array(z.union([z.string(), z.looseObject({ text: z.string() })])).min(1).max(10_000),
  top_n: z.number().int().min(1).nullish(),
});

const wordsOf = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

export function relevance(query: string, document: string): number {
  const wanted = new Set(wordsOf(query));
  if (wanted.size === 0) return 0;
  const present = new Set(wordsOf(document));
  let hits = 0;
  for (const word of wanted) if (present.has(word)) hits += 1;
  return Math.round((hits / wanted.size) * 10_000) / 10_000;
}

export const rerankRoute: Route = {
  method: 'POST',
  pattern: /^\/v2\/rerank$/,
  family: cohereFamily,
  model: bodyModel,
  render(req) {
    const parsed = parseBody(RerankBody, req, cohereFamily);
    if (!parsed.ok) return parsed.reply;
    const { query, documents, top_n } = parsed.value;
    const ranked = documents
      .map((doc, index) => ({ index, relevance_score: relevance(query, typeof doc === 'string' ? doc : doc.text) }))
      .sort((a, b) => b.relevance_score - a.relevance_score || a.index - b.index);
    return json({
      id: randomUUID(),
      results: ranked.slice(0, top_n ?? ranked.length),
      meta: { api_version: { version: '2' }, billed_units: { search_units: Math.ceil(documents.length / 100) } },
    });
  },
};

/**
 * `GET /v1/models` (Cohere lists models on v1 only): `{ models: [{ name, endpoints, … }] }`. Told
 * from OpenAI's list on the same path by Cohere's `page_size` parameter, which OpenAI's lacks.
 */
export const modelsListRoute: Route = {
  method: 'GET',
  pattern: /^\/v1\/models$/,
  when: (req) => req.query.has('page_size'),
  family: cohereFamily,
  model: () => undefined,
  render(_req, _options, context) {
    return json({ models: context.knownModels.map((name) => ({ name, endpoints: ['chat', 'rerank'], finetuned: false, context_length: 128000 })) });
  },
};
