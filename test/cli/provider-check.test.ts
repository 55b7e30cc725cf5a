import { describe, expect, it } from 'vitest';
import { modelListCall, printableUrl } from '../../src/providers/model-list.js';
import { ProviderConfig } from '../../src/config/schema.js';

const call = (input: Record<string, unknown>) => {
  const found = modelListCall(ProviderConfig.parse(input))!;
  return { url: found.url, headers: found.headers };
};

describe('the model-list call of each provider kind', () => {
  it('uses the provider’s own endpoint and auth header, with its default base URL', () => {
    expect(call({ kind: 'openai', apiKey: 'k' })).toEqual({ url: 'https://api.openai.com/v1/models', headers: { authorization: 'Bearer k' } });
    expect(call({ kind: 'anthropic', apiKey: 'k' })).toEqual({ url: 'https://api.anthropic.com/v1/models?limit=1000', headers: { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' } });
    expect(call({ kind: 'google', apiKey: 'k' })).toEqual({ url: 'https://generativelanguage.googleapis.com/v1beta/models?pageSize=1000', headers: { 'x-goog-api-key': 'k' } });
    expect(call({ kind: 'mistral', apiKey: 'k' })).toEqual({ url: 'https://api.mistral.ai/v1/models', headers: { authorization: 'Bearer k' } });
    expect(call({ kind: 'cohere', apiKey: 'k' })).toEqual({ url: 'https://api.cohere.com/v1/models?page_size=1000', headers: { authorization: 'Bearer k' } });
    expect(modelListCall(ProviderConfig.parse({ kind: 'mock' }))).toBeUndefined();
  });

  it('follows a configured base URL as the provider is called, and sends configured headers', () => {
    expect(call({ kind: 'openai-compatible', baseURL: 'http://127.0.0.1:11434/v1/', headers: { 'x-team': 't' } })).toEqual({ url: 'http://127.0.0.1:11434/v1/models', headers: { 'x-team': 't' } });
    // ANTHROPIC_BASE_URL comes without the version path, as Anthropic's SDK takes it.
    expect(call({ kind: 'anthropic', baseURL: 'https://proxy.example.com', apiKey: 'k' }).url).toBe('https://proxy.example.com/v1/models?limit=1000');
    expect(call({ kind: 'anthropic', baseURL: 'https://proxy.example.com/v1', apiKey: 'k' }).url).toBe('https://proxy.example.com/v1/models?limit=1000');
    expect(call({ kind: 'cohere', baseURL: 'https://cohere.example.com/v2', apiKey: 'k' }).url).toBe('https://cohere.example.com/v1/models?page_size=1000');
  });

  it('prints URLs without credentials', () => {
    expect(printableUrl('https://user:secret@host.example.com/v1/models')).toBe('https://host.example.com/v1/models');
  });
});
