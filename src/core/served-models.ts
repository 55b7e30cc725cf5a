/**
 * What each provider serves, as its model-list endpoint says, kept for a TTL. A provider asked
 * for the first time is waited for (bounded by the lister's own timeout); a stale list keeps
 * serving while it is asked again in the background; a failed ask keeps the last good list,
 * logs why, and is retried after `retryMs`.
 */
import type { Logger } from 'pino';

/** Reads one provider's served model ids; throws an Error saying why it could not. */
export type ModelLister = () => Promise<string[]>;

export interface ServedModelsOptions {
  ttlMs: number;
  retryMs: number;
  now: () => number;
  logger: Logger;
  redact: (text: string) => string;
}

interface ProviderState {
  ids?: readonly string[];
  askedAt?: number;
  failed: boolean;
  pending?: Promise<void>;
}

export class ServedModels {
  private readonly states = new Map<string, ProviderState>();
  /** Replaced on every change, so a caller can tell a new answer by identity. */
  private snapshot: ReadonlyMap<string, readonly string[]> = new Map();

  constructor(
    private readonly listers: ReadonlyMap<string, ModelLister>,
    private readonly options: ServedModelsOptions,
  ) {
    for (const id of listers.keys()) this.states.set(id, { failed: false });
  }

  /** The served ids by provider; a provider whose list was never read is absent. */
  async current(): Promise<ReadonlyMap<string, readonly string[]>> {
    const waits: Promise<void>[] = [];
    const now = this.options.now();
    for (const [id, state] of this.states) {
      const due = state.askedAt === undefined || now - state.askedAt >= (state.failed ? this.options.retryMs : this.options.ttlMs);
      if (!due && !state.pending) continue;
      const asking = state.pending ?? this.ask(id, state);
      if (state.ids === undefined) waits.push(asking);
    }
    await Promise.all(waits);
    return this.snapshot;
  }

  private ask(id: string, state: ProviderState): Promise<void> {
    const lister = this.listers.get(id)!;
    state.pending = lister()
      .then(
        (ids) => {
          state.ids = ids;
          state.failed = false;
          this.snapshot = new Map([...this.snapshot, [id, ids]]);
        },
        (error: unknown) => {
          state.failed = true;
          const reason = this.options.redact(error instanceof Error ? error.message : String(error));
          this.options.logger.warn(
            { provider: id, reason },
            state.ids ? `model list of ${id} failed; the catalog keeps its last good list` : `model list of ${id} failed; the catalog lists only its configured models`,
          );
        },
      )
      .finally(() => {
        state.askedAt = this.options.now();
        state.pending = undefined;
      });
    return state.pending;
  }
}
