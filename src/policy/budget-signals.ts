/**
 * What a watcher of budgets needs to hear, from every instance: a charge that crossed one of a
 * budget's thresholds (sent once its counters have settled, by the instance that made it, over
 * the notification bus), and a key whose limits may have changed (from the store: this process's
 * changes, and with PostgreSQL every instance's and the CLI's).
 */
import { z } from 'zod';
import type { Logger } from 'pino';
import { keyPrincipal } from './auth/authenticate.js';
import type { NotificationBus, Unsubscribe } from './state/bus/types.js';
import type { PolicyEvent, Principal } from './types.js';
import type { Store } from '../store/types.js';

export type BudgetSignal =
  /** A charge took the spend of `scope`/`scopeId` past `threshold` (a share of its limit). */
  | { kind: 'spend'; scope: string; scopeId: string; threshold: number }
  /** A key was created, changed or revoked; null when changes may have been missed. */
  | { kind: 'limits'; keyId: string | null };

const CHANNEL = 'budget-thresholds';

const Crossing = z.object({ scope: z.string(), scopeId: z.string(), threshold: z.number() });

type Listener = (signal: BudgetSignal) => void;

export class BudgetSignals {
  private readonly listeners = new Set<Listener>();
  private listening: Promise<Unsubscribe> | undefined;

  constructor(
    private readonly bus: NotificationBus,
    private readonly store: Pick<Store, 'keys' | 'onKeyChange'>,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {
    store.onKeyChange((keyId) => this.deliver({ kind: 'limits', keyId: keyId ?? null }));
  }

  /** A policy event as it is emitted: crossed thresholds go to every instance. */
  announce(event: PolicyEvent): void {
    if (event.type !== 'budget.threshold') return;
    const { scope, scopeId, threshold } = event.data;
    this.bus.publish(CHANNEL, JSON.stringify({ scope, scopeId, threshold })).catch((error: unknown) => {
      this.logger.warn({ err: error }, `a crossed budget threshold could not be announced to the other instances (${this.bus.description})`);
    });
  }

  /** Hears every signal from now on (once this resolves); the function returned stops it. */
  async listen(listener: Listener): Promise<() => void> {
    this.listening ??= this.bus.subscribe(CHANNEL, (message) => this.heard(message));
    try {
      await this.listening;
    } catch (error) {
      this.listening = undefined;
      throw error;
    }
    this.listeners.add(listener);
    return () => void this.listeners.delete(listener);
  }

  /** The caller a key makes, with its limits as they are now; undefined once it is revoked or gone. */
  async keyPrincipal(keyId: string): Promise<Principal | undefined> {
    const record = await this.store.keys.get(keyId);
    return record && record.revokedAt === null ? keyPrincipal(record) : undefined;
  }

  async close(): Promise<void> {
    this.listeners.clear();
    const stop = await this.listening?.catch(() => undefined);
    this.listening = undefined;
    await stop?.();
  }

  private heard(message: string): void {
    let crossing: z.infer<typeof Crossing>;
    try {
      crossing = Crossing.parse(JSON.parse(message));
    } catch {
      return;
    }
    this.deliver({ kind: 'spend', ...crossing });
  }

  private deliver(signal: BudgetSignal): void {
    for (const listener of [...this.listeners]) listener(signal);
  }
}
