/**
 * The core's lifecycle hooks: each request is told in order (received, admitted or refused,
 * attempts, first token, settled), whatever way it goes; a subscriber that throws neither fails
 * a request nor costs it its ledger row; and the list of hooks is closed.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { createGateway } from '../../src/core/gateway.js';
import { Hooks, HOOK_NAMES, type HookEvents, type HookName } from '../../src/core/hooks.js';
import type { ChatRequest } from '../../src/core/types.js';
import { createPolicyState } from '../../src/policy/state/create.js';
import { createPricing } from '../../src/core/pricing.js';
import { createLogger } from '../../src/logger.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import { openStore } from '../support/store.js';
import type { Store } from '../../src/store/types.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

let upstream: StartedUpstream;
beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(() => upstream.close());

const opened: Array<{ store: Store; dir: string }> = [];
afterEach(async () => {
  upstream.reset();
  for (const { store, dir } of opened.splice(0)) {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

type Heard = { [Name in HookName]: [Name, HookEvents[Name]] }[HookName];

async function gatewayWith(subscribe: (hooks: Hooks) => void, warnings: unknown[] = [], input: ConfigInput = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-hooks-'));
  const store = await openStore(dir);
  opened.push({ store, dir });
  const config = parseConfig(input, {});
  const logger = createLogger('silent');
  logger.warn = ((...args: unknown[]) => void warnings.push(args)) as typeof logger.warn;
  const hooks = new Hooks(logger);
  subscribe(hooks);
  const gateway = createGateway({ config, registry: createProviderRegistry(config), pricing: createPricing(config), store, logger, hooks, state: createPolicyState(config) });
  return { gateway, store };
}

function recordEvery(heard: Heard[]) {
  return (hooks: Hooks) => {
    for (const name of HOOK_NAMES) hooks.on(name, (event) => void heard.push([name, event] as Heard));
  };
}

const chat = (text: string, model = 'mock/echo', models?: string[]): ChatRequest => ({
  model,
  call: { prompt: [{ role: 'user', content: [{ type: 'text', text }] }] },
  ...(models ? { gateway: { models } } : {}),
});

describe('the lifecycle hooks', () => {
  it('tell each request in order, for answers, streams, embeddings and refusals', async () => {
    const heard: Heard[] = [];
    const { gateway } = await gatewayWith(recordEvery(heard));

    await gateway.chat(chat('one'), { face: 'openai', user: 'alice' });
    const stream = await gateway.chatStream(chat('two'), { face: 'anthropic' });
    for await (const part of stream.parts) void part;
    await stream.settled;
    await gateway.embed({ model: 'mock/embed', values: ['three'] }, { face: 'mcp' });
    await expect(gateway.chat(chat('four', 'nowhere/none'), { face: 'openai' })).rejects.toMatchObject({ kind: 'model_not_found' });

    expect(heard.map(([name]) => name)).toEqual([
      ...['requestReceived', 'admitted', 'attemptStarted', 'attemptEnded', 'settled'],
      ...['requestReceived', 'admitted', 'attemptStarted', 'firstToken', 'attemptEnded', 'settled'],
      ...['requestReceived', 'admitted', 'attemptStarted', 'attemptEnded', 'settled'],
      ...['requestReceived', 'refused', 'error', 'settled'],
    ]);
    const received = heard.filter((entry): entry is ['requestReceived', HookEvents['requestReceived']] => entry[0] === 'requestReceived').map(([, event]) => event);
    const settled = heard.filter((entry): entry is ['settled', HookEvents['settled']] => entry[0] === 'settled').map(([, event]) => event);
    expect(received.map((event) => event.requestId)).toEqual(settled.map((event) => event.request.id));
    expect(received[0]).toMatchObject({ face: 'openai', operation: 'chat', stream: false, user: 'alice', model: 'mock/echo' });
    expect(received[1]).toMatchObject({ face: 'anthropic', stream: true });
    expect(settled[0]!.request).toMatchObject({ status: 'ok', servedModel: 'mock/echo', attempts: 1 });
    expect(settled[0]!.attempts).toHaveLength(1);
    expect(settled[3]!.request).toMatchObject({ status: 'error', errorKind: 'model_not_found' });
    const ended = heard.find(([name]) => name === 'attemptEnded')![1];
    expect(ended).toMatchObject({ seq: 1, model: 'mock/echo', provider: 'mock', outcome: 'ok', errorKind: null });
  });

  it('tell a fallback as two attempts, the failed one with its error kind', async () => {
    upstream.script('broken', { kind: 'error', status: 500 });
    const heard: Heard[] = [];
    const { gateway } = await gatewayWith(recordEvery(heard), [], {
      providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-key' } },
      routing: { retries: 0 },
    });
    const result = await gateway.chat(chat('fall back', 'up/broken', ['up/gpt-4o-mini']), { face: 'openai' });
    expect(result.servedModel).toBe('up/gpt-4o-mini');
    const attempts = heard.filter(([name]) => name === 'attemptStarted' || name === 'attemptEnded').map(([name, event]) => [name, event]);
    expect(attempts).toEqual([
      ['attemptStarted', expect.objectContaining({ seq: 1, model: 'up/broken', provider: 'up' })],
      ['attemptEnded', expect.objectContaining({ seq: 1, model: 'up/broken', outcome: 'error', errorKind: 'upstream_server_error' })],
      ['attemptStarted', expect.objectContaining({ seq: 2, model: 'up/gpt-4o-mini' })],
      ['attemptEnded', expect.objectContaining({ seq: 2, model: 'up/gpt-4o-mini', outcome: 'ok', finishReasons: ['stop'] })],
    ]);
  });

  it('send the headers a subscriber adds at attemptStarted to the upstream, and only for that attempt', async () => {
    const { gateway } = await gatewayWith((hooks) =>
      hooks.on('attemptStarted', (event) => {
        event.upstreamHeaders.traceparent = `00-${'a'.repeat(32)}-${String(event.seq).padStart(16, '0')}-01`;
      }),
    [], { providers: { up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-key' } } });
    await gateway.chat(chat('traced', 'up/gpt-4o-mini'), { face: 'openai' });
    expect(upstream.requests.map((request) => request.headers.traceparent)).toEqual([`00-${'a'.repeat(32)}-0000000000000001-01`]);
  });

  it('cannot fail a request or lose its ledger row by throwing; the failure is logged', async () => {
    const warnings: unknown[] = [];
    const { gateway, store } = await gatewayWith((hooks) => {
      for (const name of HOOK_NAMES)
        hooks.on(name, () => {
          throw new Error(`subscriber broke on ${name}`);
        });
    }, warnings);
    const result = await gateway.chat(chat('still answered'), { face: 'openai' });
    expect(result.servedModel).toBe('mock/echo');
    const stream = await gateway.chatStream(chat('still streamed'), { face: 'openai' });
    for await (const part of stream.parts) void part;
    await stream.settled;
    const found = await store.reports.getRequest(result.requestId, { kind: 'all' });
    expect(found?.request).toMatchObject({ status: 'ok', servedModel: 'mock/echo' });
    const streamed = await store.reports.getRequest(stream.requestId, { kind: 'all' });
    expect(streamed?.request).toMatchObject({ status: 'ok', stream: true });
    // received, admitted, attemptStarted, attemptEnded, settled; the stream adds firstToken.
    expect(warnings).toHaveLength(11);
  });

  it('are a closed list: an unknown name is refused', () => {
    const hooks = new Hooks(createLogger('silent'));
    expect(() => hooks.on('responseSent' as HookName, () => undefined)).toThrow(/unknown hook "responseSent"/);
    expect(() => hooks.subscribe({ onRequest: () => undefined } as never)).toThrow(/unknown hook "onRequest"/);
  });
});
