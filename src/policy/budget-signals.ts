/**
 * What a watcher of budgets needs to hear, from every instance and process: a charge that crossed
 * one of a budget's thresholds (sent once its counters have settled, by the process that made it),
 * and a key whose limits may have changed (sent by the process that changed it; with PostgreSQL
 * every instance also hears each change from the database). Both travel on the notification bus.
 */
import { randomUUID } from 'node:crypto';
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

const CROSSINGS = 'budget-thresholds';
const KEY_CHANGES = 'key-changes';

const Crossing = z.object({ scope: z.string(), scopeId: z.string(), threshold: z.number() });
const KeyChange = z.object({ keyId: z.string(), from: z.string() });

type Listener = (signal: BudgetSignal) => void;

export class BudgetSignals {
  private readonly listeners = new Set<Listener>();
  private listening: Promise<Unsubscribe[]> | undefined;
  /** This process, so that it skips its own key changes coming back from the bus. */
  private readonly id = randomUUID();
  private readonly sending = new Set<Promise<void>>();

  constructor(
    private readonly bus: NotificationBus,
    private readonly store: Pick<Store, 'keys' | 'onKeyChange'>,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {
    store.onKeyChange((keyId, origin) => {
      this.deliver({ kind: 'limits', keyId: keyId ?? null });
      if (origin === 'here' && keyId) this.send(KEY_CHANGES, { keyId, from: this.id });
    });
  }

  /** A policy event as it is emitted: crossed thresholds go to every instance. */
  announce(event: PolicyEvent): void {
    if (event.type !== 'budget.threshold') return;
    const { scope, scopeId, threshold } = event.data;
    this.send(CROSSINGS, { scope, scopeId, threshold });
  }

  /** Hears every signal from now on (once this resolves); the function returned stops it. */
  async listen(listener: Listener): Promise<() => void> {
    this.listening ??= Promise.all([
      this.bus.subscribe(CROSSINGS, (message) => this.heardCrossing(message)),
      this.bus.subscribe(KEY_CHANGES, (message) => this.heardKeyChange(message)),
    ]);
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

  /** Sends what is still on its way (a CLI process ends right after), then stops listening. */
  async close(): Promise<void> {
    await Promise.all(this.sending);
    this.listeners.clear();
    const stops = await this.listening?.catch(() => undefined);
    this.listening = undefined;
    await Promise.all((stops ?? []).map((stop) => stop()));
  }

  private send(channel: string, payload: object): void {
    const sent = this.bus.publish(channel, JSON.stringify(payload)).catch((error: unknown) => {
      this.logger.warn({ err: error }, `a budget or key change could not be announced to the other instances (${this.bus.description})`);
    });
    this.sending.add(sent);
    void sent.finally(() => this.sending.delete(sent));
  }

  private heardCrossing(message: string): void {
    const crossing = parse(Crossing, message);
    if (crossing) this.deliver({ kind: 'spend', ...crossing });
  }

  private heardKeyChange(message: string): void {
    const change = parse(KeyChange, message);
    if (change && change.from !== this.id) this.deliver({ kind: 'limits', keyId: change.keyId });
  }

  private deliver(signal: BudgetSignal): void {
    for (const listener of [...this.listeners]) listener(signal);
  }
}

function parse<T>(schema: z.ZodType<T>, message: string): T | undefined {
  try {
    return schema.parse(JSON.parse(message));
  } catch {
    return undefined;
  }
}
