import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GatewayCore } from '../../core/gateway.js';
import { GatewayError } from '../../core/errors.js';
import type { ChatStream, RequestContext } from '../../core/types.js';
import { readJsonBody } from '../../http/body.js';
import { refusalHeaders } from '../../http/rate-limit-headers.js';
import { drained, sendJson, startEventStream } from '../../http/respond.js';
import { type Route, withBodyUser } from '../../http/route.js';
import { parseChatCompletionRequest } from './chat-api.js';
import { routeOpenAIChat, type OpenAIChatOutcome } from './chat-route.js';
import { convertChatRequest } from './convert-chat-request.js';
import { convertEmbeddingsRequest, renderEmbeddings } from './convert-embeddings.js';
import { parseEmbeddingsRequest } from './embeddings-api.js';
import { createChatChunkRenderer, formatSseData, SSE_DONE } from './render-chat-chunks.js';
import { renderChatCompletion } from './render-chat-completion.js';
import { renderError, renderStreamError } from './render-error.js';
import { restampChunks, restampCompletion } from './restamp-passthrough.js';
import { mediaRoutes } from './media-routes.js';
import { renderModel, renderModels } from './render-models.js';
import { servedHeaders } from '../../http/served-headers.js';

/**
 * The OpenAI-compatible face: parses OpenAI's wire format, calls the core, renders OpenAI's
 * wire format. Routing, fallback, pricing and the ledger are the core's.
 */
export function openaiRoutes(gateway: GatewayCore, options: { maxBodyBytes: number }): Route[] {
  const readJson = (req: IncomingMessage) => readJsonBody(req, options.maxBodyBytes);

  return [
    {
      method: 'POST',
      path: '/v1/chat/completions',
      handle: async (req, res, context) => {
        const raw = await readJson(req);
        const converted = convertChatRequest(parseChatCompletionRequest(raw));
        const chatContext = withBodyUser(context, converted.user);
        const outcome = await routeOpenAIChat(
          gateway,
          {
            body: raw as Record<string, unknown>,
            model: converted.request.model,
            ...(converted.request.gateway ? { gateway: converted.request.gateway } : {}),
            stream: converted.stream,
            includeUsage: converted.includeUsage,
            toCanonical: () => converted.request,
            streamErrorEvent: (error) => formatSseData(renderStreamError(error)),
          },
          chatContext,
        );
        await renderChatOutcome(res, outcome, converted.includeUsage, chatContext);
      },
    },
    {
      method: 'POST',
      path: '/v1/embeddings',
      handle: async (req, res, context) => {
        const converted = convertEmbeddingsRequest(parseEmbeddingsRequest(await readJson(req)));
        const embedContext = withBodyUser(context, converted.user);
        const result = await gateway.embed(converted.request, embedContext);
        sendJson(res, 200, renderEmbeddings(result, converted.encodingFormat), servedHeaders(result, embedContext));
      },
    },
    {
      method: 'GET',
      path: '/v1/models',
      handle: async (_req, res) => {
        sendJson(res, 200, renderModels(await gateway.catalog()));
      },
    },
    {
      method: 'GET',
      prefix: '/v1/models/',
      handle: async (req, res) => {
        const id = decodeURIComponent((req.url ?? '').split('?')[0]!.slice('/v1/models/'.length));
        const entry = (await gateway.catalog()).find((candidate) => candidate.id === id);
        if (!entry) throw new GatewayError('model_not_found', `model ${id} is not in the catalog; GET /v1/models lists every model`);
        sendJson(res, 200, renderModel(entry));
      },
    },
    ...mediaRoutes(gateway, options),
  ];
}

async function renderChatOutcome(res: ServerResponse, outcome: OpenAIChatOutcome, includeUsage: boolean, context: RequestContext): Promise<void> {
  switch (outcome.kind) {
    case 'wire-json': {
      const { json, accounting } = outcome;
      json.usage = { ...(json.usage as object | undefined), cost: accounting.cost };
      json.provider = accounting.provider;
      restampCompletion(json, accounting);
      sendJson(res, 200, json, servedHeaders(accounting, context));
      return;
    }
    case 'canonical': {
      const { result, accounting } = outcome;
      const chat = { ...accounting, content: result.content, finishReason: result.finishReason, warnings: result.warnings };
      sendJson(res, 200, renderChatCompletion(chat), servedHeaders(chat, context));
      return;
    }
    case 'wire-stream': {
      startEventStream(res, servedHeaders(outcome.served, context));
      await pipeEvents(res, restampChunks(outcome.events, outcome.served));
      res.end();
      return;
    }
    case 'canonical-stream':
      await streamCanonical(res, { ...outcome.served, parts: outcome.parts }, includeUsage, context);
  }
}

/** Writes events as they come, waiting for the socket when it is full; stops when the client goes. */
async function pipeEvents(res: ServerResponse, events: AsyncIterable<string>): Promise<void> {
  for await (const event of events) {
    if (res.destroyed) break;
    if (!res.write(event)) await drained(res);
  }
}

async function streamCanonical(res: ServerResponse, stream: ChatStream, includeUsage: boolean, context: RequestContext): Promise<void> {
  startEventStream(res, servedHeaders(stream, context));
  const renderer = createChatChunkRenderer({ requestId: stream.requestId, servedModel: stream.servedModel, provider: stream.provider });
  async function* events(): AsyncGenerator<string> {
    for (const event of renderer.start()) yield formatSseData(event);
    for await (const part of stream.parts) {
      for (const event of renderer.part(part)) yield formatSseData(event);
    }
    for (const event of renderer.flush()) yield formatSseData(event);
  }
  await pipeEvents(res, events());
  if (res.destroyed) return;
  if (!renderer.failed) {
    if (includeUsage) res.write(formatSseData(renderer.usage(await stream.settled)));
    res.write(SSE_DONE);
  }
  res.end();
}

/** Renders any failure in OpenAI's error shape, as a response or, mid-stream, as an event. */
export function renderOpenAIFailure(res: ServerResponse, error: unknown, context: RequestContext): void {
  const rendered = renderError(error);
  if (!res.headersSent) {
    const limits = error instanceof GatewayError ? refusalHeaders(error.details) : {};
    sendJson(res, rendered.status, rendered.body, { ...rendered.headers, ...limits, ...(context.requestId ? { 'x-request-id': context.requestId } : {}) });
    return;
  }
  if (!res.destroyed) {
    res.write(formatSseData(rendered.body));
    res.end();
  }
}
