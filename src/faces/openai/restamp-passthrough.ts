/**
 * Piped OpenAI answers leave the upstream with its own completion id and bare model name. They
 * reach the client with Tollgate's id (`chatcmpl-<request id>`, the id of the ledger row) and
 * the `provider/model` that served them, as translated answers do, so a client sees one rule
 * whichever path served it.
 */
import { chatCompletionId } from './render-chat-completion.js';

export interface Served {
  requestId: string;
  servedModel: string;
}

export function restampCompletion(json: Record<string, unknown>, served: Served): void {
  json.id = chatCompletionId(served.requestId);
  json.model = served.servedModel;
}

/**
 * Chunks pass as text: the upstream's id and model are read from the first chunk that has
 * them, then replaced wherever they appear as those exact fields. A tool call's own `id` never
 * equals the completion's, so it is left alone.
 */
export async function* restampChunks(events: AsyncIterable<string>, served: Served): AsyncGenerator<string> {
  const ourId = JSON.stringify(chatCompletionId(served.requestId));
  const ourModel = JSON.stringify(served.servedModel);
  let fields: RegExp | null = null;
  for await (const event of events) {
    fields ??= upstreamFields(event);
    yield fields ? event.replace(fields, (_match, id: string | undefined) => (id ? `"id":${ourId}` : `"model":${ourModel}`)) : event;
  }
}

/** A pattern for the chunk's top-level `"id": "…"` and `"model": "…"` values; null until a chunk names them. */
function upstreamFields(event: string): RegExp | null {
  const data = event
    .split('\n')
    .filter((line) => line.startsWith('data:'))
    .map((line) => line.slice(5).trimStart())
    .join('\n');
  if (!data.startsWith('{')) return null;
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    return null;
  }
  if (typeof chunk !== 'object' || chunk === null) return null;
  const { id, model } = chunk as { id?: unknown; model?: unknown };
  const alternatives: string[] = [];
  if (typeof id === 'string') alternatives.push(`"(id)"\\s*:\\s*${escapeRegExp(JSON.stringify(id))}`);
  if (typeof model === 'string') alternatives.push(`"(model)"\\s*:\\s*${escapeRegExp(JSON.stringify(model))}`);
  if (alternatives.length === 0) return null;
  return new RegExp(alternatives.join('|'), 'g');
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
