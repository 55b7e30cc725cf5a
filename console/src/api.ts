/**
 * The gateway's API as the console calls it: same origin, the key in an Authorization header.
 * The key lives in this module's memory and in sessionStorage (gone when the tab closes); never
 * in a URL, a cookie or localStorage.
 */
const STORAGE_KEY = 'tollgate.console.key';

let key: string | null = readStoredKey();
const signedOut = new Set<() => void>();

function readStoredKey(): string | null {
  try {
    return sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export const session = {
  get key(): string | null {
    return key;
  },
  set(value: string): void {
    key = value;
    try {
      sessionStorage.setItem(STORAGE_KEY, value);
    } catch {
      // Storage refused (private mode): the key stays in memory for this page only.
    }
  },
  clear(): void {
    key = null;
    try {
      sessionStorage.removeItem(STORAGE_KEY);
    } catch {
      // Nothing stored.
    }
  },
  /** Called when the gateway stops accepting the key (revoked, expired). */
  onSignedOut(listener: () => void): () => void {
    signedOut.add(listener);
    return () => signedOut.delete(listener);
  },
};

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly code: string | null,
    readonly param: string | null,
  ) {
    super(message);
  }
}

export interface CallOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  body?: unknown;
  /** Use this key instead of the session's (to try one before keeping it). */
  key?: string | null;
  signal?: AbortSignal;
}

export async function call<T>(path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const credential = options.key === undefined ? key : options.key;
  if (credential) headers.authorization = `Bearer ${credential}`;
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers,
    ...(options.body !== undefined ? { body: JSON.stringify(options.body) } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
    cache: 'no-store',
    credentials: 'omit',
  });
  const text = await response.text();
  let body: unknown = null;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {
    body = null;
  }
  if (!response.ok) {
    const error = (body as { error?: { message?: string; code?: string; param?: string } } | null)?.error;
    const failure = new ApiError(response.status, error?.message ?? `${response.status} ${response.statusText}`, error?.code ?? null, error?.param ?? null);
    if (response.status === 401 && options.key === undefined && key) for (const listener of signedOut) listener();
    throw failure;
  }
  return body as T;
}

export function query(params: Record<string, string | number | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) if (value !== undefined && value !== null && value !== '') search.set(name, String(value));
  const text = search.toString();
  return text ? `?${text}` : '';
}
