/** OpenAI embeddings request → canonical `EmbedRequest`, and `EmbedResult` → OpenAI's list. */
import { GatewayError } from '../../core/errors.js';
import type { EmbedRequest, EmbedResult } from '../../core/types.js';
import { convertGatewayOptions } from './convert-gateway-options.js';
import type { EmbeddingEncoding, EmbeddingsRequest, EmbeddingsResponse } from './embeddings-api.js';

export interface ConvertedEmbeddingsRequest {
  request: EmbedRequest;
  encodingFormat: EmbeddingEncoding;
  /** End user for attribution: `providerOptions.gateway.user`, else OpenAI's `user`. */
  user?: string;
}

export function convertEmbeddingsRequest(body: EmbeddingsRequest): ConvertedEmbeddingsRequest {
  const values = typeof body.input === 'string' ? [body.input] : body.input;
  if (values.length === 0) {
    throw invalid('input', 'input must contain at least one string.');
  }
  const strings: string[] = [];
  values.forEach((value, i) => {
    if (typeof value !== 'string') {
      throw invalid('input', 'Token arrays are not supported; send the text as a string or an array of strings.');
    }
    if (value === '') {
      throw invalid(typeof body.input === 'string' ? 'input' : `input[${i}]`, 'input must not contain empty strings.');
    }
    strings.push(value);
  });

  const request: EmbedRequest = { model: body.model, values: strings };
  if (body.dimensions != null) request.dimensions = body.dimensions;
  const gateway = convertGatewayOptions(body.providerOptions?.gateway);
  if (gateway) request.gateway = gateway;

  const converted: ConvertedEmbeddingsRequest = {
    request,
    encodingFormat: body.encoding_format ?? 'float',
  };
  const user = gateway?.user ?? body.user ?? undefined;
  if (user) converted.user = user;
  return converted;
}

export function renderEmbeddings(result: EmbedResult, encodingFormat: EmbeddingEncoding): EmbeddingsResponse {
  return {
    object: 'list',
    data: result.embeddings.map((embedding, index) => ({
      object: 'embedding',
      index,
      embedding: encodingFormat === 'base64' ? encodeEmbeddingBase64(embedding) : embedding,
    })),
    model: result.servedModel,
    usage: { prompt_tokens: result.usage.input, total_tokens: result.usage.input, cost: result.cost },
    provider: result.provider,
  };
}

/**
 * OpenAI's base64 embedding: the vector as little-endian float32 bytes, base64-encoded (what
 * the openai client decodes, and what it asks for by default).
 */
export function encodeEmbeddingBase64(embedding: number[]): string {
  const bytes = Buffer.alloc(embedding.length * 4);
  embedding.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString('base64');
}

function invalid(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}
