import { describe, expect, it } from 'vitest';
import { readModelHeaders, wantsStream } from '../../../src/faces/aisdk-gateway/wire-api.js';

describe('readModelHeaders', () => {
  it('reads the language model id from ai-language-model-id and other kinds from ai-model-id', () => {
    expect(readModelHeaders({ 'ai-language-model-id': 'mock/echo', 'ai-language-model-specification-version': '3' }, 'language')).toBe('mock/echo');
    expect(readModelHeaders({ 'ai-model-id': 'mock/embed', 'ai-embedding-model-specification-version': '3' }, 'embedding')).toBe('mock/embed');
  });

  it('refuses another specification version, naming the client line that fits', () => {
    expect(() => readModelHeaders({ 'ai-language-model-id': 'mock/echo', 'ai-language-model-specification-version': '2' }, 'language')).toThrow(
      /specification v3 \(ai@6, @ai-sdk\/gateway 3\.x\); the client sent v2/,
    );
  });

  it('refuses a request without a model id', () => {
    expect(() => readModelHeaders({}, 'image')).toThrow(/ai-model-id header is missing/);
  });
});

describe('wantsStream', () => {
  it('is true only for ai-language-model-streaming: true', () => {
    expect(wantsStream({ 'ai-language-model-streaming': 'true' })).toBe(true);
    expect(wantsStream({ 'ai-language-model-streaming': 'false' })).toBe(false);
    expect(wantsStream({})).toBe(false);
  });
});
