/**
 * The whole context of a Responses request, from what the gateway keeps: the context and output
 * of the response it continues (`previous_response_id`), then its own input with every
 * `item_reference` replaced by the item it names. Every item gets the id it is listed under
 * (`/v1/responses/{id}/input_items`) and kept with; a referenced item keeps its own.
 */
import { GatewayError } from '../../core/errors.js';
import { inputItemId, responseIdOfItem } from './render-response.js';
import type { KeptResponse, ResponseShelf } from './response-shelf.js';
import { InputItemSchema, type ContextItem, type ResolvedInputItem, type ResponsesRequest } from './responses-api.js';

export interface ResolvedContext {
  /** What the response is made from and kept with, oldest first. */
  items: ContextItem[];
  /** The same for the converter: the request's own string input when there is nothing else. */
  input: string | ResolvedInputItem[];
}

export async function resolveContext(body: ResponsesRequest, requestId: string, shelf: ResponseShelf, owner: string): Promise<ResolvedContext> {
  const items: ContextItem[] = [];
  const input: ResolvedInputItem[] = [];
  if (body.previous_response_id != null) {
    const previous = await shelf.find(body.previous_response_id, owner);
    if (!previous) {
      throw new GatewayError(
        'previous_response_not_found',
        `Previous response with id '${body.previous_response_id}' not found. Responses are kept for ${shelf.retentionDays} days, only for the key that made them, and only when the request did not set store: false.`,
        { param: 'previous_response_id' },
      );
    }
    for (const item of [...previous.context, ...previous.response.output]) {
      items.push(item);
      input.push(asInput(item));
    }
  }

  if (typeof body.input === 'string') {
    const own: ContextItem = { id: inputItemId('msg', requestId, 0), type: 'message', role: 'user', content: [{ type: 'input_text', text: body.input }], status: 'completed' };
    items.push(own);
    return { items, input: input.length === 0 ? body.input : [...input, asInput(own)] };
  }

  const kept = new Map<string, Promise<KeptResponse | undefined>>();
  for (const [index, item] of body.input.entries()) {
    if (item.type !== 'item_reference') {
      items.push(contextItem(item, requestId, index));
      input.push(item);
      continue;
    }
    const madeIn = responseIdOfItem(item.id);
    if (madeIn && !kept.has(madeIn)) kept.set(madeIn, shelf.find(madeIn, owner));
    const response = madeIn ? await kept.get(madeIn) : undefined;
    const found = response && [...response.context, ...response.response.output].find((candidate) => candidate.id === item.id);
    if (!found) {
      throw new GatewayError(
        'not_found',
        `Item with id '${item.id}' not found. Items are kept only with their response: for ${shelf.retentionDays} days, for the key that made it, and only when that request did not set store: false. Send the item itself instead.`,
        { param: `input[${index}]` },
      );
    }
    items.push(found);
    input.push(asInput(found));
  }
  return { items, input };
}

/** A kept item as converter input: the schema drops what only the listing carries (ids, statuses, annotations). */
function asInput(item: ContextItem): ResolvedInputItem {
  return InputItemSchema.parse(item) as ResolvedInputItem;
}

function contextItem(item: ResolvedInputItem, requestId: string, index: number): ContextItem {
  switch (item.type) {
    case 'message': {
      const content =
        typeof item.content !== 'string'
          ? item.content
          : item.role === 'assistant'
            ? [{ type: 'output_text' as const, text: item.content }]
            : [{ type: 'input_text' as const, text: item.content }];
      return { ...item, id: inputItemId('msg', requestId, index), content, status: 'completed' };
    }
    case 'function_call':
      return { ...item, id: inputItemId('fc', requestId, index), status: 'completed' };
    case 'function_call_output':
      return { ...item, id: inputItemId('fco', requestId, index), status: 'completed' };
    case 'reasoning':
      return { ...item, id: inputItemId('rs', requestId, index), summary: item.summary ?? [] };
  }
}
