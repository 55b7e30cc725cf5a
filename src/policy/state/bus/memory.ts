import type { NotificationBus, Unsubscribe } from './types.js';

/** This process's bus: without Redis, one instance holds every listener. */
export class MemoryNotificationBus implements NotificationBus {
  readonly description = 'memory';
  private readonly channels = new Map<string, Set<(message: string) => void>>();

  async publish(channel: string, message: string): Promise<void> {
    for (const listener of [...(this.channels.get(channel) ?? [])]) listener(message);
  }

  async subscribe(channel: string, listener: (message: string) => void): Promise<Unsubscribe> {
    let listeners = this.channels.get(channel);
    if (!listeners) this.channels.set(channel, (listeners = new Set()));
    // One function may listen twice: each subscription is its own entry.
    const entry = (message: string) => listener(message);
    listeners.add(entry);
    return async () => {
      listeners.delete(entry);
      if (listeners.size === 0 && this.channels.get(channel) === listeners) this.channels.delete(channel);
    };
  }

  async close(): Promise<void> {
    this.channels.clear();
  }
}
