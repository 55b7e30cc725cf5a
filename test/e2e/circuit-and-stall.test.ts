import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { eventually, manualClock, startGateway, type TestGateway } from '../support/gateway.js';

/**
 * A flapping primary trips its circuit breaker (the gateway's clock moves past the cool-down
 * when the test says, nothing waits); a stalled stream is cut by the idle timeout.
 */
let upstream: StartedUpstream;
let gateway: TestGateway;
let client: OpenAI;
const COOLDOWN_MS = 60_000;
const clock = manualClock();

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway({
    routing: { retries: 0, backoffMs: 1, circuitBreaker: { failureThreshold: 3, cooldownMs: COOLDOWN_MS } },
    providers: {
      flaky: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k', idleTimeoutMs: 300 },
      steady: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k' },
    },
  }, { clock: clock.now });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'x', maxRetries: 0 });
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});
beforeEach(() => upstream.reset());

const withFallback = { providerOptions: { gateway: { models: ['steady/backup'] } } } as object;
const ask = () => client.chat.completions.create({ model: 'flaky/primary', messages: [{ role: 'user', content: 'hi' }], ...withFallback });
const primaryCalls = () => upstream.requests.filter((request) => request.model === 'primary').length;

describe('circuit breaker', () => {
  it('opens after N failures in a row, half-opens after the cool-down, and closes on success', async () => {
    upstream.script('primary', { kind: 'error', status: 500 });
    for (let index = 0; index < 3; index++) expect((await ask()).choices[0]!.message.content).toBe('Echo: hi');
    expect(primaryCalls()).toBe(3);

    // Open: the primary is skipped, the fallback serves at once.
    await ask();
    await ask();
    expect(primaryCalls()).toBe(3);
    const skipped = (await gateway.ledger.requests()).at(-1)!;
    expect(skipped).toMatchObject({ servedModel: 'steady/backup', attempts: 1 });

    // Half-open after the cool-down: one trial goes to the primary; it fails, so it opens again.
    clock.advance(COOLDOWN_MS);
    await ask();
    expect(primaryCalls()).toBe(4);
    await ask();
    expect(primaryCalls()).toBe(4);

    // The primary recovers: the next trial succeeds and closes the circuit.
    upstream.script('primary', { kind: 'ok' });
    clock.advance(COOLDOWN_MS);
    const recovered = await ask();
    expect(recovered.model).toBe('flaky/primary');
    await ask();
    expect(primaryCalls()).toBe(6);
  });

  it('answers 503 circuit_open when every candidate is paused', async () => {
    upstream.script('lonely', { kind: 'error', status: 503 });
    const lonely = () =>
      client.chat.completions.create({ model: 'flaky/lonely', messages: [{ role: 'user', content: 'x' }] }).then(
        () => {
          throw new Error('expected the call to fail');
        },
        (error: unknown) => error as InstanceType<typeof OpenAI.APIError>,
      );
    for (let index = 0; index < 3; index++) expect((await lonely()).status).toBe(503);
    const paused = await lonely();
    expect(paused.status).toBe(503);
    expect(paused.code).toBe('circuit_open');
    expect(upstream.requests.filter((request) => request.model === 'lonely')).toHaveLength(3);
  });
});

describe('stream idle timeout', () => {
  it('cuts a stream that stalls after its first token and ends it with an error, billed for what came', async () => {
    upstream.script('staller', { kind: 'stall', afterEvents: 2, ms: 5_000 });
    const stream = await client.chat.completions.create({ model: 'flaky/staller', messages: [{ role: 'user', content: 'one two three four' }], stream: true });
    let text = '';
    const failure = await (async () => {
      for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    })().catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    expect(String((failure as Error).message)).toMatch(/stalled/);
    expect(text.length).toBeGreaterThan(0);
    const row = await eventually(async () => {
      const last = (await gateway.ledger.requests()).at(-1)!;
      expect(last.requestedModel).toBe('flaky/staller');
      return last;
    });
    expect(row).toMatchObject({ status: 'error', errorKind: 'upstream_timeout' });
    expect(row.usage.output).toBeGreaterThan(0);
  });
});
