/**
 * An upstream that quotes a provider key in its error message, at every position around the
 * point where Tollgate cuts upstream messages short. No piece of the key may reach a client
 * (every face's HTTP body, the MCP tool result), the log or the ledger's attempt rows: secrets
 * are redacted before a message is cut, and token-shaped credentials Tollgate was never given
 * (a `sk-ant-…` key, a bearer token) go too, also when only their start survives the cut.
 */
import { Writable } from 'node:stream';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

/** Configured keys with no recognisable shape: only the configured-secret rule can catch them. */
const UP_KEY = 'up0c4f5d9e2b7a1c3e8f6d0b9a7c5e3f1d2b4a6c8e';
const CLAUDE_KEY = 'cl9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b3a2f1e0d';
/** Credentials the gateway was never given, quoted by an upstream. */
const FOREIGN_ANTHROPIC = 'sk-ant-api03-Zq8Rk2Lw5Nx7Vb3Mc9Pd4Tf6Gh1Jy0Ks2Lu8Wa4Xe7Qo';
const FOREIGN_BEARER = 'Bearer eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ2aWN0aW0ifQ.c2lnbmF0dXJlcGFydA';
const FOREIGN_TG = 'tg_Hq3Wn8Zr5Xt2Yv7Bm4Kc9Ls1Pd6Fg0Jh3Ne8Ra5Tu';

/**
 * A message that quotes `secret` again and again, one character apart, starting at `phase`:
 * wherever a cut falls within the first 1,000 characters it lands inside a copy, unless it
 * falls on a separator. Two phases 20 apart leave at least 10 characters of a cut copy in one
 * of them.
 */
function echoing(secret: string, phase: number): string {
  let text = '.'.repeat(phase);
  while (text.length < 1_000) text += `${secret} `;
  return `invalid credentials: ${text}`;
}

/** Any 10 consecutive characters of the secret (its prefix included). */
function fragmentsOf(secret: string, length = 10): string[] {
  const fragments: string[] = [];
  for (let start = 0; start + length <= secret.length; start++) fragments.push(secret.slice(start, start + length));
  return fragments;
}

function expectNoFragment(where: string, text: string, secret: string): void {
  const leaked = fragmentsOf(secret).find((fragment) => text.includes(fragment));
  expect(leaked, `${where} leaks part of a secret`).toBeUndefined();
}

let upstream: StartedUpstream;
let gateway: TestGateway;
const logLines: string[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
  const logs = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logLines.push(chunk.toString('utf8'));
      done();
    },
  });
  gateway = await startGateway(
    {
      // Every request here fails upstream; no candidate may be paused for it.
      routing: { circuitBreaker: { failureThreshold: 1_000_000 } },
      providers: {
        up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: UP_KEY },
        claude: { kind: 'anthropic', baseURL: upstream.url, apiKey: CLAUDE_KEY },
      },
    },
    { logger: pino({ level: 'debug' }, logs) },
  );
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

/** One request per face and mode, raw, so the test reads the exact bytes the client gets. */
async function askEveryFace(model: string): Promise<string[]> {
  const post = async (path: string, body: unknown, headers: Record<string, string> = {}) => {
    const response = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const text = await response.text();
    expect(response.status, `${path} ${text}`).toBeGreaterThanOrEqual(400);
    return `${JSON.stringify([...response.headers])}\n${text}`;
  };
  const bodies: string[] = [];
  for (const stream of [false, true]) {
    bodies.push(await post('/v1/chat/completions', { model, stream, messages: [{ role: 'user', content: 'hi' }] }));
    bodies.push(await post('/v1/messages', { model, stream, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' }));
    bodies.push(await post('/v1/responses', { model, stream, input: 'hi' }));
    bodies.push(
      await post('/v3/ai/language-model', { prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi' }] }] }, {
        'ai-language-model-id': model,
        'ai-language-model-specification-version': '3',
        ...(stream ? { 'ai-language-model-streaming': 'true' } : {}),
      }),
    );
  }
  const client = new Client({ name: 'leak-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url)));
  try {
    const result = await client.callTool({ name: 'chat', arguments: { model, prompt: 'hi' } });
    expect(result.isError).toBe(true);
    bodies.push(JSON.stringify(result));
  } finally {
    await client.close();
  }
  return bodies;
}

describe('an upstream error message that quotes a key around the cut', () => {
  const cases = [
    { name: 'the configured key of an OpenAI-compatible provider (passed through)', model: 'up/leaky', secret: UP_KEY, family: 'openai' },
    { name: 'the configured key of an Anthropic provider (translated)', model: 'claude/leaky', secret: CLAUDE_KEY, family: 'anthropic' },
    { name: 'an Anthropic-shaped key that was never configured', model: 'up/leaky', secret: FOREIGN_ANTHROPIC, family: 'openai' },
    { name: 'a bearer token', model: 'claude/leaky', secret: FOREIGN_BEARER, family: 'anthropic' },
    { name: 'a virtual key', model: 'up/leaky', secret: FOREIGN_TG, family: 'openai' },
  ] as const;

  it.each(cases)('never shows any part of $name', async ({ model, secret, family }) => {
    const outputs: string[] = [];
    const before = (await gateway.ledger.attempts()).length;
    for (const phase of [0, 20]) {
      const message = echoing(secret, phase);
      const body = family === 'openai' ? { error: { message, type: 'server_error', param: null, code: null } } : { type: 'error', error: { type: 'api_error', message } };
      upstream.script('leaky', { kind: 'error', status: 500, body });
      outputs.push(...(await askEveryFace(model)));
    }
    const attempts = (await gateway.ledger.attempts()).slice(before);
    expect(attempts.length).toBeGreaterThanOrEqual(18);
    for (const attempt of attempts) {
      expect(attempt).toMatchObject({ status: 'error', errorKind: 'upstream_server_error' });
      // The message itself is kept, only the secret goes.
      expect(attempt.errorMessage).toMatch(/invalid credentials: .*\[redacted\]/);
      outputs.push(attempt.errorMessage ?? '');
    }
    // A 502 is logged with its message.
    expect(logLines.some((line) => line.includes('invalid credentials'))).toBe(true);
    outputs.push(...logLines);
    const bare = secret.startsWith('Bearer ') ? secret.slice('Bearer '.length) : secret;
    for (const [index, output] of outputs.entries()) expectNoFragment(`output ${index}`, output, bare);
  });

  it('keeps a message that quotes no secret whole up to the cut, and marks the cut', async () => {
    upstream.script('plain', { kind: 'error', status: 400, body: { error: { message: `bad request: ${'word '.repeat(200)}`, type: 'invalid_request_error', param: null, code: null } } });
    const response = await fetch(`${gateway.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ model: 'up/plain', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(response.status).toBe(400);
    const { error } = (await response.json()) as { error: { message: string } };
    expect(error.message).toMatch(/^provider up answered 400: bad request: (word )+/);
    expect(error.message.endsWith('…')).toBe(true);
    expect(error.message.length).toBeLessThanOrEqual(401);
  });
});
