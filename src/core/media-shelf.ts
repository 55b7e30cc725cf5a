/**
 * Images and audio the gateway made, kept so that their links (`/v1/images/{id}`,
 * `tollgate://images/{id}`, `tollgate://audio/{id}`) work for a while. Each belongs to the caller
 * that made it: to any other caller it does not exist. Each expires `ttlMs` after it was made:
 * from then on it is not served, and it is deleted by the next sweep (every time new media is
 * kept, and on a timer the server runs).
 */
import { callerId, seesEverything } from '../policy/auth/caller-id.js';
import type { Principal } from '../policy/types.js';
import type { BlobStore } from '../store/types.js';
import type { KeptMedia, StoredImage } from './types.js';

export class MediaShelf {
  constructor(
    private readonly store: BlobStore,
    private readonly ttlMs: number,
    private readonly clock: () => Date,
  ) {}

  /** Keeps `media` for the caller that made it, and lets expired media go. */
  async put(media: StoredImage[], maker: Principal | undefined): Promise<void> {
    const now = this.clock();
    const owner = callerId(maker);
    for (const item of media) await this.store.put(item, owner, now.toISOString());
    await this.store.deleteCreatedBefore(this.cutoff(now));
  }

  /** The media with this id if `reader` may see it (its maker, the admin, anonymous loopback use) and it has not expired. */
  async get(id: string, reader: Principal | undefined): Promise<KeptMedia | undefined> {
    const stored = await this.store.get(id);
    if (!stored || stored.createdAt < this.cutoff(this.clock())) return undefined;
    if (!seesEverything(reader) && stored.owner !== callerId(reader)) return undefined;
    const expiresAt = new Date(Date.parse(stored.createdAt) + this.ttlMs).toISOString();
    return { id: stored.id, mediaType: stored.mediaType, bytes: stored.bytes, expiresAt };
  }

  /** Deletes every expired item; returns how many went. */
  sweep(): Promise<number> {
    return this.store.deleteCreatedBefore(this.cutoff(this.clock()));
  }

  private cutoff(now: Date): string {
    return new Date(now.getTime() - this.ttlMs).toISOString();
  }
}
