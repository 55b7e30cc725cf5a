/**
 * Responses kept for `previous_response_id` and for reading back by id. Each belongs to the
 * caller that made it (its key, its token subject, or `anonymous` while no auth is configured):
 * to any other caller it does not exist. Each is kept `retentionMs` after it was made: from then
 * on it is not served, and it is deleted by a sweep, which runs as responses are kept, at most
 * once every SWEEP_EVERY_MS.
 */
import type { ResponseStore } from '../../store/types.js';
import type { ContextItem, ResponseObject } from './responses-api.js';

const SWEEP_EVERY_MS = 3_600_000;

export interface KeptResponse {
  response: ResponseObject;
  /** What it was made from, earlier turns included, oldest first. */
  context: ContextItem[];
}

export class ResponseShelf {
  constructor(
    private readonly store: ResponseStore,
    private readonly retentionMs: number,
    private readonly clock: () => Date,
  ) {}

  private lastSweep = Number.NEGATIVE_INFINITY;

  /** Keeps `response` for `owner`; false when the id is another caller's (a reused request id). */
  async keep(response: ResponseObject, context: ContextItem[], owner: string): Promise<boolean> {
    const now = this.clock();
    if (now.getTime() - this.lastSweep >= SWEEP_EVERY_MS) {
      this.lastSweep = now.getTime();
      await this.sweep();
    }
    return this.store.put({
      id: response.id,
      owner,
      createdAt: now.toISOString(),
      response: JSON.stringify(response),
      inputItems: JSON.stringify(context),
    });
  }

  async find(id: string, owner: string): Promise<KeptResponse | undefined> {
    const stored = await this.store.get(id, owner);
    if (!stored || stored.createdAt < this.cutoff()) return undefined;
    // Written by this class only, from these very types.
    return { response: JSON.parse(stored.response) as ResponseObject, context: JSON.parse(stored.inputItems) as ContextItem[] };
  }

  /** True when a response that `owner` could still read went. */
  async remove(id: string, owner: string): Promise<boolean> {
    if (!(await this.find(id, owner))) return false;
    return this.store.delete(id, owner);
  }

  /** Deletes every expired response; returns how many went. */
  sweep(): Promise<number> {
    return this.store.deleteCreatedBefore(this.cutoff());
  }

  /** How long a response is kept, for messages. */
  get retentionDays(): number {
    return this.retentionMs / 86_400_000;
  }

  private cutoff(): string {
    return new Date(this.clock().getTime() - this.retentionMs).toISOString();
  }
}
