import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APICallError } from '@ai-sdk/provider';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createApp, type App } from '../../src/app.js';
import { parseConfig } from '../../src/config/load.js';
import { GatewayError } from '../../src/core/errors.js';
import { streamAnswer, type CallAttempt } from '../../src/core/routed-call.js';
import { readToCommit, type StreamItemFacts } from '../../src/core/stream-commit.js';
import type { RequestContext, TokenUsage } from '../../src/core/types.js';
import { zeroUsage } from '../../src/core/usage.js';

/**
 * The core's one routed call, driven as a face that owns its wire would drive it: the core
 * admits, retries, follows the stream and settles; the face only calls the candidate and says
 * what its items mean. On the mock provider, priced in config ($1 per million input tokens, $2
 * output), a fixed clock and a recording sleep: nothing waits.
 */
const NOW = new Date('2026-03-10T12:00:00.000Z');
let app: App;
let dataDir: string;
let waits: number[];

beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'tollgate-routed-call-'));
  waits = [];
  app = await createApp({
    config: parseConfig(
      { logLevel: 'silent', routing: { retries: 1, backoffMs: 10, maxBackoffMs: 5_000 }, models: { 'mock/echo': { pricing: { input: 1, output: 2 } } } },
      {},
    ),
    dataDir,
    clock: () => NOW,
    sleep: async (ms) => void waits.push(ms),
  });
});
afterEach(async () => {
  await app.close();
  rmSync(dataDir, { recursive: true, force: true });
});

const context = (requestId: string): RequestContext => ({ face: 'openai', requestId });
const usage = (input: number, output: number): TokenUsage => ({ ...zeroUsage(), input, output });
const rateLimited = (retryAfter: string) =>
  new APICallError({ message: 'slow down', url: 'http://upstream.test/v1/chat', requestBodyValues: {}, statusCode: 429, responseHeaders: { 'retry-after': retryAfter } });

/** Wire items of a made-up format: `text:<words>`, `usage:<in>,<out>`, `end`. */
function wireFacts(item: string): StreamItemFacts {
  if (item === 'end') return { commit: true, terminal: true, text: '' };
  if (item.startsWith('usage:')) {
    const [input, output] = item.slice('usage:'.length).split(',').map(Number) as [number, number];
    return { commit: false, terminal: false, usage: usage(input, output), text: '' };
  }
  return { commit: true, terminal: false, text: item.slice('text:'.length) };
}

async function* wire(items: string[]): AsyncGenerator<string> {
  yield* items;
}

async function ledgerRow(requestId: string) {
  const found = await app.gateway.getRequest(requestId, undefined);
  expect(found).toBeDefined();
  return found!;
}

describe('the routed call', () => {
  it('settles a whole answer from the usage the attempt reports, after waiting what retry-after asked', async () => {
    const tried: string[] = [];
    const outcome = await app.gateway.call(
      {
        operation: 'chat',
        model: 'mock/echo',
        stream: false,
        estimate: () => ({ inputTokens: 1_000, maxOutputTokens: 500 }),
        attempt: async (attempt: CallAttempt) => {
          tried.push(attempt.candidate.id);
          if (tried.length === 1) throw rateLimited('2');
          return { kind: 'whole', value: 'the face owns this', served: { usage: usage(1_000, 500) } };
        },
      },
      context('req_whole'),
    );
    expect(outcome).toMatchObject({ kind: 'whole', value: 'the face owns this', accounting: { servedModel: 'mock/echo', attempts: 2, cost: 0.002 } });
    expect(waits).toEqual([2_000]);
    const { request, attempts } = await ledgerRow('req_whole');
    expect(request).toMatchObject({ ts: NOW.toISOString(), status: 'ok', attempts: 2, costNanos: 2_000_000, usage: usage(1_000, 500) });
    expect(attempts.map((row) => [row.seq, row.status, row.errorKind, row.ts])).toEqual([
      [1, 'error', 'upstream_rate_limited', NOW.toISOString()],
      [2, 'ok', null, NOW.toISOString()],
    ]);
  });

  it('follows a stream past its commit point, prices the reported usage for the face, and settles at its end', async () => {
    const outcome = await app.gateway.call(
      {
        operation: 'chat',
        model: 'mock/echo',
        stream: true,
        estimate: () => ({ inputTokens: 100, maxOutputTokens: 100 }),
        attempt: async (attempt) => {
          const committed = await readToCommit(wire(['text:hello', 'text: there', 'usage:2000,1000', 'end']), wireFacts, attempt.requestStartedAt);
          return streamAnswer(
            committed,
            {
              facts: wireFacts,
              errorItem: (error) => `error:${error.kind}`,
              map: (item, facts, costOf) => (facts.usage ? `cost:${costOf(facts.usage)}` : item),
            },
            (items) => items,
          );
        },
      },
      context('req_stream'),
    );
    expect(outcome.kind).toBe('stream');
    if (outcome.kind !== 'stream') return;
    const items: string[] = [];
    for await (const item of outcome.value) items.push(item);
    expect(items).toEqual(['text:hello', 'text: there', 'cost:0.004', 'end']);
    expect(await outcome.stream.settled).toMatchObject({ servedModel: 'mock/echo', attempts: 1, cost: 0.004 });
    expect((await ledgerRow('req_stream')).request).toMatchObject({ status: 'ok', stream: true, usage: usage(2_000, 1_000), costNanos: 4_000_000 });
  });

  it('ends a stream that breaks past its commit point with the face’s error item, billed for what came', async () => {
    async function* breaking(): AsyncGenerator<string> {
      yield 'text:four bytes';
      throw new Error('socket closed');
    }
    const outcome = await app.gateway.call(
      {
        operation: 'chat',
        model: 'mock/echo',
        stream: true,
        estimate: () => ({ inputTokens: 100, maxOutputTokens: 100 }),
        attempt: async (attempt) =>
          streamAnswer(await readToCommit(breaking(), wireFacts, attempt.requestStartedAt), { facts: wireFacts, errorItem: (error) => `error:${error.kind}` }, (items) => items),
      },
      context('req_broken'),
    );
    if (outcome.kind !== 'stream') throw new Error('expected a stream');
    const items: string[] = [];
    for await (const item of outcome.value) items.push(item);
    expect(items).toEqual(['text:four bytes', 'error:stream_interrupted']);
    await outcome.stream.settled;
    const { request } = await ledgerRow('req_broken');
    // No usage came: the prompt at its worst case, and one output token per byte received.
    expect(request).toMatchObject({ status: 'error', errorKind: 'stream_interrupted' });
    expect(request.usage.output).toBe('four bytes'.length);
  });

  it('passes a refusal at admission on, with no attempt made', async () => {
    let attempts = 0;
    const refused = await app.gateway
      .call(
        {
          operation: 'chat',
          model: 'nowhere/model',
          stream: false,
          estimate: () => ({ inputTokens: 1 }),
          attempt: async () => {
            attempts += 1;
            return { kind: 'whole', value: null, served: { usage: undefined } };
          },
        },
        context('req_refused'),
      )
      .catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(GatewayError);
    expect((refused as GatewayError).kind).toBe('model_not_found');
    expect(attempts).toBe(0);
  });
});
