import { describe, expect, it } from 'vitest';
import { ConfigSchema, type ConfigInput } from '../../src/config/schema.js';
import { createPricing, toCatalogPricing } from '../../src/core/pricing.js';
import type { TokenUsage } from '../../src/core/types.js';

const usage = (u: Partial<TokenUsage>): TokenUsage => ({ input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0, ...u });
const pricingFor = (config: ConfigInput = {}, now?: () => number) => createPricing(ConfigSchema.parse(config), now);

describe('pricing from genai-prices', () => {
  const pricing = pricingFor();

  it('prices known models by provider kind, per token', () => {
    expect(pricing.priceOf('openai', 'openai', 'gpt-4o-mini')).toEqual({
      source: 'genai-prices',
      inputPerToken: 0.15 / 1e6,
      outputPerToken: 0.6 / 1e6,
      cacheReadPerToken: 0.075 / 1e6,
    });
  });

  it('follows the package aliases for dated snapshots', () => {
    expect(pricing.priceOf('anthropic', 'anthropic', 'claude-sonnet-4-5-20250929')).toMatchObject({
      inputPerToken: 3 / 1e6,
      cacheWritePerToken: 3.75 / 1e6,
      tiered: true,
    });
  });

  it('charges cache reads at their own rate and the rest of the input at the input rate', () => {
    // gpt-4o-mini: $0.15/M input, $0.075/M cached, $0.6/M output
    const cost = pricing.costOf('openai', 'openai', 'gpt-4o-mini', usage({ input: 1000, cacheRead: 200, output: 100 }));
    expect(cost).toBe(0.000195); // 800 × 0.15 + 200 × 0.075 + 100 × 0.6 = 195 per million
  });

  it('charges cache writes at their own rate (Anthropic)', () => {
    // claude-sonnet-4-5: $3/M input, $3.75/M write, $0.3/M read, $15/M output
    const cost = pricing.costOf(
      'anthropic',
      'work-anthropic',
      'claude-sonnet-4-5',
      usage({ input: 10_000, cacheRead: 4_000, cacheWrite: 5_000, output: 1_000 }),
    );
    expect(cost).toBe((1_000 * 3 + 4_000 * 0.3 + 5_000 * 3.75 + 1_000 * 15) / 1e6);
  });

  it('applies the long-context tier on total input tokens', () => {
    // claude-sonnet-4-5 above 200k input: $6/M input, $22.5/M output
    const cost = pricing.costOf('anthropic', 'anthropic', 'claude-sonnet-4-5', usage({ input: 250_000, output: 1_000 }));
    expect(cost).toBe((250_000 * 6 + 1_000 * 22.5) / 1e6);
  });

  it('prices openai-compatible providers by their id when the package knows it', () => {
    expect(pricing.priceOf('openai-compatible', 'groq', 'llama-3.3-70b-versatile')?.source).toBe('genai-prices');
    expect(pricing.priceOf('openai-compatible', 'ollama', 'llama3')).toBeNull();
    expect(pricing.costOf('openai-compatible', 'ollama', 'llama3', usage({ input: 10, output: 10 }))).toBeNull();
  });

  it('returns null for unknown models, never 0', () => {
    expect(pricing.priceOf('openai', 'openai', 'no-such-model')).toBeNull();
    expect(pricing.costOf('openai', 'openai', 'no-such-model', usage({ input: 1 }))).toBeNull();
  });

  it('returns null for an image count on a model with no per-image price and no tokens', () => {
    expect(pricing.costOf('openai', 'openai', 'gpt-image-1', usage({}), 2)).toBeNull();
  });

  it('resolves time-of-day prices at the moment of the call (DeepSeek off-peak)', () => {
    const peak = pricingFor({}, () => Date.parse('2025-01-01T10:00:00Z'));
    const offPeak = pricingFor({}, () => Date.parse('2025-01-01T20:00:00Z'));
    const u = usage({ input: 1_000_000 });
    expect(peak.costOf('openai-compatible', 'deepseek', 'deepseek-chat', u)).toBe(0.27);
    expect(offPeak.costOf('openai-compatible', 'deepseek', 'deepseek-chat', u)).toBe(0.135);
  });
});

