/**
 * What the unmodified `@ai-sdk/gateway` 3.x client sends (spec v3, base path `/v3/ai`), as read
 * from its source (`packages/gateway/src/gateway-*-model.ts` in vercel/ai): the model id and the
 * spec version ride in headers, the body is the V3 call options of that model kind as JSON.
 * Schemas cover the fields this face reads; the rest of a V3 call passes through to the
 * provider adapters, which validate it themselves.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';
import { GatewayError } from '../../core/errors.js';

/** V3 `providerOptions`: one JSON object per provider namespace. */
export const ProviderOptionsSchema = z.record(z.string(), z.record(z.string(), z.json()));
export type ProviderOptionsWire = z.infer<typeof ProviderOptionsSchema>;

/**
 * A V3 prompt message. File parts are the one thing the client re-encodes: `Uint8Array` data
 * becomes a `data:` URL string, a `URL` becomes its href (the client declares every URL
 * supported, so the AI SDK never downloads one itself); a plain string is base64.
 */
// The fields the provider adapters read without checking them are checked here: a part whose
// `text` is a number would otherwise fail inside the adapter (a 502 for the client's mistake).
const knownParts: Record<string, z.ZodType> = {
  text: z.looseObject({ text: z.string() }),
  reasoning: z.looseObject({ text: z.string() }),
  file: z.looseObject({ mediaType: z.string().optional() }),
  'tool-call': z.looseObject({ toolCallId: z.string(), toolName: z.string() }),
  'tool-result': z.looseObject({ toolCallId: z.string(), toolName: z.string(), output: z.looseObject({ type: z.string() }) }),
};
const PartSchema = z.looseObject({ type: z.string() }).superRefine((part, ctx) => {
  const known = Object.hasOwn(knownParts, part.type) ? knownParts[part.type] : undefined;
  const checked = known?.safeParse(part);
  for (const issue of checked?.error?.issues ?? []) ctx.addIssue({ code: 'custom', message: issue.message, path: issue.path });
});
const MessageSchema = z.discriminatedUnion('role', [
  z.looseObject({ role: z.literal('system'), content: z.string() }),
  z.looseObject({ role: z.literal('user'), content: z.array(PartSchema) }),
  z.looseObject({ role: z.literal('assistant'), content: z.array(PartSchema) }),
  z.looseObject({ role: z.literal('tool'), content: z.array(PartSchema) }),
]);

/**
 * The V3 call settings leave ranges to the provider; these are the widest any provider takes
 * (OpenAI's), so a value no provider accepts is a 400 naming it instead of a call upstream.
 */
export const LanguageModelBodySchema = z.looseObject({
  prompt: z.array(MessageSchema),
  providerOptions: ProviderOptionsSchema.nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  topP: z.number().min(0).max(1).nullish(),
  topK: z.number().int().min(1).nullish(),
  presencePenalty: z.number().min(-2).max(2).nullish(),
  frequencyPenalty: z.number().min(-2).max(2).nullish(),
  maxOutputTokens: z.number().int().min(1).nullish(),
});
export type LanguageModelBody = z.infer<typeof LanguageModelBodySchema>;

export const EmbeddingModelBodySchema = z.object({
  values: z.array(z.string()),
  providerOptions: ProviderOptionsSchema.nullish(),
});
export type EmbeddingModelBody = z.infer<typeof EmbeddingModelBodySchema>;

export const ImageModelBodySchema = z.object({
  prompt: z.string().nullish(),
  n: z.number().int().min(1).max(10),
  size: z.string().regex(/^\d+x\d+$/, { error: 'must be WIDTHxHEIGHT' }).nullish(),
  aspectRatio: z.string().nullish(),
  seed: z.number().nullish(),
  files: z.array(z.unknown()).nullish(),
  mask: z.unknown().nullish(),
  providerOptions: ProviderOptionsSchema.nullish(),
});
export type ImageModelBody = z.infer<typeof ImageModelBodySchema>;

/** V3 reranking documents: texts, or JSON objects (sent to the reranker as their JSON text). */
export const RerankingModelBodySchema = z.object({
  query: z.string(),
  documents: z.discriminatedUnion('type', [
    z.object({ type: z.literal('text'), values: z.array(z.string()) }),
    z.object({ type: z.literal('object'), values: z.array(z.record(z.string(), z.json())) }),
  ]),
  topN: z.number().int().positive().nullish(),
  providerOptions: ProviderOptionsSchema.nullish(),
});
export type RerankingModelBody = z.infer<typeof RerankingModelBodySchema>;

export const SpeechModelBodySchema = z.object({
  text: z.string().min(1),
  voice: z.string().nullish(),
  outputFormat: z.string().nullish(),
  instructions: z.string().nullish(),
  speed: z.number().positive().nullish(),
  language: z.string().nullish(),
  providerOptions: ProviderOptionsSchema.nullish(),
});
export type SpeechModelBody = z.infer<typeof SpeechModelBodySchema>;

/** The client sends `Uint8Array` audio as base64; a string it was given passes unchanged (base64 or a URL). */
export const TranscriptionModelBodySchema = z.object({
  audio: z.string().min(1),
  mediaType: z.string().min(1),
  providerOptions: ProviderOptionsSchema.nullish(),
});
export type TranscriptionModelBody = z.infer<typeof TranscriptionModelBodySchema>;

/** The spec version this face speaks; the client names its own in `ai-*-model-specification-version`. */
export const SPEC_VERSION = '3';

/**
 * The model id and spec version headers. Language models use `ai-language-model-id`; every
 * other kind uses `ai-model-id` with `ai-<kind>-model-specification-version`.
 */
export function readModelHeaders(headers: IncomingHttpHeaders, kind: 'language' | 'embedding' | 'image' | 'reranking' | 'speech' | 'transcription'): string {
  const version = header(headers, `ai-${kind}-model-specification-version`);
  if (version !== undefined && version !== SPEC_VERSION) {
    throw new GatewayError(
      'invalid_request',
      `this endpoint speaks ${kind} model specification v${SPEC_VERSION} (ai@6, @ai-sdk/gateway 3.x); the client sent v${version.slice(0, 8)}`,
    );
  }
  const name = kind === 'language' ? 'ai-language-model-id' : 'ai-model-id';
  const model = header(headers, name)?.trim();
  if (!model) throw new GatewayError('invalid_request', `the ${name} header is missing; it names the model as provider/model`, { param: name });
  return model;
}

/** `ai-language-model-streaming: true` asks for an event stream. */
export function wantsStream(headers: IncomingHttpHeaders): boolean {
  return header(headers, 'ai-language-model-streaming') === 'true';
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}
