import type { SharedV3ProviderOptions } from '@ai-sdk/provider';
import type { ProviderKind } from '../config/schema.js';
import type { TokenUsage } from '../core/types.js';

/**
 * What differs between provider kinds in how a call is asked for and what its answer reports,
 * beyond what the AI SDK's V3 specification carries. Each provider entry holds its kind's.
 */
export interface CallQuirks {
  /** Provider options asking an embedding model for vectors of `dimensions`. */
  embeddingDimensions(dimensions: number): SharedV3ProviderOptions;
  /** Provider options carrying a transcription's language and prompt. */
  transcriptionOptions(options: { language?: string; prompt?: string }): SharedV3ProviderOptions;
  /** Tokens a token-billed transcription reports in its raw response body (nothing when it is billed by the minute). */
  transcriptionTokens(body: unknown): Partial<TokenUsage>;
  /** Whether this kind's upstream runs a provider tool (`anthropic.web_search_20250305`, `google.google_search`) itself. */
  runsProviderTool(toolId: string): boolean;
}

/** The AI SDK packages whose provider tools the upstream of each kind runs (web search, grounding). */
const PROVIDER_TOOL_NAMESPACE: Partial<Record<ProviderKind, string>> = { openai: 'openai.', anthropic: 'anthropic.', google: 'google.' };

export function callQuirksOf(kind: ProviderKind): CallQuirks {
  return {
    embeddingDimensions: (dimensions): SharedV3ProviderOptions =>
      kind === 'google' ? { google: { outputDimensionality: dimensions } } : { [kind]: { dimensions }, openai: { dimensions } },
    // The OpenAI models read their options under `openai` whatever the provider's name; passing
    // them (even empty) also makes whisper answer with its duration.
    transcriptionOptions: (options) => ({ openai: options, [kind]: options }),
    transcriptionTokens: openaiTranscriptionTokens,
    runsProviderTool: (toolId) => PROVIDER_TOOL_NAMESPACE[kind] !== undefined && toolId.startsWith(PROVIDER_TOOL_NAMESPACE[kind]),
  };
}

/** Tokens of a token-billed transcription (OpenAI's gpt-4o-transcribe reports `usage.type: "tokens"`). */
function openaiTranscriptionTokens(body: unknown): Partial<TokenUsage> {
  const usage = (body as { usage?: { type?: unknown; input_tokens?: unknown; output_tokens?: unknown } } | null | undefined)?.usage;
  if (!usage || usage.type !== 'tokens') return {};
  const count = (value: unknown) => (typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : 0);
  return { input: count(usage.input_tokens), output: count(usage.output_tokens) };
}