describe('pricing from config', () => {
  it('wins over genai-prices, in USD per million tokens', () => {
    const pricing = pricingFor({
      providers: { openai: { kind: 'openai', models: { 'gpt-4o-mini': { pricing: { input: 0.1, output: 0.4 } } } } },
    });
    expect(pricing.priceOf('openai', 'openai', 'gpt-4o-mini')).toEqual({ source: 'config', inputPerToken: 0.1 / 1e6, outputPerToken: 0.4 / 1e6 });
    // No cache-read price in config: cached tokens fall back to the input price.
    expect(pricing.costOf('openai', 'openai', 'gpt-4o-mini', usage({ input: 1000, cacheRead: 500, output: 1000 }))).toBe(0.0005);
  });

  it('merges models["provider/model"] over providers[id].models[model], field by field', () => {
    const pricing = pricingFor({
      providers: { local: { kind: 'openai-compatible', baseURL: 'http://localhost:11434/v1', models: { llama3: { pricing: { input: 1, output: 1 } } } } },
      models: { 'local/llama3': { pricing: { output: 3 } } },
    });
    expect(pricing.priceOf('openai-compatible', 'local', 'llama3')).toMatchObject({ inputPerToken: 1e-6, outputPerToken: 3e-6 });
  });

  it('prices images per image', () => {
    const pricing = pricingFor({ models: { 'openai/dall-e-3': { pricing: { image: 0.04 } } } });
    expect(pricing.costOf('openai', 'openai', 'dall-e-3', usage({}), 3)).toBe(0.12);
  });

  it('returns null when usage has a kind of token the config does not price', () => {
    const pricing = pricingFor({ models: { 'x/m': { pricing: { input: 1 } } } });
    expect(pricing.costOf('openai-compatible', 'x', 'm', usage({ input: 10 }))).toBe(0.00001);
    expect(pricing.costOf('openai-compatible', 'x', 'm', usage({ input: 10, output: 5 }))).toBeNull();
  });
});

describe('the mock is free by default', () => {
  const pricing = pricingFor();

  it('prices every mock model at 0 in the unit it bills: known to be free, not of unknown price', () => {
    expect(pricing.costOf('mock', 'mock', 'echo', usage({ input: 1_000, output: 500 }))).toBe(0);
    expect(pricing.costOf('mock', 'mock', 'image', usage({}), 2)).toBe(0);
    expect(pricing.costOf('mock', 'mock', 'rerank', usage({}))).toBe(0);
    expect(pricing.costOf('mock', 'mock', 'speak', usage({}), 0, { unit: 'characters', amount: 100 })).toBe(0);
    expect(pricing.priceOf('mock', 'mock', 'echo')).toEqual({ source: 'builtin', inputPerToken: 0, outputPerToken: 0 });
    expect(toCatalogPricing(pricing.priceOf('mock', 'mock', 'rerank'))).toEqual({ request: '0' });
  });
});

describe('mock nominal prices (mockPricing)', () => {
  const pricing = pricingFor({ mockPricing: true });

  it('charges $1/M input and $2/M output for the echo model', () => {
    expect(pricing.costOf('mock', 'mock', 'echo', usage({ input: 1_000, output: 500 }))).toBe(0.002);
  });

  it('charges embeddings, images and reranks', () => {
    expect(pricing.costOf('mock', 'mock', 'embed', usage({ input: 1_000_000 }))).toBe(0.1);
    expect(pricing.costOf('mock', 'mock', 'image', usage({}), 2)).toBe(0.02);
    expect(pricing.costOf('mock', 'mock', 'rerank', usage({}))).toBe(0.001);
    expect(pricing.priceOf('mock', 'mock', 'nope')).toBeNull();
  });

  it('shows the per-search price of the reranker in the catalog shape', () => {
    expect(toCatalogPricing(pricing.priceOf('mock', 'mock', 'rerank'))).toEqual({ request: '0.001' });
  });
});

describe('money arithmetic', () => {
  it('rounds float noise away at 1e-10 USD', () => {
    const pricing = pricingFor({ models: { 'x/m': { pricing: { input: 0.1, output: 0.2 } } } });
    const one = pricing.costOf('openai-compatible', 'x', 'm', usage({ input: 3, output: 7 }));
    expect(one).toBe(0.0000017);
  });
});

describe('catalog pricing strings', () => {
  it('writes USD per token as plain decimals', () => {
    expect(
      toCatalogPricing({ source: 'genai-prices', inputPerToken: 0.15 / 1e6, outputPerToken: 0.6 / 1e6, cacheReadPerToken: 0.075 / 1e6, cacheWritePerToken: 3.75 / 1e6, perImage: 0.04 }),
    ).toEqual({ input: '0.00000015', output: '0.0000006', input_cache_read: '0.000000075', input_cache_write: '0.00000375', image: '0.04' });
    expect(toCatalogPricing(null)).toEqual({});
  });
});

