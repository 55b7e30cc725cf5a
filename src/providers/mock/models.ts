import type { ModelType } from '../../core/types.js';
import type { BuiltinModel, BuiltinPrice } from '../builtin-models.js';

/**
 * The models of the built-in mock provider. They are free unless config turns on `mockPricing`;
 * then each is billed at the small nominal price below (USD per million tokens, per image, per
 * request), so that budgets, the ledger and spend reports can be tried offline; nobody is paid. The prices are deliberately round numbers, chosen to be visible in
 * reports without being mistaken for a real provider's.
 */
export interface MockModel extends BuiltinModel {
  /** Gateway id under the default provider id `mock`. */
  id: `mock/${string}`;
  pricing: MockNominalPrice;
}

/** USD per million tokens, per image and per request, as config overrides are written. */
export type MockNominalPrice = BuiltinPrice;

export const mockModels: readonly MockModel[] = [
  {
    modelId: 'echo',
    id: 'mock/echo',
    type: 'language',
    name: 'Mock Echo (deterministic, offline)',
    contextWindow: 128_000,
    maxTokens: 4_096,
    pricing: { input: 1, output: 2 },
  },
  {
    modelId: 'embed',
    id: 'mock/embed',
    type: 'embedding',
    name: 'Mock Embed (deterministic, offline)',
    contextWindow: 8_192,
    pricing: { input: 0.1 },
  },
  {
    modelId: 'rerank',
    id: 'mock/rerank',
    type: 'reranking',
    name: 'Mock Rerank (deterministic, offline)',
    // Rerankers are billed per search upstream (Cohere: per 1,000 searches); mirror that.
    pricing: { request: 0.001 },
  },
  {
    modelId: 'image',
    id: 'mock/image',
    type: 'image',
    name: 'Mock Image (deterministic, offline)',
    pricing: { image: 0.01 },
  },
  {
    modelId: 'speak',
    id: 'mock/speak',
    type: 'speech',
    name: 'Mock Speak (deterministic, offline; a WAV tone as long as the text)',
    // OpenAI's tts-1 rate, per million characters.
    pricing: { characters: 15 },
  },
  {
    modelId: 'transcribe',
    id: 'mock/transcribe',
    type: 'transcription',
    name: 'Mock Transcribe (deterministic, offline)',
    // OpenAI's whisper-1 rate, per minute of audio.
    pricing: { audioMinute: 0.006 },
  },
];

export function findMockModel(modelId: string, type?: ModelType): MockModel | undefined {
  return mockModels.find((model) => model.modelId === modelId && (type === undefined || model.type === type));
}
