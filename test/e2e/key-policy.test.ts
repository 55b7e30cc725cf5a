import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { NewKey } from '../../src/store/types.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

/** What a virtual key may do: model allow and deny patterns, providers, requests per minute. */
let gateway: TestGateway;
const clients: Record<string, OpenAI> = {};
const keys: Record<string, string> = {};

beforeAll(async () => {
  gateway = await startGateway({});
  const store = gateway.server.app.store.keys;
  const make = async (name: string, fields: Omit<NewKey, 'name'>) => {
    keys[name] = (await store.create({ ...fields, name })).key;
    clients[name] = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: keys[name], maxRetries: 0 });
  };
  await make('echo-only', { models: ['mock/echo'] });
  await make('no-embed', { models: ['mock/*', '!mock/embed'] });
  await make('other-provider', { providers: ['openai'] });
  await make('slow', { rpm: 2 });
});
afterAll(() => gateway?.close());

const chat = (client: OpenAI) => client.chat.completions.create({ model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] });
const embed = (client: OpenAI) => client.embeddings.create({ model: 'mock/embed', input: 'hi', encoding_format: 'float' });
const failure = (promise: Promise<unknown>) => promise.then(() => undefined, (error: unknown) => error as InstanceType<typeof OpenAI.APIError>);

describe('a key limited to some models', () => {
  it('may call the models its patterns allow and gets 403 naming them for the rest', async () => {
    expect((await chat(clients['echo-only']!)).choices[0]!.message.content).toBe('Echo: hi');
    const refused = await failure(embed(clients['echo-only']!));
    expect(refused?.status).toBe(403);
    expect(refused?.code).toBe('forbidden');
    expect(refused?.message).toMatch(/may not use mock\/embed; it may use mock\/echo/);
  });

  it('honours deny patterns (!) over allow patterns', async () => {
    expect((await chat(clients['no-embed']!)).choices).toHaveLength(1);
    expect((await failure(embed(clients['no-embed']!)))?.status).toBe(403);
  });

  it('limited to other providers: 403 before any upstream call', async () => {
    const refused = await failure(chat(clients['other-provider']!));
    expect(refused?.status).toBe(403);
    expect(refused?.message).toMatch(/may not use provider\(s\) mock; it may use openai/);
    // A refusal is counted for the key, not given a ledger row of its own.
    expect((await gateway.ledger.requests()).filter((row) => (row as { keyName?: string }).keyName === 'other-provider')).toEqual([]);
    const today = new Date().toISOString().slice(0, 10);
    const report = await fetch(`${gateway.url}/v1/report?start_date=${today}&end_date=${today}`, { headers: { authorization: `Bearer ${keys['other-provider']}` } });
    expect(((await report.json()) as { results: unknown[] }).results).toEqual([expect.objectContaining({ request_count: 0, refused_count: 1 })]);
  });
});

describe('a key with a requests-per-minute limit', () => {
  it('gets 429 with retry-after on the request over the limit, others keys unaffected', async () => {
    await chat(clients['slow']!);
    await chat(clients['slow']!);
    const refused = await failure(chat(clients['slow']!));
    expect(refused?.status).toBe(429);
    expect(refused?.message).toMatch(/rate limit reached for this key: 2 requests per minute/);
    expect(Number(refused?.headers?.get('retry-after'))).toBeGreaterThan(0);
    expect(refused?.headers?.get('x-ratelimit-limit-requests')).toBe('2');
    expect((await chat(clients['echo-only']!)).choices).toHaveLength(1);
  });
});
