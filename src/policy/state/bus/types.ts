/**
 * Messages between the instances of one gateway: announcements that must reach whichever
 * instance holds the listener (an MCP session's stream, a budget's subscribers). Delivery is
 * best effort and at most once: a message published while nobody listens is lost.
 */
export interface NotificationBus {
  /** `memory` or `redis <host:port>`, for messages. */
  readonly description: string;
  /** Sends `message` to every listener of `channel`, on every instance (this one included). */
  publish(channel: string, message: string): Promise<void>;
  /** Listens to `channel`; resolves once messages published from then on are delivered. */
  subscribe(channel: string, listener: (message: string) => void): Promise<Unsubscribe>;
  close(): Promise<void>;
}

export type Unsubscribe = () => Promise<void>;
