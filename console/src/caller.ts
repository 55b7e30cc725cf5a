import { ApiError, call } from './api.js';

/** Who the console speaks for, as the gateway answered. */
export type Caller =
  | { kind: 'open' }
  | { kind: 'admin' }
  | { kind: 'key'; label: string };

/**
 * Asks the gateway who a key is. /v1/credits answers anyone it accepts (401 otherwise); the
 * admin API answers only the admin key (403 for any other, 401 with no auth configured).
 */
export async function identify(key: string | null): Promise<Caller> {
  await call('/v1/credits', { key });
  if (!key) return { kind: 'open' };
  try {
    await call('/v1/admin/keys', { key });
    return { kind: 'admin' };
  } catch (error) {
    if (error instanceof ApiError && (error.status === 403 || error.status === 401)) return { kind: 'key', label: `${key.slice(0, 10)}…` };
    throw error;
  }
}

