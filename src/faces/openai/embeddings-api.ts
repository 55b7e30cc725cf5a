/** Wire schemas of OpenAI's embeddings API as the face reads them, and the response it writes. */
import { z } from 'zod';
import { AttributionUserSchema } from '../../core/attribution.js';
import { ProviderOptionsSchema } from './chat-api.js';
import { parseRequestBody } from './parse-request-body.js';

export const EmbeddingsRequestSchema = z.object({
  model: z.string().min(1),
  // Token arrays are valid OpenAI input; the converter rejects them with a clear message.
  input: z.union(
    [
      z.string(),
      z.array(z.string()),
      z.array(z.union([z.number().int(), z.array(z.number().int())])),
    ],
    { error: 'input must be a string or an array of strings' },
  ),
  encoding_format: z
    .enum(['float', 'base64'], { error: "encoding_format must be 'float' or 'base64'" })
    .nullish(),
  dimensions: z.number().int().positive().nullish(),
  user: AttributionUserSchema.nullish(),
  providerOptions: ProviderOptionsSchema.nullish(),
});
export type EmbeddingsRequest = z.infer<typeof EmbeddingsRequestSchema>;

/** Parses a `/v1/embeddings` body; throws `invalid_request` naming the bad field. */
export function parseEmbeddingsRequest(body: unknown): EmbeddingsRequest {
  return parseRequestBody(EmbeddingsRequestSchema, body);
}

export type EmbeddingEncoding = 'float' | 'base64';

export interface EmbeddingsResponse {
  object: 'list';
  data: Array<{ object: 'embedding'; index: number; embedding: number[] | string }>;
  model: string;
  usage: { prompt_tokens: number; total_tokens: number; cost: number | null };
  /** The provider that served the request (not OpenAI's; Vercel AI Gateway style). */
  provider: string;
}
