/**
 * `POST /v1/rerank` in Cohere's v2 shape (what LiteLLM, Jina and vLLM also serve there), on the
 * OpenAI-compatible face: errors keep OpenAI's shape like every other `/v1` route.
 */
import { z } from 'zod';
import { AttributionUserSchema } from '../../core/attribution.js';
import type { RerankRequest, RerankResult } from '../../core/types.js';
import { ProviderOptionsSchema } from './chat-api.js';
import { convertGatewayOptions } from './convert-gateway-options.js';
import { parseRequestBody } from './parse-request-body.js';

export const RerankRequestSchema = z.object({
  model: z.string().min(1),
  query: z.string().min(1, 'query must not be empty'),
  documents: z
    .array(z.union([z.string(), z.object({ text: z.string() })], { error: 'each document must be a string or {"text": "…"}' }))
    .min(1, 'documents must hold at least one document')
    .max(10_000, 'documents may hold at most 10000 documents'),
  top_n: z.number().int().positive().nullish(),
  return_documents: z.boolean().nullish(),
  user: AttributionUserSchema.nullish(),
  providerOptions: ProviderOptionsSchema.nullish(),
});
export type RerankWireRequest = z.infer<typeof RerankRequestSchema>;

export interface RerankWireResponse {
  id: string;
  results: Array<{ index: number; relevance_score: number; document?: { text: string } }>;
  meta: { api_version: { version: '2' }; billed_units: { search_units: number } };
  model: string;
  /** Tollgate's: USD charged, null when the model has no known price. */
  usage: { cost: number | null };
  provider: string;
}

export interface ConvertedRerankRequest {
  request: RerankRequest;
  returnDocuments: boolean;
  user?: string;
}

export function parseRerankRequest(body: unknown): ConvertedRerankRequest {
  const wire = parseRequestBody(RerankRequestSchema, body);
  const request: RerankRequest = {
    model: wire.model,
    query: wire.query,
    documents: wire.documents.map((document) => (typeof document === 'string' ? document : document.text)),
  };
  if (wire.top_n != null) request.topN = wire.top_n;
  const gateway = convertGatewayOptions(wire.providerOptions?.gateway);
  if (gateway) request.gateway = gateway;
  const user = gateway?.user ?? wire.user ?? undefined;
  return { request, returnDocuments: wire.return_documents === true, ...(user ? { user } : {}) };
}

export function renderRerank(result: RerankResult, documents: string[], returnDocuments: boolean): RerankWireResponse {
  return {
    id: result.requestId,
    results: result.ranking.map(({ index, relevanceScore }) => ({
      index,
      relevance_score: relevanceScore,
      ...(returnDocuments ? { document: { text: documents[index] ?? '' } } : {}),
    })),
    // Cohere bills one search unit per query of up to 100 documents.
    meta: { api_version: { version: '2' }, billed_units: { search_units: Math.ceil(documents.length / 100) } },
    model: result.servedModel,
    usage: { cost: result.cost },
    provider: result.provider,
  };
}
