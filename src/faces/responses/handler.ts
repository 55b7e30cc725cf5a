import type { ServerResponse } from 'node:http';
import { GatewayError } from '../../core/errors.js';
import { newRequestId } from '../../core/request-id.js';
import type { ChatStream, Gateway, RequestContext } from '../../core/types.js';
import { readJsonBody } from '../../http/body.js';
import { drained, sendJson, startEventStream } from '../../http/respond.js';
import { type Route, withBodyUser } from '../../http/route.js';
import { servedHeaders } from '../../http/served-headers.js';
import { callerId } from '../../policy/auth/caller-id.js';
import type { ResponseStore } from '../../store/types.js';
import { renderOpenAIFailure } from '../openai/handler.js';
import { convertResponsesRequest } from './convert-responses-request.js';
import { listInputItems, parseInputItemsQuery } from './list-input-items.js';
import { createResponseEventRenderer, formatResponseEvent } from './render-response-events.js';
import { renderResponse } from './render-response.js';
import { resolveContext } from './resolve-context.js';
import { ResponseShelf } from './response-shelf.js';
import { parseResponsesRequest, type ResponseEcho, type ResponseObject, type ResponseStreamEvent } from './responses-api.js';

const DAY_MS = 86_400_000;
const PREFIX = '/v1/responses/';

export interface ResponsesRoutesOptions {
  maxBodyBytes: number;
  /** Where responses are kept (`store`, default true), per caller. */
  store: ResponseStore;
  retentionDays: number;
  /** When responses are made and expire (tests move it). */
  clock?: () => Date;
}

/**
 * OpenAI's Responses API face: parses `POST /v1/responses`, calls the core, renders a response
 * object or its event stream. Errors before a stream starts are OpenAI's error shape with
 * their HTTP status; after, a `response.failed` event. Routing, fallback and the ledger are the
 * core's.
 *
 * Unless the request says `store: false`, the finished response is kept with its whole
 * context, for the caller that made it: `previous_response_id` and `item_reference` items
 * continue from it whichever provider served it (the gateway keeps the state, so a fallback or
 * another provider on the next turn sees the same conversation), and `GET`/`DELETE
 * /v1/responses/{id}` and `GET /v1/responses/{id}/input_items` read it back. Upstreams are
 * always called with the whole conversation, never with an id they would have to know.
 */
export function responsesRoutes(gateway: Pick<Gateway, 'chat' | 'chatStream'>, options: ResponsesRoutesOptions): Route[] {
  const clock = options.clock ?? (() => new Date());
  const shelf = new ResponseShelf(options.store, options.retentionDays * DAY_MS, clock);

  /** `/v1/responses/{id}` or `/v1/responses/{id}/input_items`; anything else is no route. */
  const target = (url: string | undefined, method: string) => {
    const [path = '', search = ''] = (url ?? '').split('?', 2);
    const [id, sub, ...rest] = path.slice(PREFIX.length).split('/');
    if (!id || rest.length > 0 || (sub !== undefined && (sub !== 'input_items' || method !== 'GET'))) {
      throw new GatewayError('not_found', `no route ${method} ${path.slice(0, 120)}; the Responses routes are /v1/responses/{id} and /v1/responses/{id}/input_items`);
    }
    return { id: decodeURIComponent(id), inputItems: sub !== undefined, search: new URLSearchParams(search) };
  };
  const notFound = (id: string) =>
    new GatewayError('not_found', `Response with id '${id}' not found. Responses are kept for ${shelf.retentionDays} days, only for the key that made them, and only when the request did not set store: false.`);

  return [
    {
      method: 'POST',
      path: '/v1/responses',
      face: 'responses',
      renderError: renderOpenAIFailure,
      handle: async (req, res, context) => {
        const body = parseResponsesRequest(await readJsonBody(req, options.maxBodyBytes));
        const owner = callerId(context.principal);
        // Input item ids carry the request id, as the response's own id does.
        const requestId = context.requestId ?? newRequestId();
        const conversation = await resolveContext(body, requestId, shelf, owner);
        const converted = convertResponsesRequest(body, conversation.input);
        const chatContext = withBodyUser({ ...context, requestId }, converted.user);
        const keep = converted.echo.store ? (response: ResponseObject) => shelf.keep(response, conversation.items, owner) : undefined;
        if (converted.stream) {
          const stream = await gateway.chatStream(converted.request, chatContext);
          await streamResponse(res, stream, converted.echo, chatContext, Math.floor(clock().getTime() / 1000), keep);
          return;
        }
        const result = await gateway.chat(converted.request, chatContext);
        const response = renderResponse(result, converted.echo);
        await keep?.(response);
        sendJson(res, 200, response, servedHeaders(result, chatContext));
      },
    },
    {
      method: 'GET',
      prefix: PREFIX,
      face: 'responses',
      renderError: renderOpenAIFailure,
      handle: async (req, res, context) => {
        const { id, inputItems, search } = target(req.url, 'GET');
        const query = inputItems ? parseInputItemsQuery(search) : undefined;
        const kept = await shelf.find(id, callerId(context.principal));
        if (!kept) throw notFound(id);
        sendJson(res, 200, query ? listInputItems(kept.context, query) : kept.response);
      },
    },
    {
      method: 'DELETE',
      prefix: PREFIX,
      face: 'responses',
      renderError: renderOpenAIFailure,
      handle: async (req, res, context) => {
        const { id } = target(req.url, 'DELETE');
        if (!(await shelf.remove(id, callerId(context.principal)))) throw notFound(id);
        sendJson(res, 200, { id, object: 'response.deleted', deleted: true });
      },
    },
  ];
}

async function streamResponse(
  res: ServerResponse,
  stream: ChatStream,
  echo: ResponseEcho,
  context: RequestContext,
  createdAt: number,
  keep: ((response: ResponseObject) => Promise<unknown>) | undefined,
): Promise<void> {
  startEventStream(res, servedHeaders(stream, context));
  const renderer = createResponseEventRenderer({
    requestId: stream.requestId,
    servedModel: stream.servedModel,
    provider: stream.provider,
    createdAt,
    echo,
  });
  const write = async (events: ResponseStreamEvent[]) => {
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
  const end = renderer.end(await stream.settled);
  // Kept before the last event goes out: a client may continue the moment it reads it.
  const last = end[end.length - 1];
  if (keep && last && 'response' in last) await keep(last.response);
  await write(end);
  res.end();
}
