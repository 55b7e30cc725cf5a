import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

/** Model names sent without a provider, as stock clients send them after a base-URL change. */
let upstream: StartedUpstream;
let gateway: TestGateway;
let twoClaudes: TestGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway({
    providers: {
      anthropic: { kind: 'anthropic', baseURL: upstream.url, apiKey: 'a-key' },
      openai: { kind: 'openai', baseURL: `${upstream.url}/v1`, apiKey: 'o-key' },
      local: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'l-key', models: { 'llama3:8b': {} } },
    },
  });
  twoClaudes = await startGateway({
    providers: {
      anthropic: { kind: 'anthropic', baseURL: upstream.url, apiKey: 'a-key' },
      bedrockish: { kind: 'anthropic', baseURL: upstream.url, apiKey: 'b-key' },
    },
    defaultProviders: { 'claude-opus-*': 'bedrockish' },
  });
});
afterAll(async () => {
  await gateway?.close();
  await twoClaudes?.close();
  await upstream?.close();
});

describe('a bare model name', () => {
  it('works from @anthropic-ai/sdk with no rules: claude-* goes to the one Anthropic provider', async () => {
    const client = new Anthropic({ baseURL: gateway.url, apiKey: 'unused', maxRetries: 0 });
    const message = await client.messages.create({ model: 'claude-sonnet-4-5-20250929', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    expect(message.content).toMatchObject([{ type: 'text', text: 'Echo: hi' }]);
    expect(upstream.requests.at(-1)).toMatchObject({ path: '/v1/messages', model: 'claude-sonnet-4-5-20250929' });
    expect((await gateway.ledger.requests()).at(-1)).toMatchObject({ requestedModel: 'claude-sonnet-4-5-20250929', servedModel: 'anthropic/claude-sonnet-4-5-20250929', provider: 'anthropic' });
  });

  it('works from the openai client: gpt-* goes to the OpenAI provider, a listed model to the provider listing it', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    await client.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'hi' }] });
    await client.chat.completions.create({ model: 'llama3:8b', messages: [{ role: 'user', content: 'hi' }] });
    expect((await gateway.ledger.requests()).slice(-2).map((row) => row.servedModel)).toEqual(['openai/gpt-4o-mini', 'local/llama3:8b']);
  });

  it('served by two providers is a 400 naming both and the fix, unless defaultProviders maps it', async () => {
    const client = new Anthropic({ baseURL: twoClaudes.url, apiKey: 'unused', maxRetries: 0 });
    const refused = (await client.messages
      .create({ model: 'claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error)) as InstanceType<typeof Anthropic.APIError>;
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(/could be served by anthropic or bedrockish: .*defaultProviders/);
    await client.messages.create({ model: 'claude-opus-4-1', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] });
    expect((await twoClaudes.ledger.requests()).at(-1)).toMatchObject({ requestedModel: 'claude-opus-4-1', servedModel: 'bedrockish/claude-opus-4-1' });
  });

  it('that no provider serves is a 400 that says how to name it', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const refused = (await client.chat.completions
      .create({ model: 'deepseek-chat', messages: [{ role: 'user', content: 'hi' }] })
      .catch((error: unknown) => error)) as InstanceType<typeof OpenAI.APIError>;
    expect(refused.status).toBe(400);
    expect(refused.message).toMatch(/names no provider.*provider\/model.*defaultProviders/);
  });

  it('defaultProviders must name configured providers', () => {
    expect(() => parseConfig({ defaultProviders: { 'gpt-*': 'openai' } }, {})).toThrow(/defaultProviders\.gpt-\*: no provider "openai" is configured/);
  });
});
