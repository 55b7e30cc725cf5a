import type { ServerResponse } from 'node:http';
import { GatewayError } from '../../core/errors.js';
import type { ChatStream, Gateway, RequestContext } from '../../core/types.js';
import { readJsonBody } from '../../http/body.js';
import { drained, sendJson, startEventStream } from '../../http/respond.js';
import { type Route, withBodyUser } from '../../http/route.js';
import { servedHeaders } from '../../http/served-headers.js';
import { renderOpenAIFailure } from '../openai/handler.js';
import { convertResponsesRequest } from './convert-responses-request.js';
import { createResponseEventRenderer, formatResponseEvent } from './render-response-events.js';
import { renderResponse } from './render-response.js';
import { parseResponsesRequest, type ResponseEcho } from './responses-api.js';

/**
 * OpenAI's Responses API face: parses `POST /v1/responses`, calls the core, renders a response
 * object or its event stream. Errors before a stream starts are OpenAI's error shape with
 * their HTTP status; after, a `response.failed` event. Routing, fallback and the ledger are the
 * core's. Tollgate stores no responses, so the routes that read one back answer 404.
 */
export function responsesRoutes(gateway: Pick<Gateway, 'chat' | 'chatStream'>, options: { maxBodyBytes: number }): Route[] {
  const notStored = async (): Promise<void> => {
    throw new GatewayError('not_found', 'Tollgate stores no responses, so none can be read back or deleted; keep what you need from the answer itself.');
  };
  return [
    {
      method: 'POST',
      path: '/v1/responses',
      face: 'responses',
      renderError: renderOpenAIFailure,
      handle: async (req, res, context) => {
        const converted = convertResponsesRequest(parseResponsesRequest(await readJsonBody(req, options.maxBodyBytes)));
        const chatContext = withBodyUser(context, converted.user);
        if (converted.stream) {
          const stream = await gateway.chatStream(converted.request, chatContext);
          await streamResponse(res, stream, converted.echo, chatContext);
          return;
        }
        const result = await gateway.chat(converted.request, chatContext);
        sendJson(res, 200, renderResponse(result, converted.echo), servedHeaders(result, chatContext));
      },
    },
    { method: 'GET', prefix: '/v1/responses/', face: 'responses', renderError: renderOpenAIFailure, handle: notStored },
    { method: 'DELETE', prefix: '/v1/responses/', face: 'responses', renderError: renderOpenAIFailure, handle: notStored },
  ];
}


async function streamResponse(res: ServerResponse, stream: ChatStream, echo: ResponseEcho, context: RequestContext): Promise<void> {
  startEventStream(res, servedHeaders(stream, context));
  const renderer = createResponseEventRenderer({
    requestId: stream.requestId,
    servedModel: stream.servedModel,
    provider: stream.provider,
    createdAt: Math.floor(Date.now() / 1000),
    echo,
  });
  const write = async (events: ReturnType<typeof renderer.start>) => {
    for (const event of events) {
      if (res.destroyed) return;
      if (!res.write(formatResponseEvent(event))) await drained(res);
    }
  };
  await write(renderer.start());
  for await (const part of stream.parts) {
    // The client went away: leaving the loop cancels the upstream, and the core settles it.
    if (res.destroyed) break;
    await write(renderer.part(part));
  }
  if (res.destroyed) return;
  await write(renderer.end(await stream.settled));
  res.end();
}
