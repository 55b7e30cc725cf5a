/** `POST /v1/audio/speech` in OpenAI's shape: JSON in, audio bytes out. */
import { z } from 'zod';
import { AttributionUserSchema } from '../../core/attribution.js';
import { GatewayError } from '../../core/errors.js';
import type { SpeechRequest } from '../../core/types.js';
import { ProviderOptionsSchema } from './chat-api.js';
import { convertGatewayOptions } from './convert-gateway-options.js';
import { parseRequestBody } from './parse-request-body.js';

export const speechFormats = ['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm'] as const;

export const SpeechRequestSchema = z.object({
  model: z.string().min(1),
  input: z.string().min(1, 'input must not be empty'),
  voice: z.string().min(1).nullish(),
  response_format: z.enum(speechFormats, { error: `response_format must be one of ${speechFormats.join(', ')}` }).nullish(),
  speed: z.number().min(0.25, 'speed must be between 0.25 and 4').max(4, 'speed must be between 0.25 and 4').nullish(),
  instructions: z.string().nullish(),
  stream_format: z.enum(['audio', 'sse'], { error: "stream_format must be 'audio' or 'sse'" }).nullish(),
  user: AttributionUserSchema.nullish(),
  providerOptions: ProviderOptionsSchema.nullish(),
});

export interface ConvertedSpeechRequest {
  request: SpeechRequest;
  user?: string;
}

export function parseSpeechRequest(body: unknown): ConvertedSpeechRequest {
  const wire = parseRequestBody(SpeechRequestSchema, body);
  if (wire.stream_format === 'sse') {
    throw new GatewayError('invalid_request', "stream_format 'sse' is not supported; use 'audio' (the default)", { param: 'stream_format' });
  }
  const request: SpeechRequest = { model: wire.model, text: wire.input, format: wire.response_format ?? 'mp3' };
  if (wire.voice != null) request.voice = wire.voice;
  if (wire.speed != null) request.speed = wire.speed;
  if (wire.instructions != null) request.instructions = wire.instructions;
  const gateway = convertGatewayOptions(wire.providerOptions?.gateway);
  if (gateway) request.gateway = gateway;
  const user = gateway?.user ?? wire.user ?? undefined;
  return { request, ...(user ? { user } : {}) };
}
