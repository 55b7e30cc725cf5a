import { NoSuchModelError } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { createMockProvider, mockModels } from '../../../src/providers/mock/index.js';

describe('mock provider', () => {
  const provider = createMockProvider();

  it('lists one model per modality', () => {
    expect(mockModels.map((model) => [model.id, model.type])).toEqual([
      ['mock/echo', 'language'],
      ['mock/embed', 'embedding'],
      ['mock/rerank', 'reranking'],
      ['mock/image', 'image'],
      ['mock/speak', 'speech'],
      ['mock/transcribe', 'transcription'],
    ]);
  });

  it('serves each model through its V3 method', () => {
    expect(provider.languageModel('echo')).toMatchObject({ specificationVersion: 'v3', provider: 'mock', modelId: 'echo' });
    expect(provider.embeddingModel('embed').modelId).toBe('embed');
    expect(provider.textEmbeddingModel('embed').modelId).toBe('embed');
    expect(provider.rerankingModel('rerank').modelId).toBe('rerank');
    expect(provider.imageModel('image').modelId).toBe('image');
    expect(provider.speechModel('speak').modelId).toBe('speak');
    expect(provider.transcriptionModel('transcribe').modelId).toBe('transcribe');
  });

  it('throws NoSuchModelError for unknown ids and for a model of another type', () => {
    expect(() => provider.languageModel('nope')).toThrow(NoSuchModelError);
    expect(() => provider.languageModel('embed')).toThrow(NoSuchModelError);
    try {
      provider.imageModel('echo');
    } catch (error) {
      expect(NoSuchModelError.isInstance(error) && [error.modelId, error.modelType]).toEqual(['echo', 'imageModel']);
    }
  });
});
