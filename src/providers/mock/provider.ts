import { NoSuchModelError, type ProviderV3 } from '@ai-sdk/provider';
import type { ModelType } from '../../core/types.js';
import { createMockEmbeddingModel } from './embedding-model.js';
import { createMockImageModel } from './image-model.js';
import { createMockLanguageModel } from './language-model.js';
import { findMockModel } from './models.js';
import { createMockRerankingModel } from './reranking-model.js';
import { createMockSpeechModel } from './speech-model.js';
import { createMockTranscriptionModel } from './transcription-model.js';

type SpecModelType = ConstructorParameters<typeof NoSuchModelError>[0]['modelType'];

type Mandatory = 'rerankingModel' | 'textEmbeddingModel' | 'speechModel' | 'transcriptionModel';

/** The model methods V3 declares, made mandatory: the mock serves all six modalities. */
export type MockProvider = Required<Pick<ProviderV3, Mandatory>> & Omit<ProviderV3, Mandatory>;

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
    speechModel: (modelId) => createMockSpeechModel(known(modelId, 'speech', 'speechModel')),
    transcriptionModel: (modelId) => createMockTranscriptionModel(known(modelId, 'transcription', 'transcriptionModel')),
  };
}

function known(modelId: string, type: ModelType, modelType: SpecModelType): string {
  if (!findMockModel(modelId, type)) throw new NoSuchModelError({ modelId, modelType });
  return modelId;
}
