/**
 * Progress notifications for a tool call whose client sent a `progressToken`. Updates are
 * throttled (the spec asks both sides to avoid flooding) and strictly increasing (the spec
 * requires it); the last value is always delivered by `flush`.
 */
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';

export type ToolExtra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface ProgressReporter {
  update(progress: number, message: string): Promise<void>;
  flush(): Promise<void>;
}

export function createProgressReporter(extra: ToolExtra, intervalMs = 100): ProgressReporter | undefined {
  const progressToken = extra._meta?.progressToken;
  if (progressToken === undefined) return undefined;

  let lastSent = -Infinity;
  let lastSentAt = 0;
  let pending: { progress: number; message: string } | undefined;
  let broken = false;

  const send = async (progress: number, message: string): Promise<void> => {
    if (broken || progress <= lastSent) return;
    lastSent = progress;
    lastSentAt = Date.now();
    pending = undefined;
    try {
      await extra.sendNotification({
        method: 'notifications/progress',
        params: { progressToken, progress, message },
      });
    } catch {
      // The client went away; the tool result will not reach it either, so stop reporting.
      broken = true;
    }
  };

  return {
    async update(progress, message) {
      if (Date.now() - lastSentAt >= intervalMs) await send(progress, message);
      else pending = { progress, message };
    },
    async flush() {
      if (pending) await send(pending.progress, pending.message);
    },
  };
}
