/** `POST /v1/images/generations` in OpenAI's shape, and the images it renders. */
import { z } from 'zod';
import { AttributionUserSchema } from '../../core/attribution.js';
import { GatewayError } from '../../core/errors.js';
import type { ImageRequest, ImageResult } from '../../core/types.js';
import { ProviderOptionsSchema } from './chat-api.js';
import { convertGatewayOptions } from './convert-gateway-options.js';
import { parseRequestBody } from './parse-request-body.js';

export const ImagesRequestSchema = z.object({
  model: z.string().min(1),
  prompt: z.string().min(1, 'prompt must not be empty'),
  n: z.number().int().min(1).max(10).nullish(),
  size: z
    .string()
    .regex(/^(auto|[1-9][0-9]{0,4}x[1-9][0-9]{0,4})$/, "size must be 'auto' or WIDTHxHEIGHT, e.g. 1024x1024")
    .nullish(),
  response_format: z.enum(['b64_json', 'url'], { error: "response_format must be 'b64_json' or 'url'" }).nullish(),
  stream: z.boolean().nullish(),
  user: AttributionUserSchema.nullish(),
  providerOptions: ProviderOptionsSchema.nullish(),
});
export type ImagesWireRequest = z.infer<typeof ImagesRequestSchema>;

export interface ConvertedImagesRequest {
  request: ImageRequest;
  responseFormat: 'b64_json' | 'url';
  user?: string;
}

export function parseImagesRequest(body: unknown): ConvertedImagesRequest {
  const wire = parseRequestBody(ImagesRequestSchema, body);
  if (wire.stream) {
    throw new GatewayError('invalid_request', 'streaming image generation is not supported; leave stream unset', { param: 'stream' });
  }
  const request: ImageRequest = { model: wire.model, prompt: wire.prompt, n: wire.n ?? 1 };
  if (wire.size && wire.size !== 'auto') request.size = wire.size as `${number}x${number}`;
  const gateway = convertGatewayOptions(wire.providerOptions?.gateway);
  if (gateway) request.gateway = gateway;
  const user = gateway?.user ?? wire.user ?? undefined;
  return { request, responseFormat: wire.response_format ?? 'b64_json', ...(user ? { user } : {}) };
}

export interface ImagesWireResponse {
  created: number;
  data: Array<{ b64_json: string } | { url: string }>;
  usage: { input_tokens: number; output_tokens: number; total_tokens: number; cost: number | null };
  model: string;
  provider: string;
}

/** `imageUrl` turns an image id into the gateway URL that serves it (`GET /v1/images/{id}`). */
export function renderImages(result: ImageResult, responseFormat: 'b64_json' | 'url', imageUrl: (id: string) => string): ImagesWireResponse {
  return {
    created: Math.floor(Date.now() / 1000),
    data: result.images.map((image) =>
      responseFormat === 'url' ? { url: imageUrl(image.id) } : { b64_json: Buffer.from(image.bytes).toString('base64') },
    ),
    usage: {
      input_tokens: result.usage.input,
      output_tokens: result.usage.output,
      total_tokens: result.usage.input + result.usage.output,
      cost: result.cost,
    },
    model: result.servedModel,
    provider: result.provider,
  };
}
