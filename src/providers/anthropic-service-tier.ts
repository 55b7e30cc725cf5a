/**
 * Anthropic's `service_tier` request field (`auto`: Priority Tier capacity when the organisation
 * has it; `standard_only`), which the AI SDK's Anthropic provider does not send. A call asks for
 * it in `providerOptions.anthropic.serviceTier`; the model carries it to the provider's fetch for
 * the length of the call, and the fetch writes it into the Messages request body. The tier that
 * served comes back in the usage (`usage.service_tier`), which settlement prices.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';

const tierOfCall = new AsyncLocalStorage<string>();

/** The tiers Anthropic's Messages API takes. */
export const ANTHROPIC_SERVICE_TIERS = ['auto', 'standard_only'] as const;

function askedTier(options: LanguageModelV3CallOptions): string | undefined {
  const tier = options.providerOptions?.anthropic?.serviceTier;
  return typeof tier === 'string' && (ANTHROPIC_SERVICE_TIERS as readonly string[]).includes(tier) ? tier : undefined;
}

/** The model, with the service tier each call asks for available to the provider's fetch. */
export function withServiceTier(model: LanguageModelV3): LanguageModelV3 {
  const run = <T>(options: LanguageModelV3CallOptions, call: () => PromiseLike<T>): PromiseLike<T> => {
    const tier = askedTier(options);
    return tier === undefined ? call() : tierOfCall.run(tier, call);
  };
  return {
    specificationVersion: 'v3',
    get provider() {
      return model.provider;
    },
    modelId: model.modelId,
    get supportedUrls() {
      return model.supportedUrls;
    },
    doGenerate: (options) => run(options, () => model.doGenerate(options)),
    doStream: (options) => run(options, () => model.doStream(options)),
  };
}

/** A fetch that adds the call's service tier to a Messages request body. */
export function serviceTierFetch(fetch: typeof globalThis.fetch): typeof globalThis.fetch {
  return (input, init) => {
    const tier = tierOfCall.getStore();
    if (tier === undefined || typeof init?.body !== 'string') return fetch(input, init);
    const body = JSON.parse(init.body) as Record<string, unknown>;
    return fetch(input, { ...init, body: JSON.stringify({ ...body, service_tier: tier }) });
  };
}
