import { APICallError } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { healthId, type Candidate } from '../../src/core/candidates.js';
import { CircuitBreakers, type CircuitState } from '../../src/core/circuit-breaker.js';
import { GatewayError } from '../../src/core/errors.js';
import { route, type AttemptHandle, type Sleep } from '../../src/core/router.js';
import { MemoryBreakerStates } from '../../src/policy/state/memory/breaker-states.js';
import { StoreOutage } from '../../src/policy/state/outage.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import type { AttemptRow } from '../../src/store/types.js';

/**
 * The router's retries and backoff with an injected sleep: the tests assert the waits that were
 * asked for (an upstream's `retry-after`, exponential backoff with jitter), never time passed.
 * Upstream failures are the AI SDK's own APICallError, as the provider packages throw them.
 */
const MAX_BACKOFF_MS = 5_000;
const BACKOFF_MS = 200;
const RETRIES = 2;
/** The router's clock: retry-after dates and ledger times are read from it. */
const NOW = Date.parse('2026-03-10T12:00:00.000Z');

const config = parseConfig(
  {
    mock: false,
    routing: { retries: RETRIES, backoffMs: BACKOFF_MS, maxBackoffMs: MAX_BACKOFF_MS, circuitBreaker: { failureThreshold: 2, cooldownMs: 30_000 } },
    providers: {
      a: { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', apiKey: 'k' },
      b: { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', apiKey: 'k' },
    },
  },
  {},
);
const registry = createProviderRegistry(config);
const candidate = (id: string): Candidate => {
  const [provider, modelId] = id.split('/') as [string, string];
  return { id, provider: registry.get(provider)!, modelId };
};

const status = (statusCode: number, headers: Record<string, string> = {}) =>
  new APICallError({ message: `upstream said ${statusCode}`, url: 'http://127.0.0.1:9/v1/chat/completions', requestBodyValues: {}, statusCode, responseHeaders: headers });

type Answer = Error | 'ok';

/** Routes over `ids`, each candidate answering from its script in turn; records every sleep asked for. */
async function routeScripted(ids: string[], scripts: Record<string, Answer[]>, options: { clientSignal?: AbortSignal; sleep?: Sleep; breakers?: CircuitBreakers; clock?: () => number; circuitAhead?: { id: string; state: Promise<CircuitState> } } = {}) {
  const sleeps: number[] = [];
  const tried: string[] = [];
  const failures: AttemptRow[] = [];
  const run = async (attempt: AttemptHandle) => {
    tried.push(attempt.candidate.id);
    const answer = scripts[attempt.candidate.id]?.shift() ?? 'ok';
    if (answer !== 'ok') throw answer;
    return `served by ${attempt.candidate.id}`;
  };
  const sleep: Sleep =
    options.sleep ??
    (async (ms) => {
      sleeps.push(ms);
    });
  const breakers = options.breakers ?? new CircuitBreakers(config.routing.circuitBreaker, new MemoryBreakerStates(), new StoreOutage('deny', undefined));
  const outcome = await route(
    ids.map(candidate),
    {
      requestId: 'req_1',
      routing: config.routing,
      failures,
      redact: (text) => text,
      breakers,
      sleep,
      clock: options.clock ?? (() => NOW),
      ...(options.clientSignal ? { clientSignal: options.clientSignal } : {}),
      ...(options.circuitAhead ? { circuitAhead: options.circuitAhead } : {}),
    },
    run,
  ).then(
    (value) => ({ value: value.value, error: undefined }),
    (error: unknown) => ({ value: undefined, error: error as GatewayError }),
  );
  return { ...outcome, sleeps, tried, failures };
}

describe('router backoff', () => {
  it('waits what retry-after asks on a 429, then tries the same candidate again', async () => {
    const outcome = await routeScripted(['a/m', 'b/m'], { 'a/m': [status(429, { 'retry-after': '2' })] });
    expect(outcome.value).toBe('served by a/m');
    expect(outcome.sleeps).toEqual([2_000]);
    expect(outcome.tried).toEqual(['a/m', 'a/m']);
    expect(outcome.failures.map((row) => [row.model, row.errorKind, row.upstreamStatus])).toEqual([['a/m', 'upstream_rate_limited', 429]]);
  });

  it('honours a retry-after of exactly maxBackoffMs, and fractions of a second', async () => {
    const outcome = await routeScripted(['a/m'], { 'a/m': [status(503, { 'retry-after': String(MAX_BACKOFF_MS / 1000) }), status(429, { 'retry-after': '0.25' })] });
    expect(outcome.value).toBe('served by a/m');
    expect(outcome.sleeps).toEqual([MAX_BACKOFF_MS, 250]);
  });

  it('reads a retry-after given as an HTTP date against its clock: waits until that moment', async () => {
    const inThreeSeconds = new Date(NOW + 3_000).toUTCString();
    const outcome = await routeScripted(['a/m'], { 'a/m': [status(429, { 'retry-after': inThreeSeconds })] });
    expect(outcome.value).toBe('served by a/m');
    expect(outcome.sleeps).toEqual([3_000]);
    expect(outcome.failures.map((row) => row.ts)).toEqual(['2026-03-10T12:00:00.000Z']);
  });

  it('a retry-after date already past is no wait; one beyond maxBackoffMs moves on at once', async () => {
    const past = new Date(NOW - 10_000).toUTCString();
    const far = new Date(NOW + MAX_BACKOFF_MS + 1_000).toUTCString();
    const outcome = await routeScripted(['a/m', 'b/m'], { 'a/m': [status(503, { 'retry-after': past }), status(429, { 'retry-after': far })] });
    expect(outcome.value).toBe('served by b/m');
    expect(outcome.sleeps).toEqual([0]);
    expect(outcome.tried).toEqual(['a/m', 'a/m', 'b/m']);
  });

  it('does not wait out a retry-after longer than maxBackoffMs: it moves on to the next candidate at once', async () => {
    const outcome = await routeScripted(['a/m', 'b/m'], { 'a/m': [status(429, { 'retry-after': '30' })] });
    expect(outcome.value).toBe('served by b/m');
    expect(outcome.sleeps).toEqual([]);
    expect(outcome.tried).toEqual(['a/m', 'b/m']);
  });

  it('with nothing left after a long retry-after, passes the 429 on without waiting', async () => {
    const outcome = await routeScripted(['a/m'], { 'a/m': [status(429, { 'retry-after': '30' })] });
    expect(outcome.error).toBeInstanceOf(GatewayError);
    expect(outcome.error).toMatchObject({ kind: 'upstream_rate_limited', details: { retryAfterSeconds: 30, upstreamStatus: 429 } });
    expect(outcome.sleeps).toEqual([]);
  });

  it('without retry-after, backs off exponentially with jitter (half to all of the step), then falls back', async () => {
    const outcome = await routeScripted(['a/m', 'b/m'], { 'a/m': [status(429), status(429), status(429)] });
    expect(outcome.value).toBe('served by b/m');
    expect(outcome.tried).toEqual(['a/m', 'a/m', 'a/m', 'b/m']);
    expect(outcome.sleeps).toHaveLength(RETRIES);
    outcome.sleeps.forEach((ms, retry) => {
      const step = BACKOFF_MS * 2 ** retry;
      expect(ms).toBeGreaterThanOrEqual(step / 2);
      expect(ms).toBeLessThanOrEqual(step);
    });
  });

  it('never waits longer than maxBackoffMs between tries', async () => {
    const routing = { ...config.routing, backoffMs: 4_000 };
    const sleeps: number[] = [];
    const failures: AttemptRow[] = [];
    const breakers = new CircuitBreakers(config.routing.circuitBreaker, new MemoryBreakerStates(), new StoreOutage('deny', undefined));
    let calls = 0;
    await route([candidate('a/m')], { requestId: 'r', routing, failures, redact: (text) => text, breakers, sleep: async (ms) => void sleeps.push(ms) }, async () => {
      calls += 1;
      if (calls <= RETRIES) throw status(503);
      return 'ok';
    });
    expect(sleeps).toHaveLength(RETRIES);
    expect(sleeps[1]).toBeGreaterThanOrEqual(MAX_BACKOFF_MS / 2);
    expect(sleeps[1]).toBeLessThanOrEqual(MAX_BACKOFF_MS);
  });

  it('does not retry what may have been billed (a 500): the next candidate is tried without a wait', async () => {
    const outcome = await routeScripted(['a/m', 'b/m'], { 'a/m': [status(500)] });
    expect(outcome.value).toBe('served by b/m');
    expect(outcome.sleeps).toEqual([]);
  });

  it('gives its sleep the client signal; a client gone during the wait ends the request as client_closed', async () => {
    const client = new AbortController();
    const signals: Array<AbortSignal | undefined> = [];
    const outcome = await routeScripted(['a/m'], { 'a/m': [status(429, { 'retry-after': '1' })] }, {
      clientSignal: client.signal,
      sleep: async (_ms, signal) => {
        signals.push(signal);
        client.abort();
        throw new DOMException('aborted', 'AbortError');
      },
    });
    expect(signals).toEqual([client.signal]);
    expect(outcome.error).toMatchObject({ kind: 'client_closed' });
    expect(outcome.tried).toEqual(['a/m']);
  });

  it('skips a candidate whose circuit is open, and says so when none is left', async () => {
    let now = 1_000_000;
    const breakers = new CircuitBreakers(config.routing.circuitBreaker, new MemoryBreakerStates(), new StoreOutage('deny', undefined), () => now);
    for (let index = 0; index < 2; index++) await routeScripted(['a/m', 'b/m'], { 'a/m': [status(500)] }, { breakers });
    const skipped = await routeScripted(['a/m', 'b/m'], {}, { breakers });
    expect(skipped.tried).toEqual(['b/m']);
    const paused = await routeScripted(['a/m'], {}, { breakers });
    expect(paused.error).toMatchObject({ kind: 'circuit_open' });
    expect(paused.tried).toEqual([]);
    now += 30_000;
    expect((await routeScripted(['a/m'], {}, { breakers })).tried).toEqual(['a/m']);
  });

  it('takes the first candidate’s circuit as read alongside the budget holds, and reads every other one itself', async () => {
    const ahead = (id: string, state: Promise<CircuitState>) => ({ id: healthId(candidate(id)), state });
    // Read ahead as open (another instance opened it a moment ago); this instance's own state is closed.
    expect((await routeScripted(['a/m', 'b/m'], {}, { circuitAhead: ahead('a/m', Promise.resolve('open')) })).tried).toEqual(['b/m']);
    // Read ahead for a candidate tried later: the first is read afresh, the later one takes the read.
    const later = await routeScripted(['a/m', 'b/m'], { 'a/m': [status(500), status(500), status(500), status(500)] }, { circuitAhead: ahead('b/m', Promise.resolve('open')) });
    expect(later.tried[0]).toBe('a/m');
    expect(later.tried).not.toContain('b/m');
    expect(later.error).toBeDefined();
    // A read ahead that failed (the store out of reach) counts as closed, as a read now would.
    const unread = Promise.reject(new Error('redis is gone'));
    unread.catch(() => undefined);
    expect((await routeScripted(['a/m'], {}, { circuitAhead: ahead('a/m', unread) })).tried).toEqual(['a/m']);
  });
});
