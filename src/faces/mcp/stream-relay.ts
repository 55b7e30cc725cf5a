/**
 * Server messages about no request (resource updates, list changes) go to the session's
 * standing GET stream, which may be open on another instance than the one that has the message
 * to send. The instance holding the stream listens on the session's channel of the bus; the
 * others publish there.
 */
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';
import type { NotificationBus } from '../../policy/state/bus/types.js';

export interface StreamRelay {
  /** Sends a message to the session's standing stream wherever it is open; lost when it is open nowhere. */
  forward(sessionId: string, message: JSONRPCMessage): void;
  /** Hears what is forwarded to the session (once this resolves); the function returned stops it. */
  receive(sessionId: string, deliver: (message: JSONRPCMessage) => void): Promise<() => void>;
}

export function streamRelay(bus: NotificationBus): StreamRelay {
  const channel = (sessionId: string) => `mcp-stream:${sessionId}`;
  return {
    forward: (sessionId, message) => {
      // A notification nobody gets is not worth failing anything over.
      bus.publish(channel(sessionId), JSON.stringify(message)).catch(() => undefined);
    },
    receive: async (sessionId, deliver) => {
      const stop = await bus.subscribe(channel(sessionId), (text) => {
        let parsed;
        try {
          parsed = JSONRPCMessageSchema.safeParse(JSON.parse(text));
        } catch {
          return;
        }
        if (parsed.success) deliver(parsed.data);
      });
      return () => void stop().catch(() => undefined);
    },
  };
}
