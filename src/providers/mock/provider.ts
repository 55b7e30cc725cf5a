import { NoSuchModelError, type ProviderV3 } from '@ai-sdk/provider';
import type { ModelType } from '../../core/types.js';
import { createMockEmbeddingModel } from './embedding-model.js';
import { createMockImageModel } from './image-model.js';
import { createMockLanguageModel } from './language-model.js';
import { findMockModel } from './models.js';
import { createMockRerankingModel } from './reranking-model.js';

type SpecModelType = ConstructorParameters<typeof NoSuchModelError>[0]['modelType'];

/** Every model method that V3 declares, made mandatory: the mock serves all four modalities. */
export type MockProvider = Required<Pick<ProviderV3, 'rerankingModel' | 'textEmbeddingModel'>> &
  Omit<ProviderV3, 'rerankingModel' | 'textEmbeddingModel'>;

/** The built-in deterministic provider for offline use, demos and agents' own tests. */
export function createMockProvider(): MockProvider {
  const embeddingModel = (modelId: string) => createMockEmbeddingModel(known(modelId, 'embedding', 'embeddingModel'));
  return {
    specificationVersion: 'v3',
    languageModel: (modelId) => createMockLanguageModel(known(modelId, 'language', 'languageModel')),
    embeddingModel,
    textEmbeddingModel: embeddingModel,
    rerankingModel: (modelId) => createMockRerankingModel(known(modelId, 'reranking', 'rerankingModel')),
    imageModel: (modelId) => createMockImageModel(known(modelId, 'image', 'imageModel')),
  };
}

function known(modelId: string, type: ModelType, modelType: SpecModelType): string {
  if (!findMockModel(modelId, type)) throw new NoSuchModelError({ modelId, modelType });
  return modelId;
}
