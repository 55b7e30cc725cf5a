import type { Config } from '../config/schema.js';
import type { ProviderEntry, ProviderRegistry } from '../providers/registry.js';
import type { Candidate } from './candidates.js';

export type KeyPick = { kind: 'key'; candidate: Candidate } | { kind: 'resting'; seconds: number };

interface Pool {
  /** The provider as configured; only candidates calling it draw from the pool. */
  base: ProviderEntry;
  keys: ProviderEntry[];
  restingUntil: number[];
  next: number;
}

/**
 * Providers with several API keys spread their requests over them in turn. A key answered with
 * a 429 rests for the upstream's `retry-after` (or `routing.keyRestMs`) while the others serve.
 * Rests are this process's own: another instance learns of a limit from its own 429.
 */
export class KeyPools {
  private readonly pools = new Map<string, Pool>();

  constructor(
    config: Config,
    registry: ProviderRegistry,
    private readonly defaultRestMs: number,
    private readonly clock: () => number,
  ) {
    for (const [id, settings] of Object.entries(config.providers)) {
      const keys = poolKeys(settings);
      const base = registry.get(id);
      if (keys.length < 2 || !base) continue;
      this.pools.set(id, { base, keys: keys.map((apiKey) => base.withCredentials({ apiKey })), restingUntil: keys.map(() => 0), next: 0 });
    }
  }

  /** The candidate on its pool's next key that is not resting; a candidate outside any pool as it is. */
  pick(candidate: Candidate): KeyPick {
    const pool = this.pools.get(candidate.provider.id);
    if (!pool || pool.base !== candidate.provider) return { kind: 'key', candidate };
    const now = this.clock();
    for (let step = 0; step < pool.keys.length; step++) {
      const index = (pool.next + step) % pool.keys.length;
      if (pool.restingUntil[index]! > now) continue;
      pool.next = (index + 1) % pool.keys.length;
      return { kind: 'key', candidate: { ...candidate, provider: pool.keys[index]! } };
    }
    return { kind: 'resting', seconds: Math.max(1, Math.ceil((Math.min(...pool.restingUntil) - now) / 1000)) };
  }

  /** Rests the candidate's key; true when another key of its pool can serve now. */
  rest(candidate: Candidate, retryAfterSeconds: number | undefined): boolean {
    const pool = this.pools.get(candidate.provider.id);
    const index = pool ? pool.keys.indexOf(candidate.provider) : -1;
    if (!pool || index === -1) return false;
    const now = this.clock();
    pool.restingUntil[index] = now + (retryAfterSeconds !== undefined ? retryAfterSeconds * 1000 : this.defaultRestMs);
    return pool.restingUntil.some((until) => until <= now);
  }
}

/** Every key of a provider: `apiKey` first, then `apiKeys`, each once. */
export function poolKeys(settings: Config['providers'][string]): string[] {
  return [...new Set([...(settings.apiKey ? [settings.apiKey] : []), ...(settings.apiKeys ?? [])])];
}
