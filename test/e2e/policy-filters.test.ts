import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

/** Routing rules and data-handling filters, applied in the core before any upstream call. */
let upstream: StartedUpstream;
let gateway: TestGateway;

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway({
    providers: {
      keeper: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k1', trainsOnPrompts: true },
      private: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k2', zeroDataRetention: true },
    },
    rules: [
      { id: 'retire-old', match: 'keeper/old-*', rewrite: 'keeper/new-model' },
      { id: 'no-preview', match: '*/preview-*', deny: true, message: 'preview models are not allowed here' },
      { id: 'alias', match: 'fast', rewrite: 'private/fast-model' },
    ],
  });
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

async function chat(body: Record<string, unknown>) {
  const response = await request(`${gateway.url}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'hi' }], ...body }),
  });
  return { status: response.statusCode, headers: response.headers, body: (await response.body.json()) as Record<string, any> };
}

describe('routing rules', () => {
  it('rewrites a matching model before routing', async () => {
    const { status, body, headers } = await chat({ model: 'keeper/old-2024' });
    expect(status).toBe(200);
    expect(headers['x-tollgate-model']).toBe('keeper/new-model');
    expect(upstream.requests.at(-1)!.body).toMatchObject({ model: 'new-model' });
    expect(body.choices[0].message.content).toBe('Echo: hi');
  });

  it('rewrites an alias that is not a provider/model id', async () => {
    const { status, headers } = await chat({ model: 'fast' });
    expect(status).toBe(200);
    expect(headers['x-tollgate-model']).toBe('private/fast-model');
  });

  it('denies with 403 naming the rule, before any upstream call; the refusal is counted, not given a row', async () => {
    const before = upstream.requests.length;
    const rowsBefore = (await gateway.ledger.requests()).length;
    const { status, body } = await chat({ model: 'keeper/preview-x' });
    expect(status).toBe(403);
    expect(body.error).toMatchObject({ type: 'permission_error', code: 'forbidden', message: 'preview models are not allowed here' });
    expect(upstream.requests.length).toBe(before);
    expect(await gateway.ledger.requests()).toHaveLength(rowsBefore);
    const today = new Date().toISOString().slice(0, 10);
    const report = await request(`${gateway.url}/v1/report?start_date=${today}&end_date=${today}`);
    expect(((await report.body.json()) as { results: Array<{ refused_count: number }> }).results[0]!.refused_count).toBe(1);
  });

  it('skips a denied fallback model instead of failing the request', async () => {
    upstream.script('primary-down', { kind: 'error', status: 503 });
    const { status, headers } = await chat({ model: 'keeper/primary-down', providerOptions: { gateway: { models: ['keeper/preview-y', 'private/backup'] } } });
    expect(status).toBe(200);
    expect(headers['x-tollgate-model']).toBe('private/backup');
    expect(upstream.requests.some((seen) => (seen.body as { model?: string }).model === 'preview-y')).toBe(false);
  });
});

describe('data-handling filters', () => {
  it('zeroDataRetention keeps only providers marked so', async () => {
    const { status, headers } = await chat({
      model: 'keeper/any',
      providerOptions: { gateway: { models: ['private/any'], zeroDataRetention: true } },
    });
    expect(status).toBe(200);
    expect(headers['x-tollgate-provider']).toBe('private');
  });

  it('disallowPromptTraining drops providers that train on prompts; none left → 403 that says why', async () => {
    const { status, body } = await chat({ model: 'keeper/any', providerOptions: { gateway: { disallowPromptTraining: true } } });
    expect(status).toBe(403);
    expect(body.error.message).toMatch(/no training on prompts/);
  });
});

describe('rules are checked when the config loads', () => {
  it('rejects a rewrite cycle', () => {
    expect(() =>
      parseConfig({ rules: [{ id: 'a', match: 'x/a', rewrite: 'x/b' }, { id: 'b', match: 'x/b', rewrite: 'x/a' }] }, {}),
    ).toThrow(/rewrite cycle a → b → a/);
  });

  it('rejects a chain longer than ten rules', () => {
    const rules = Array.from({ length: 12 }, (_, index) => ({ id: `r${index}`, match: `x/m${index}`, rewrite: `x/m${index + 1}` }));
    expect(() => parseConfig({ rules }, {})).toThrow(ConfigError);
    expect(() => parseConfig({ rules }, {})).toThrow(/longer than 10/);
  });

  it('rejects a rule that neither rewrites nor denies, and duplicate ids', () => {
    expect(() => parseConfig({ rules: [{ id: 'a', match: 'x/*' }] }, {})).toThrow(/either rewrites or denies/);
    expect(() => parseConfig({ rules: [{ id: 'a', match: 'x/1', deny: true }, { id: 'a', match: 'x/2', deny: true }] }, {})).toThrow(/duplicate rule id/);
  });

  it('accepts a chain of ten', () => {
    const rules = Array.from({ length: 10 }, (_, index) => ({ id: `r${index}`, match: `x/m${index}`, rewrite: `x/m${index + 1}` }));
    expect(parseConfig({ rules }, {}).rules).toHaveLength(10);
  });
});