describe('pricing speech and transcription in their own units', () => {
  const pricing = pricingFor({ models: { 'openai/tts-1': { pricing: { characters: 15 } }, 'oa/local-whisper': { pricing: { audioMinute: 0.003 } } } });

  it('prices speech per configured million characters, and not by tokens', () => {
    expect(pricing.priceOf('openai', 'openai', 'tts-1')).toMatchObject({ source: 'config', perCharacter: 15 / 1e6 });
    expect(pricing.costOf('openai', 'openai', 'tts-1', usage({}), 0, { unit: 'characters', amount: 1000 })).toBe(0.015);
  });

  it('leaves speech unpriced when the model only has token rates (its audio output is not metered)', () => {
    expect(pricing.priceOf('openai', 'openai', 'gpt-4o-mini-tts')).toMatchObject({ inputPerToken: 0.6 / 1e6 });
    expect(pricing.costOf('openai', 'openai', 'gpt-4o-mini-tts', usage({}), 0, { unit: 'characters', amount: 1000 })).toBeNull();
  });

  it("prices whisper per minute from genai-prices' audio hours, and null when the duration is unknown", () => {
    expect(pricing.priceOf('openai', 'openai', 'whisper-1')).toEqual({ source: 'genai-prices', perAudioMinute: 0.36 / 60 });
    expect(pricing.costOf('openai', 'openai', 'whisper-1', usage({}), 0, { unit: 'audioSeconds', amount: 90 })).toBe(0.009);
    expect(pricing.costOf('openai', 'openai', 'whisper-1', usage({}), 0, { unit: 'audioSeconds', amount: null })).toBeNull();
  });

  it('leaves token-billed transcription unpriced even with reported tokens: audio tokens have their own rate', () => {
    expect(pricing.costOf('openai', 'openai', 'gpt-4o-transcribe', usage({ input: 100, output: 10 }), 0, { unit: 'audioSeconds', amount: 10 })).toBeNull();
  });

  it('takes audioMinute from config for any provider, and shows both units in the catalog shape', () => {
    expect(pricing.costOf('openai-compatible', 'oa', 'local-whisper', usage({}), 0, { unit: 'audioSeconds', amount: 120 })).toBe(0.006);
    expect(toCatalogPricing(pricing.priceOf('openai', 'openai', 'tts-1'))).toEqual({ character: '0.000015' });
    expect(toCatalogPricing(pricing.priceOf('openai', 'openai', 'whisper-1'))).toEqual({ audio_minute: '0.006' });
  });

  it('prices the mock audio models at their nominal rates', () => {
    const pricing = pricingFor({ mockPricing: true });
    expect(pricing.costOf('mock', 'mock', 'speak', usage({}), 0, { unit: 'characters', amount: 100 })).toBe(0.0015);
    expect(pricing.costOf('mock', 'mock', 'transcribe', usage({}), 0, { unit: 'audioSeconds', amount: 60 })).toBe(0.006);
  });
});

describe('service tiers and web searches', () => {
  const tiers = { flex: { input: 0.625, output: 5 }, priority: { input: 2.5, output: 20, cacheRead: 0.25 } };
  const pricing = pricingFor({ models: { 'openai/gpt-5': { pricing: { input: 1.25, output: 10, cacheRead: 0.125, serviceTiers: tiers } } } });

  it('bills a request at the rates of the tier that served it, the default rates for a rate the tier leaves out', () => {
    const tokens = { input: 1000, cacheRead: 400, output: 100 };
    expect(pricing.costOf('openai', 'openai', 'gpt-5', usage(tokens))).toBe(0.00180); // 600 × 1.25 + 400 × 0.125 + 100 × 10
    expect(pricing.costOf('openai', 'openai', 'gpt-5', usage({ ...tokens, serviceTier: 'flex' }))).toBe(0.000925); // 600 × 0.625 + 400 × 0.125 + 100 × 5
    expect(pricing.costOf('openai', 'openai', 'gpt-5', usage({ ...tokens, serviceTier: 'priority' }))).toBe(0.0036); // 600 × 2.5 + 400 × 0.25 + 100 × 20
  });

  it('bills a tier without prices of its own at the default rates, and names the tiers that have them', () => {
    expect(pricing.costOf('openai', 'openai', 'gpt-5', usage({ input: 1000, output: 100, serviceTier: 'scale' }))).toBe(0.00225);
    expect(pricing.serviceTiersOf('openai', 'openai', 'gpt-5')).toEqual(['flex', 'priority']);
    expect(pricing.serviceTiersOf('openai', 'openai', 'gpt-4o-mini')).toEqual([]);
  });

  it('adds config that sets only tier prices to the published token prices', () => {
    const layered = pricingFor({ models: { 'openai/gpt-4o-mini': { pricing: { serviceTiers: { flex: { input: 0.075, output: 0.3 } } } } } });
    // gpt-4o-mini as published: $0.15/M input, $0.6/M output
    expect(layered.costOf('openai', 'openai', 'gpt-4o-mini', usage({ input: 1000, output: 100 }))).toBe(0.00021);
    expect(layered.costOf('openai', 'openai', 'gpt-4o-mini', usage({ input: 1000, output: 100, serviceTier: 'flex' }))).toBe(0.000105);
    expect(layered.priceOf('openai', 'openai', 'gpt-4o-mini')?.source).toBe('genai-prices');
  });

  it("bills web searches per search: genai-prices' Anthropic rate, or the config's per thousand", () => {
    // claude-sonnet-4-5: $3/M input, $15/M output, $10 per 1,000 searches
    expect(pricingFor().costOf('anthropic', 'anthropic', 'claude-sonnet-4-5', usage({ input: 1000, output: 100, webSearches: 2 }))).toBe(0.0245);
    const configured = pricingFor({ models: { 'openai/gpt-5': { pricing: { input: 1.25, output: 10, webSearchesPerThousand: 25 } } } });
    expect(configured.costOf('openai', 'openai', 'gpt-5', usage({ input: 1000, output: 100, webSearches: 1 }))).toBe(0.02725);
  });

  it('leaves a request unpriced when it ran searches its model has no search price for, never billing them 0', () => {
    expect(pricing.costOf('openai', 'openai', 'gpt-5', usage({ input: 1000, output: 100, webSearches: 1 }))).toBeNull();
  });
});
