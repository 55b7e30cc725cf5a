/**
 * The user and tags a request names go on every ledger row and into every report grouped by
 * them. In a body they are held to the limits of the `ai-reporting-*` headers (at most 10 tags
 * of 1–64 characters, a user of at most 256) on every face: past them the request is a 400 in
 * the face's own shape, naming the field, and nothing is recorded.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatewayOptions } from '../../src/core/types.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { ANTHROPIC_VERSION } from './support.js';

let gateway: TestGateway;

beforeAll(async () => {
  gateway = await startGateway({});
});
afterAll(async () => {
  await gateway?.close();
});

const LONG_USER = 'u'.repeat(257);
const ELEVEN_TAGS = Array.from({ length: 11 }, (_, index) => `tag-${index}`);
const LONG_TAG = 't'.repeat(65);
/** The attack as reported: a body that is almost nothing but tags. */
const FLOOD_OF_TAGS = Array.from({ length: 200_000 }, (_, index) => `t${index}`);

const gatewayOptions = (options: object) => ({ providerOptions: { gateway: options } });
const chatBody = { model: 'mock/echo', messages: [{ role: 'user', content: 'hi' }] };
const anthropicBody = { model: 'mock/echo', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] };
const aisdkHeaders = { 'ai-language-model-id': 'mock/echo', 'ai-language-model-specification-version': '3' };
const aisdkBody = { prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] };

type Shape = 'openai' | 'anthropic' | 'aisdk';
interface Case {
  name: string;
  path: string;
  shape: Shape;
  body: object;
  headers?: Record<string, string>;
  /** The field the error must name. */
  param: string;
}

const cases: Case[] = [
  { name: 'OpenAI chat `user`', path: '/v1/chat/completions', shape: 'openai', body: { ...chatBody, user: LONG_USER }, param: 'user' },
  { name: 'OpenAI chat gateway user', path: '/v1/chat/completions', shape: 'openai', body: { ...chatBody, ...gatewayOptions({ user: LONG_USER }) }, param: 'providerOptions.gateway.user' },
  { name: 'OpenAI chat gateway tags (count)', path: '/v1/chat/completions', shape: 'openai', body: { ...chatBody, ...gatewayOptions({ tags: ELEVEN_TAGS }) }, param: 'providerOptions.gateway.tags' },
  { name: 'OpenAI chat gateway tags (flood)', path: '/v1/chat/completions', shape: 'openai', body: { ...chatBody, stream: true, ...gatewayOptions({ tags: FLOOD_OF_TAGS }) }, param: 'providerOptions.gateway.tags' },
  { name: 'OpenAI chat gateway tag (length)', path: '/v1/chat/completions', shape: 'openai', body: { ...chatBody, ...gatewayOptions({ tags: ['ok', LONG_TAG] }) }, param: 'providerOptions.gateway.tags[1]' },
  { name: 'OpenAI chat gateway tag (empty)', path: '/v1/chat/completions', shape: 'openai', body: { ...chatBody, ...gatewayOptions({ tags: [''] }) }, param: 'providerOptions.gateway.tags[0]' },
  { name: 'embeddings `user`', path: '/v1/embeddings', shape: 'openai', body: { model: 'mock/embed', input: 'a', user: LONG_USER }, param: 'user' },
  { name: 'embeddings gateway tags', path: '/v1/embeddings', shape: 'openai', body: { model: 'mock/embed', input: 'a', ...gatewayOptions({ tags: ELEVEN_TAGS }) }, param: 'providerOptions.gateway.tags' },
  { name: 'images `user`', path: '/v1/images/generations', shape: 'openai', body: { model: 'mock/image', prompt: 'a cat', user: LONG_USER }, param: 'user' },
  { name: 'speech `user`', path: '/v1/audio/speech', shape: 'openai', body: { model: 'mock/speak', input: 'hi', voice: 'alloy', user: LONG_USER }, param: 'user' },
  { name: 'rerank `user`', path: '/v1/rerank', shape: 'openai', body: { model: 'mock/rerank', query: 'q', documents: ['a'], user: LONG_USER }, param: 'user' },
  { name: 'Responses `user`', path: '/v1/responses', shape: 'openai', body: { model: 'mock/echo', input: 'hi', user: LONG_USER }, param: 'user' },
  { name: 'Responses `safety_identifier`', path: '/v1/responses', shape: 'openai', body: { model: 'mock/echo', input: 'hi', safety_identifier: LONG_USER }, param: 'safety_identifier' },
  { name: 'Responses gateway tags', path: '/v1/responses', shape: 'openai', body: { model: 'mock/echo', input: 'hi', ...gatewayOptions({ tags: ELEVEN_TAGS }) }, param: 'providerOptions.gateway.tags' },
  { name: 'Anthropic `metadata.user_id`', path: '/v1/messages', shape: 'anthropic', headers: ANTHROPIC_VERSION, body: { ...anthropicBody, metadata: { user_id: LONG_USER } }, param: 'metadata.user_id' },
  { name: 'Anthropic gateway tags', path: '/v1/messages', shape: 'anthropic', headers: ANTHROPIC_VERSION, body: { ...anthropicBody, ...gatewayOptions({ tags: ELEVEN_TAGS }) }, param: 'providerOptions.gateway.tags' },
  { name: 'AI SDK gateway user', path: '/v3/ai/language-model', shape: 'aisdk', headers: aisdkHeaders, body: { ...aisdkBody, ...gatewayOptions({ user: LONG_USER }) }, param: 'providerOptions.gateway.user' },
  { name: 'AI SDK gateway tags', path: '/v3/ai/language-model', shape: 'aisdk', headers: aisdkHeaders, body: { ...aisdkBody, ...gatewayOptions({ tags: FLOOD_OF_TAGS }) }, param: 'providerOptions.gateway.tags' },
];

