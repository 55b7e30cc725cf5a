import { type EmbeddingModelV3, type EmbeddingModelV3CallOptions, InvalidArgumentError } from '@ai-sdk/provider';
import { countWords, hash32, seededRandom, terms } from './words.js';

export const defaultMockDimensions = 8;
const maxDimensions = 4096;

/**
 * Deterministic unit vectors: each word maps to a pseudo-random vector seeded by its hash, and a
 * value's embedding is the normalised sum of its words' vectors. Equal texts embed equally and
 * texts sharing words lie closer together, which is enough for offline demos of search.
 * Dimensions come from `providerOptions.mock.dimensions` (the V3 embedding call has no
 * dimensions field of its own); default 8. Usage tokens = words across all values.
 */
export function createMockEmbeddingModel(modelId: string): EmbeddingModelV3 {
  return {
    specificationVersion: 'v3',
    provider: 'mock',
    modelId,
    maxEmbeddingsPerCall: 2048,
    supportsParallelCalls: true,

    async doEmbed(call: EmbeddingModelV3CallOptions) {
      call.abortSignal?.throwIfAborted();
      const dimensions = readDimensions(call);
      return {
        embeddings: call.values.map((value) => embedText(value, dimensions)),
        usage: { tokens: call.values.reduce((sum, value) => sum + countWords(value), 0) },
        warnings: [],
      };
    },
  };
}

export function embedText(text: string, dimensions: number): number[] {
  const vector = new Array<number>(dimensions).fill(0);
  const keys = terms(text);
  for (const key of keys.length > 0 ? keys : [text]) {
    const random = seededRandom(hash32(key));
    for (let i = 0; i < dimensions; i++) vector[i] += random() * 2 - 1;
  }
  const norm = Math.hypot(...vector);
  // A zero sum (vanishingly unlikely) still has to be a unit vector.
  return norm === 0 ? vector.map((_, i) => (i === 0 ? 1 : 0)) : vector.map((x) => x / norm);
}

function readDimensions(call: EmbeddingModelV3CallOptions): number {
  const value = call.providerOptions?.mock?.dimensions;
  if (value === undefined) return defaultMockDimensions;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > maxDimensions) {
    throw new InvalidArgumentError({
      argument: 'providerOptions.mock.dimensions',
      message: `dimensions must be an integer from 1 to ${maxDimensions}`,
    });
  }
  return value;
}
