import type { SharedV3ProviderOptions } from '@ai-sdk/provider';
import type { CacheControl } from './messages-api.js';

/**
 * A block's `cache_control` as V3 provider options: `providerOptions.anthropic.cacheControl` is
 * what the AI SDK's Anthropic provider turns back into `cache_control` on the same block. Only
 * blocks the client marked get it; nothing is ever added. Other providers ignore the namespace.
 */
export function cacheControlOptions(cacheControl: CacheControl | null | undefined): { providerOptions?: SharedV3ProviderOptions } {
  if (!cacheControl) return {};
  const value: Record<string, string> = { type: cacheControl.type };
  if (cacheControl.ttl != null) value.ttl = cacheControl.ttl;
  return { providerOptions: { anthropic: { cacheControl: value } } };
}
