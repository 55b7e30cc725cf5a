/**
 * A session ended on one instance (deleted by its client, or evicted to make room) ends on
 * every instance at once: the one that ends it says so on the bus, and each instance holding a
 * live copy of it (its standing stream, its budget subscription) closes that copy, rather than
 * at its next idle sweep.
 */
import type { NotificationBus, Unsubscribe } from '../../policy/state/bus/types.js';

const CHANNEL = 'mcp-session-ended';

export interface SessionEnds {
  /** Tells every instance, this one included, that the session ended. */
  announce(sessionId: string): Promise<void>;
  /**
   * Resolves once this instance hears ends. A bus that cannot be listened to fails nothing: the
   * idle sweep still closes copies whose session ended, and the next call tries again.
   */
  listen(): Promise<void>;
  close(): Promise<void>;
}

export function sessionEnds(bus: NotificationBus, ended: (sessionId: string) => void): SessionEnds {
  let listening: Promise<Unsubscribe | undefined> | undefined;
  return {
    // An end nobody hears is closed by their idle sweep: not worth failing the request over.
    announce: (sessionId) => bus.publish(CHANNEL, sessionId).catch(() => undefined),
    async listen() {
      listening ??= bus.subscribe(CHANNEL, ended).catch(() => {
        listening = undefined;
        return undefined;
      });
      await listening;
    },
    async close() {
      const stop = await listening;
      listening = undefined;
      // Not awaited: a bus that is down would hold the shutdown until it is back.
      void stop?.().catch(() => undefined);
    },
  };
}
