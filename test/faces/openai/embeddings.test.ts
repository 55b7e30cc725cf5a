import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import type { EmbedResult } from '../../../src/core/types.js';
import {
  convertEmbeddingsRequest,
  encodeEmbeddingBase64,
  renderEmbeddings,
} from '../../../src/faces/openai/convert-embeddings.js';
import { parseEmbeddingsRequest } from '../../../src/faces/openai/embeddings-api.js';

const convert = (body: unknown) => convertEmbeddingsRequest(parseEmbeddingsRequest(body));

function rejection(body: unknown): GatewayError {
  try {
    convert(body);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).kind).toBe('invalid_request');
    return error as GatewayError;
  }
  throw new Error('expected the request to be rejected');
}

const model = 'openai/text-embedding-3-small';

const result = (embeddings: number[][]): EmbedResult => ({
  requestId: 'req_1',
  servedModel: model,
  provider: 'openai',
  usage: { input: 8, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 },
  cost: 0.00000016,
  attempts: 1,
  embeddings,
});

describe('embeddings request', () => {
  it("converts OpenAI's reference request", () => {
    expect(
      convert({ input: 'The food was delicious and the waiter...', model, encoding_format: 'float' }),
    ).toEqual({
      request: { model, values: ['The food was delicious and the waiter...'] },
      encodingFormat: 'float',
    });
  });

  it('converts batches, dimensions, the user and gateway options', () => {
    expect(
      convert({
        model,
        input: ['a', 'b'],
        dimensions: 256,
        encoding_format: 'base64',
        user: 'u1',
        providerOptions: { gateway: { models: ['cohere/embed-v4.0'], tags: ['rag'] } },
      }),
    ).toEqual({
      request: { model, values: ['a', 'b'], dimensions: 256, gateway: { models: ['cohere/embed-v4.0'], tags: ['rag'] } },
      encodingFormat: 'base64',
      user: 'u1',
    });
  });

  it('defaults to float when encoding_format is absent', () => {
    expect(convert({ model, input: 'x' }).encodingFormat).toBe('float');
  });

  it('rejects token arrays with a clear message', () => {
    expect(rejection({ model, input: [1234, 5678] }).message).toMatch(/Token arrays are not supported/);
    expect(rejection({ model, input: [[1, 2], [3]] }).details.param).toBe('input');
  });

  it('rejects empty input', () => {
    expect(rejection({ model, input: [] }).details.param).toBe('input');
    expect(rejection({ model, input: '' }).details.param).toBe('input');
    expect(rejection({ model, input: ['a', ''] }).details.param).toBe('input[1]');
  });

  it('rejects wrong types, naming the field', () => {
    expect(rejection({ model, input: 5 }).message).toMatch(/input must be a string or an array of strings/);
    expect(rejection({ input: 'x' }).message).toBe("Missing required parameter: 'model'.");
    expect(rejection({ model, input: 'x', encoding_format: 'int8' }).details.param).toBe('encoding_format');
    expect(rejection({ model, input: 'x', dimensions: -1 }).details.param).toBe('dimensions');
  });
});

describe('embeddings response', () => {
  it("renders OpenAI's reference list response with floats", () => {
    expect(renderEmbeddings(result([[0.0023064255, -0.009327292, -0.0028842222]]), 'float')).toEqual({
      object: 'list',
      data: [{ object: 'embedding', index: 0, embedding: [0.0023064255, -0.009327292, -0.0028842222] }],
      model,
      usage: { prompt_tokens: 8, total_tokens: 8, cost: 0.00000016 },
      provider: 'openai',
    });
  });

  it('encodes base64 as little-endian float32 bytes', () => {
    const encoded = encodeEmbeddingBase64([1, -2.5, 0.1]);
    const bytes = Buffer.from(encoded, 'base64');
    expect(bytes).toHaveLength(12);
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x00, 0x00, 0x80, 0x3f]));
    expect([bytes.readFloatLE(0), bytes.readFloatLE(4), bytes.readFloatLE(8)]).toEqual([1, -2.5, Math.fround(0.1)]);
  });

  it('indexes each embedding in input order', () => {
    const response = renderEmbeddings(result([[1], [2], [3]]), 'base64');
    expect(response.data.map((d) => d.index)).toEqual([0, 1, 2]);
    expect(response.data[2]?.embedding).toBe(encodeEmbeddingBase64([3]));
  });
});
