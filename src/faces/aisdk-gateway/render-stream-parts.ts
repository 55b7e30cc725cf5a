/**
 * The event stream of `POST /v3/ai/language-model` with `ai-language-model-streaming: true`: one
 * `data: <V3 stream part as JSON>` event per part, which the client parses with
 * `createEventSourceResponseHandler` and hands on as is (it turns a `response-metadata`
 * timestamp string back into a Date, and drops `raw` parts unless raw chunks were asked for).
 *
 * The `finish` part is held until the core has settled the request, so it can carry the cost
 * in `providerMetadata.gateway`. A failure after the start arrives as an `error` part (the core
 * ends the stream there, without a `finish`).
 */
import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import type { ChatStream } from '../../core/types.js';
import { accountingMetadata } from './gateway-metadata.js';
import { streamErrorValue } from './render-error.js';
import { contentToWire } from './render-generate-result.js';

export async function* renderStreamEvents(stream: ChatStream, requestedModel: string): AsyncGenerator<string> {
  let finish: Extract<LanguageModelV3StreamPart, { type: 'finish' }> | undefined;
  for await (const part of stream.parts) {
    if (part.type === 'finish') {
      finish = part;
      continue;
    }
    yield formatEvent(partToWire(part));
  }
  if (finish) {
    const accounting = await stream.settled;
    yield formatEvent({ ...finish, providerMetadata: { ...finish.providerMetadata, ...accountingMetadata(accounting, requestedModel) } });
  }
}

export function partToWire(part: LanguageModelV3StreamPart): unknown {
  switch (part.type) {
    case 'error':
      return { type: 'error', error: streamErrorValue(part.error) };
    case 'file':
      return contentToWire(part);
    default:
      return part;
  }
}

export function formatEvent(value: unknown): string {
  return `data: ${JSON.stringify(value)}\n\n`;
}
