/**
 * Where the response cache keeps answers. Keys already carry the caller's scope and a hash of
 * the normalized request; values are opaque strings. Every method is async so that any backend
 * (a file, a server) fits.
 */
export interface ResponseCacheStore {
  /** The value under `key`, unless it expired by `now` (ms since the epoch). */
  get(key: string, now: number): Promise<string | undefined>;
  /** Keeps `value` until `expiresAt` (ms), replacing what was under `key`. */
  put(key: string, value: string, expiresAt: number, now: number): Promise<void>;
  /** Deletes what expired by `now`; how many went (a backend that expires entries itself says 0). */
  sweep(now: number): Promise<number>;
  close(): Promise<void>;
  /** Where it is, for logs (never credentials). */
  readonly description: string;
}
