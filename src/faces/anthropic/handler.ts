import type { IncomingMessage, ServerResponse } from 'node:http';
import { GatewayError } from '../../core/errors.js';
import type { ChatRequest, ChatStream, Gateway, RequestContext } from '../../core/types.js';
import { readJsonBody } from '../../http/body.js';
import { refusalHeaders } from '../../http/rate-limit-headers.js';
import { drained, sendJson, startEventStream } from '../../http/respond.js';
import { type Route, withBodyUser } from '../../http/route.js';
import { servedHeaders as sharedServedHeaders } from '../../http/served-headers.js';
import { parseRequestBody } from '../openai/parse-request-body.js';
import { checkAnthropicVersion } from './anthropic-version.js';
import { convertCountTokensRequest, convertMessagesRequest } from './convert-messages-request.js';
import { estimateInputTokens } from './estimate-input-tokens.js';
import { CountTokensRequestSchema, CreateMessageRequestSchema } from './messages-api.js';
import { renderError, renderStreamError } from './render-error.js';
import { renderMessage } from './render-message.js';
import { createMessageStreamRenderer, formatSseEvent, type StreamEvent } from './render-stream-events.js';

/**
 * The Anthropic Messages face: parses Anthropic's wire format, calls the core, renders
 * Anthropic's wire format. Routing, fallback, pricing and the ledger are the core's.
 */
export function anthropicRoutes(gateway: Gateway, options: { maxBodyBytes: number }): Route[] {
  const readJson = async (req: IncomingMessage) => {
    checkAnthropicVersion(req.headers);
    return readJsonBody(req, options.maxBodyBytes);
  };

  return [
    {
      method: 'POST',
      path: '/v1/messages',
      face: 'anthropic',
      renderError: renderAnthropicFailure,
      handle: async (req, res, context) => {
        const converted = convertMessagesRequest(parseRequestBody(CreateMessageRequestSchema, await readJson(req)));
        const chatContext = withBodyUser(context, converted.user);
        const stopSequences = converted.request.call.stopSequences;
        if (!converted.stream) {
          const result = await gateway.chat(converted.request, chatContext);
          sendJson(res, 200, renderMessage(result, { stopSequences }), servedHeaders(result, chatContext));
          return;
        }
        // Raw chunks let message_start carry the upstream's own input count (read-early-usage.ts).
        const request: ChatRequest = { ...converted.request, call: { ...converted.request.call, includeRawChunks: true } };
        const stream = await gateway.chatStream(request, chatContext);
        await streamMessage(res, stream, chatContext, { estimatedInputTokens: estimateInputTokens(request.call), stopSequences });
      },
    },
    {
      method: 'POST',
      path: '/v1/messages/count_tokens',
      face: 'anthropic',
      renderError: renderAnthropicFailure,
      handle: async (req, res, context) => {
        const body = parseRequestBody(CountTokensRequestSchema, await readJson(req));
        // An estimate, not the upstream's tokenizer: a face never calls a provider itself (DESIGN.md).
        // It does not depend on the model, so any model name is accepted (Claude Code sends its own).
        const inputTokens = estimateInputTokens(convertCountTokensRequest(body));
        sendJson(res, 200, { input_tokens: inputTokens }, context.requestId ? { 'x-request-id': context.requestId, 'request-id': context.requestId } : {});
      },
    },
  ];
}

/** The headers of the OpenAI face, plus Anthropic's `request-id` (the SDK exposes it as `_request_id`). */
function servedHeaders(served: { provider: string; servedModel: string; requestId: string; attempts: number }, context: RequestContext): Record<string, string> {
  return { ...sharedServedHeaders(served, context), 'request-id': served.requestId };
}

async function streamMessage(
  res: ServerResponse,
  stream: ChatStream,
  context: RequestContext,
  options: { estimatedInputTokens: number; stopSequences: readonly string[] | undefined },
): Promise<void> {
  startEventStream(res, servedHeaders(stream, context));
  const renderer = createMessageStreamRenderer({
    requestId: stream.requestId,
    servedModel: stream.servedModel,
    provider: stream.provider,
    ...options,
  });
  for await (const part of stream.parts) {
    if (res.destroyed) break;
    await write(res, renderer.part(part));
  }
  if (res.destroyed) return;
  if (!renderer.failed) await write(res, renderer.end(await stream.settled));
  res.end();
}

/** Writes events as they come, waiting for the socket when it is full. */
async function write(res: ServerResponse, events: StreamEvent[]): Promise<void> {
  for (const event of events) {
    if (res.destroyed) return;
    if (!res.write(formatSseEvent(event))) await drained(res);
  }
}

/** Renders any failure in Anthropic's error shape, as a response or, mid-stream, as `event: error`. */
export function renderAnthropicFailure(res: ServerResponse, error: unknown, context: RequestContext): void {
  const requestId = context.requestId ?? null;
  if (!res.headersSent) {
    const rendered = renderError(error, requestId);
    const limits = error instanceof GatewayError ? refusalHeaders(error.details) : {};
    sendJson(res, rendered.status, rendered.body, {
      ...rendered.headers,
      ...limits,
      ...(requestId ? { 'x-request-id': requestId, 'request-id': requestId } : {}),
    });
    return;
  }
  if (!res.destroyed) {
    res.write(formatSseEvent({ event: 'error', data: { ...renderStreamError(error, requestId) } }));
    res.end();
  }
}
