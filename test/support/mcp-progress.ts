import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { Progress } from '@modelcontextprotocol/sdk/types.js';

/**
 * Records the progress notifications the server sends, as they reach the client's transport.
 * The SDK client's own `onprogress` misses those it processes after the response, when both came
 * in one read (modelcontextprotocol/typescript-sdk#2580), which a loaded machine makes likely:
 * what the server sent is what the tests assert. Install after `client.connect`.
 */
export function recordProgress(transport: Transport): Progress[] {
  const seen: Progress[] = [];
  const deliver = transport.onmessage;
  transport.onmessage = (message, extra) => {
    if ('method' in message && message.method === 'notifications/progress') seen.push(message.params as Progress);
    deliver?.(message, extra);
  };
  return seen;
}

/** Asks for progress (the client sends a progress token only with a handler), read with recordProgress. */
export const wantProgress = { onprogress: () => undefined };