async function post(path: string, body: object, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, text };
}

/** The error's `param` and message, read from the face's own shape. */
function errorOf(shape: Shape, text: string): { param: unknown; message: string; kind: unknown } {
  const body = JSON.parse(text) as { error: { message: string; param?: unknown; code?: unknown; details?: { param?: unknown; error_code?: unknown } } };
  if (shape === 'anthropic') return { param: body.error.details?.param, message: body.error.message, kind: body.error.details?.error_code };
  return { param: body.error.param, message: body.error.message, kind: body.error.code };
}

describe('a user or tags past the limits in a request body', () => {
  it.each(cases)('$name: 400 naming the field, nothing recorded', async ({ path, shape, body, headers, param }) => {
    const before = (await gateway.ledger.requests()).length;
    const { status, text } = await post(path, body, headers);
    expect(status, text.slice(0, 300)).toBe(400);
    const error = errorOf(shape, text);
    expect(error).toMatchObject({ param, kind: 'invalid_request' });
    expect(error.message).toMatch(/at most 256 characters|at most 10 tags|1 to 64 characters/);
    expect(error.message).toContain(param);
    expect((await gateway.ledger.requests()).length).toBe(before);
  });

  it('is refused by the core too, for a request that reaches it by another way than a face', async () => {
    const core = gateway.server.gateway;
    const call = { prompt: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hi' }] }] };
    const refused: Array<[GatewayOptions, string]> = [
      [{ tags: ELEVEN_TAGS }, 'tags'],
      [{ tags: [LONG_TAG] }, 'tags'],
      [{ user: LONG_USER }, 'user'],
    ];
    for (const [options, param] of refused) {
      const refusal = await core.chat({ model: 'mock/echo', call, gateway: options }, { face: 'mcp' }).then(
        () => undefined,
        (error: unknown) => error,
      );
      expect(refusal).toMatchObject({ kind: 'invalid_request', details: { param } });
    }
  });

  it('accepts a user and tags right at the limits, and records them', async () => {
    const user = 'u'.repeat(256);
    const tags = Array.from({ length: 10 }, (_, index) => `${index}`.padEnd(64, 'x'));
    const { status, text } = await post('/v1/chat/completions', { ...chatBody, user, ...gatewayOptions({ tags }) });
    expect(status, text).toBe(200);
    const row = (await gateway.ledger.requests()).at(-1)!;
    expect(row.user).toBe(user);
    expect(row.tags).toEqual(tags);
  });
});
