import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import type { Sleep } from '../../src/core/router.js';
import type { Logger } from '../../src/logger.js';
import type { PolicyState } from '../../src/policy/state/types.js';
import { startServer, type RunningServer } from '../../src/server.js';
import type { AttemptRow, RefusalCount, ReportReader, RequestRow } from '../../src/store/types.js';

export interface TestGateway {
  url: string;
  server: RunningServer;
  dataDir: string;
  /** The ledger as the gateway's own store reads it (`/v1/requests`, the console), whichever backend it has. */
  ledger: LedgerView;
  close(): Promise<void>;
}

/** Ledger rows, read through the store's report reader: every row recorded before the call. */
export interface LedgerView {
  /** Every request, oldest first. */
  requests(): Promise<RequestRow[]>;
  /** The attempts of one request by `seq`; with no id, every request's, oldest request first. */
  attempts(requestId?: string): Promise<AttemptRow[]>;
  /** The refusal counters, oldest minute first. */
  refusals(): Promise<RefusalCount[]>;
}

const PAGE = 500;

/** Reads the whole ledger through `reports` as an admin would page `/v1/requests`. */
export function ledgerView(reports: ReportReader): LedgerView {
  const everything = { kind: 'all' } as const;
  const requests = async (): Promise<RequestRow[]> => {
    const newestFirst: RequestRow[] = [];
    for (;;) {
      const before = newestFirst.at(-1)?.id;
      const page = await reports.listRequests({ limit: PAGE, ...(before ? { before } : {}) }, everything);
      newestFirst.push(...page.requests);
      if (!page.hasMore) return newestFirst.reverse();
    }
  };
  const attemptsOf = async (id: string): Promise<AttemptRow[]> => (await reports.getRequest(id, everything))?.attempts ?? [];
  return {
    requests,
    attempts: async (requestId) => {
      if (requestId) return attemptsOf(requestId);
      const all: AttemptRow[] = [];
      for (const request of await requests()) all.push(...(await attemptsOf(request.id)));
      return all;
    },
    refusals: () => reports.listRefusals(),
  };
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
  return {
    url: server.url,
    server,
    dataDir,
    ledger: ledgerView(server.app.store.reports),
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

/** Waits until `check` passes (ledger rows of streams are written when the stream ends); `check` may await. */
export async function eventually<T>(check: () => T | Promise<T>, timeoutMs = 3_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** USD → the ledger's billionths of a dollar, computed independently of the code under test. */
export const nanos = (usd: number): number => Math.round(usd * 1e9);

/** `providerOptions.gateway.models`: Tollgate's extension of a client's body, typed as nothing so the client's types accept it. */
export const fallbackTo = (models: string[]): object => ({ providerOptions: { gateway: { models } } });
