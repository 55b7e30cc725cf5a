/**
 * Input usage an upstream reported before its first content token, read from the V3 `raw`
 * parts the face asks for (`includeRawChunks`). V3 carries usage only in the final `finish`
 * part, but Anthropic's `message_start` and every Gemini chunk already state the prompt's
 * size, and Anthropic clients read it from `message_start`. OpenAI-style streams report usage
 * only at their end: nothing is found there and the caller falls back to an estimate.
 *
 * Only the two documented fields of each wire format are read; anything else is ignored.
 */
export interface EarlyInputUsage {
  /** Excluding cache reads and writes (Anthropic's convention). */
  input_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

export function readEarlyUsage(rawValue: unknown): EarlyInputUsage | undefined {
  if (!isObject(rawValue)) return undefined;
  // Anthropic: {"type":"message_start","message":{"usage":{"input_tokens",…}}}
  if (rawValue.type === 'message_start' && isObject(rawValue.message) && isObject(rawValue.message.usage)) {
    const usage = rawValue.message.usage;
    if (typeof usage.input_tokens !== 'number') return undefined;
    return {
      input_tokens: usage.input_tokens,
      cache_read_input_tokens: count(usage.cache_read_input_tokens),
      cache_creation_input_tokens: count(usage.cache_creation_input_tokens),
    };
  }
  // Gemini: {"usageMetadata":{"promptTokenCount","cachedContentTokenCount"}} (prompt includes cached)
  if (isObject(rawValue.usageMetadata) && typeof rawValue.usageMetadata.promptTokenCount === 'number') {
    const cached = count(rawValue.usageMetadata.cachedContentTokenCount);
    return {
      input_tokens: Math.max(0, rawValue.usageMetadata.promptTokenCount - cached),
      cache_read_input_tokens: cached,
      cache_creation_input_tokens: 0,
    };
  }
  return undefined;
}

function count(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) ? value : 0;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}
