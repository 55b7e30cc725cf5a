import { describe, expect, it } from 'vitest';
import { type ConfigInput, ConfigSchema } from '../../src/config/schema.js';
import { buildCatalog, type CatalogProvider, inferModelType } from '../../src/core/catalog.js';
import { createPricing } from '../../src/core/pricing.js';
import { mockModels } from '../../src/providers/mock/models.js';

const mockIds = mockModels.map((model) => model.modelId);

/** The catalog when each provider's model list answered `served[provider]` (the mock: its own models). */
function catalogFor(config: ConfigInput, extra: CatalogProvider[] = [], served: Record<string, string[]> = {}) {
  const parsed = ConfigSchema.parse(config);
  const providers = [...Object.entries(parsed.providers).map(([id, provider]) => ({ id, kind: provider.kind })), ...extra];
  return buildCatalog(parsed, providers, createPricing(parsed), (id) => served[id] ?? (id === 'mock' ? mockIds : undefined));
}

describe('catalog', () => {
  it('lists the mock models with their nominal prices when a mock provider is present and mockPricing is on', () => {
    expect(catalogFor({ mockPricing: true }, [{ id: 'mock', kind: 'mock' }])).toEqual([
      {
        id: 'mock/echo',
        provider: 'mock',
        type: 'language',
        name: 'Mock Echo (deterministic, offline)',
        context_window: 128_000,
        max_tokens: 4_096,
        pricing: { input: '0.000001', output: '0.000002' },
      },
      { id: 'mock/embed', provider: 'mock', type: 'embedding', name: 'Mock Embed (deterministic, offline)', context_window: 8_192, pricing: { input: '0.0000001' } },
      { id: 'mock/image', provider: 'mock', type: 'image', name: 'Mock Image (deterministic, offline)', pricing: { image: '0.01' } },
      { id: 'mock/rerank', provider: 'mock', type: 'reranking', name: 'Mock Rerank (deterministic, offline)', pricing: { request: '0.001' } },
      {
        id: 'mock/speak',
        provider: 'mock',
        type: 'speech',
        name: 'Mock Speak (deterministic, offline; a WAV tone as long as the text)',
        pricing: { character: '0.000015' },
      },
      { id: 'mock/transcribe', provider: 'mock', type: 'transcription', name: 'Mock Transcribe (deterministic, offline)', pricing: { audio_minute: '0.006' } },
    ]);
  });

  it('lists what a provider serves, described by the price table: names, context windows and prices', () => {
    const served = { openai: ['gpt-4o-mini', 'text-embedding-3-small', 'gpt-image-1', 'whisper-1', 'gpt-4o-mini-tts', 'ft-house-model'] };
    const catalog = catalogFor({ providers: { openai: { kind: 'openai' } } }, [], served);
    expect(catalog.map((entry) => entry.id)).toEqual(served.openai.map((id) => `openai/${id}`).sort());
    expect(catalog.find((entry) => entry.id === 'openai/gpt-4o-mini')).toEqual({
      id: 'openai/gpt-4o-mini',
      provider: 'openai',
      type: 'language',
      name: 'gpt 4o mini',
      context_window: 128_000,
      pricing: { input: '0.00000015', output: '0.0000006', input_cache_read: '0.000000075' },
    });
    expect(catalog.find((entry) => entry.id === 'openai/text-embedding-3-small')?.type).toBe('embedding');
    expect(catalog.find((entry) => entry.id === 'openai/gpt-image-1')?.type).toBe('image');
    // Audio models are typed by name and priced in their own units (whisper by the minute).
    expect(catalog.find((entry) => entry.id === 'openai/whisper-1')).toMatchObject({ type: 'transcription', pricing: { audio_minute: '0.006' } });
    expect(catalog.find((entry) => entry.id === 'openai/gpt-4o-mini-tts')?.type).toBe('speech');
    // Served but not priced: listed, without a price.
    expect(catalog.find((entry) => entry.id === 'openai/ft-house-model')).toEqual({ id: 'openai/ft-house-model', provider: 'openai', type: 'language', name: 'ft-house-model', pricing: {} });
  });

  it('lists nothing the price table knows for a provider whose model list was never read', () => {
    expect(catalogFor({ providers: { openai: { kind: 'openai' }, work: { kind: 'anthropic' } } })).toEqual([]);
  });

  it('uses the provider id, not the kind, in entry ids', () => {
    const catalog = catalogFor({ providers: { work: { kind: 'anthropic' } } }, [], { work: ['claude-sonnet-4-5', 'claude-haiku-4-5'] });
    expect(catalog.map((entry) => entry.id)).toEqual(['work/claude-haiku-4-5', 'work/claude-sonnet-4-5']);
    expect(catalog.every((entry) => entry.provider === 'work' && entry.pricing.input !== undefined)).toBe(true);
  });

  it('adds models from config for any provider, config metadata winning', () => {
    const catalog = catalogFor({
      providers: {
        groq: { kind: 'openai-compatible', baseURL: 'https://api.groq.com/openai/v1', discoverModels: false, models: { 'llama-3.3-70b-versatile': { contextWindow: 131_072 } } },
        local: { kind: 'openai-compatible', baseURL: 'http://localhost:11434/v1', models: { 'nomic-embed-text': {}, 'qwen3': { maxTokens: 8192 } } },
        openai: { kind: 'openai' },
      },
      models: {
        'local/bge-reranker': {},
        'local/qwen3': { contextWindow: 32_768, pricing: { input: 0.5, output: 1 } },
        'openai/gpt-4o-mini': { contextWindow: 64_000, type: 'language' },
        'openai/my-finetune': { type: 'language', pricing: { input: 1, output: 4 } },
      },
    });
    const byId = new Map(catalog.map((entry) => [entry.id, entry]));
    expect(byId.get('groq/llama-3.3-70b-versatile')).toMatchObject({ context_window: 131_072, pricing: { input: '0.00000059' } });
    expect(byId.get('local/nomic-embed-text')).toMatchObject({ type: 'embedding', pricing: {} });
    expect(byId.get('local/bge-reranker')?.type).toBe('reranking');
    expect(byId.get('local/qwen3')).toMatchObject({ context_window: 32_768, max_tokens: 8192, pricing: { input: '0.0000005', output: '0.000001' } });
    expect(byId.get('openai/gpt-4o-mini')).toMatchObject({ context_window: 64_000, name: 'gpt 4o mini' });
    expect(byId.get('openai/my-finetune')).toMatchObject({ name: 'my-finetune', pricing: { input: '0.000001', output: '0.000004' } });
    // A pinned list is exactly what config names.
    expect(catalog.filter((entry) => entry.provider === 'groq')).toHaveLength(1);
  });

  it('is sorted by id with no duplicates', () => {
    const catalog = catalogFor(
      { providers: { openai: { kind: 'openai' }, cohere: { kind: 'cohere' } }, models: { 'openai/gpt-4o': { contextWindow: 1 } } },
      [{ id: 'mock', kind: 'mock' }],
      { openai: ['gpt-4o', 'gpt-4o-mini'], cohere: ['command-r', 'rerank-v3.5'] },
    );
    const ids = catalog.map((entry) => entry.id);
    expect(ids).toEqual([...new Set(ids)].sort());
  });
});

describe('inferModelType', () => {
  it.each([
    ['text-embedding-3-large', 'embedding'],
    ['embed-v4.0', 'embedding'],
    ['rerank-v3.5', 'reranking'],
    ['dall-e-3', 'image'],
    ['gpt-image-1', 'image'],
    ['imagen-4.0-generate-001', 'image'],
    ['gpt-4o', 'language'],
    ['gemini-2.5-flash-image', 'language'],
  ])('%s is a %s model', (model, type) => {
    expect(inferModelType(model)).toBe(type);
  });
});
