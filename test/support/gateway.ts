import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { Sleep } from '../../src/core/router.js';
import type { Logger } from '../../src/logger.js';
import type { PolicyState } from '../../src/policy/state/types.js';
import { startServer, type RunningServer } from '../../src/server.js';

export interface LedgerRequest {
  id: string;
  face: string;
  operation: string;
  stream: number;
  requested_model: string;
  served_model: string | null;
  provider: string | null;
  status: string;
  error_kind: string | null;
  attempts: number;
  user: string | null;
  tags: string | null;
  input_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
  cost_nanos: number | null;
  ttft_ms: number | null;
}

export interface LedgerAttempt {
  request_id: string;
  seq: number;
  model: string;
  provider: string;
  status: string;
  error_kind: string | null;
  upstream_status: number | null;
  error_message: string | null;
  input_tokens: number | null;
  output_tokens: number | null;
  cost_nanos: number | null;
}

export interface LedgerRefusal {
  minute: string;
  key_id: string;
  key_name: string | null;
  user: string;
  kind: string;
  count: number;
}

export interface TestGateway {
  url: string;
  server: RunningServer;
  dataDir: string;
  /** Reads the ledger from the SQLite file, as a user with sqlite3 would. */
  requests(): LedgerRequest[];
  attempts(requestId?: string): LedgerAttempt[];
  /** The refusal counters (per minute, key, user and kind). */
  refusals(): LedgerRefusal[];
  close(): Promise<void>;
}

export interface StartGatewayOptions {
  /** The clock of budgets, rate limits, breakers and ledger rows. */
  clock?: () => Date;
  /** The router's backoff and retry-after waits (record them instead of waiting). */
  sleep?: Sleep;
  /** Policy state shared with another gateway in this process (a second "instance"). */
  state?: PolicyState;
  logger?: Logger;
  env?: Record<string, string>;
}

/** Starts the real HTTP server on a free loopback port with its own data folder. */
export async function startGateway(config: ConfigInput, options: StartGatewayOptions = {}): Promise<TestGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-test-'));
  // An empty env: provider keys of the machine running the tests must not leak in.
  const server = await startServer({
    config: parseConfig(config, options.env ?? {}),
    dataDir,
    port: 0,
    host: '127.0.0.1',
    logLevel: 'silent',
    // Only the env the test names: an admin key in the shell must not turn auth on here.
    env: options.env ?? {},
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.sleep ? { sleep: options.sleep } : {}),
    ...(options.state ? { state: options.state } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
  });
  const read = <T>(sql: string, ...params: unknown[]): T[] => {
    const db = new Database(join(dataDir, 'tollgate.db'), { readonly: true, fileMustExist: true });
    try {
      return db.prepare(sql).all(...params) as T[];
    } finally {
      db.close();
    }
  };
  return {
    url: server.url,
    server,
    dataDir,
    requests: () => read<LedgerRequest>('SELECT * FROM requests ORDER BY ts, rowid'),
    attempts: (requestId) =>
      requestId
        ? read<LedgerAttempt>('SELECT * FROM attempts WHERE request_id = ? ORDER BY seq', requestId)
        : read<LedgerAttempt>('SELECT * FROM attempts ORDER BY ts, rowid'),
    refusals: () => read<LedgerRefusal>('SELECT * FROM refusals ORDER BY minute, key_id, user, kind'),
    close: async () => {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A sleep that records what was asked and returns at once, so retries and backoff cost no time. */
export function recordingSleep(): { sleep: Sleep; asked: number[] } {
  const asked: number[] = [];
  return { asked, sleep: async (ms) => void asked.push(ms) };
}

/** A clock that moves only when told. */
export function manualClock(start = Date.now()): { now: () => Date; advance(ms: number): void } {
  let at = start;
  return { now: () => new Date(at), advance: (ms) => void (at += ms) };
}

/** Waits until `check` passes (ledger rows of streams are written when the stream ends). */
export async function eventually<T>(check: () => T, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** Like `eventually`, for a check that must await (a request). */
export async function eventuallyAsync<T>(check: () => Promise<T>, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** USD → the ledger's billionths of a dollar, computed independently of the code under test. */
export const nanos = (usd: number): number => Math.round(usd * 1e9);

/** `providerOptions.gateway.models`: Tollgate's extension of a client's body, typed as nothing so the client's types accept it. */
export const fallbackTo = (models: string[]): object => ({ providerOptions: { gateway: { models } } });
