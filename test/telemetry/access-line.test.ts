/**
 * The access line of a request without an error is built by hand rather than by pino's
 * serialiser: it must be the line pino writes for the same request, field for field (strings
 * needing escapes and non-ASCII ones too), and carry no secret.
 */
import { Writable } from 'node:stream';
import OpenAI from 'openai';
import pino, { type Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AccessLog } from '../../src/telemetry/access-log.js';
import { jsonLines } from '../../src/logger.js';
import { eventually, fallbackTo, startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

const ADMIN_KEY = 'admin-secret-key-0451';
const UPSTREAM_KEY = 'upstream-secret-key-7788';

/** Every line written, as written. */
function lineSink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString('utf8'));
      done();
    },
  });
  return { stream, lines };
}

const REDACT = { paths: ['apiKey', '*.apiKey', 'authorization', '*.authorization', 'headers', '*.headers', 'config.providers'], censor: '[redacted]' };
const built = lineSink();
const byPino = lineSink();
let upstream: StartedUpstream;
let gateway: TestGateway;
let virtualKey: string;

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway(
    {
      providers: {
        up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: UPSTREAM_KEY, timeoutMs: 30_000, models: { 'm-1': { pricing: { input: 1, output: 2 } } } },
        alt: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: UPSTREAM_KEY, timeoutMs: 30_000, models: { 'm-2': { pricing: { input: 1, output: 2 } } } },
      },
      routing: { retries: 0 },
    },
    { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY }, logger: pino({ level: 'info', redact: REDACT }, built.stream) },
  );
  // The same requests through pino's own serialiser: a stream-write hook makes its lines not plain.
  const reference = pino({ level: 'info', redact: REDACT, hooks: { streamWrite: (line: string) => line } }, byPino.stream);
  expect(jsonLines(reference)).toBeNull();
  gateway.server.app.hooks.subscribe(new AccessLog(reference));
  const created = await fetch(`${gateway.url}/v1/admin/keys`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'team "a" \\ ü 名前', allowUserOverride: true }),
  });
  expect(created.status).toBe(201);
  virtualKey = ((await created.json()) as { key: string }).key;
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

const requestLines = (lines: string[]) =>
  new Map(
    lines
      .flatMap((chunk) => chunk.split('\n').filter(Boolean))
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((line) => line.msg === 'request')
      .map((line) => [line.requestId as string, line]),
  );

const USERS = [
  'plain-user',
  'quote " backslash \\ slash / tab \t newline \n nul \u0000 bell \u0007',
  'ünïcödé 中文 🚀 \u2028 \u2029 \u007f é',
  `long ${'x'.repeat(80)} "quoted" ${'é'.repeat(20)}`,
  'lone surrogate \ud800 end',
];

describe('the access line built by hand', () => {
  it('is the line pino writes for the same request, and holds no secret', async () => {
    const client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: virtualKey, maxRetries: 0 });
    for (const user of USERS) {
      await client.chat.completions.create({ model: 'up/m-1', messages: [{ role: 'user', content: 'hello' }], user });
    }
    const stream = await client.chat.completions.create({ model: 'up/m-1', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } });
    for await (const _chunk of stream);
    upstream.script('m-1', { kind: 'error', status: 503 });
    await client.chat.completions.create({ model: 'up/m-1', messages: [{ role: 'user', content: 'falls back' }], ...fallbackTo(['alt/m-2']) } as OpenAI.ChatCompletionCreateParamsNonStreaming);
    await expect(client.chat.completions.create({ model: 'nowhere/made-up', messages: [{ role: 'user', content: 'no such model' }] })).rejects.toMatchObject({ status: 404 });
    const requests = USERS.length + 3;

    const [fast, reference] = await eventually(() => {
      const pair = [requestLines(built.lines), requestLines(byPino.lines)] as const;
      expect(pair[0].size).toBe(requests);
      expect(pair[1].size).toBe(requests);
      return pair;
    });
    for (const [requestId, line] of fast) {
      const { time, ...rest } = line;
      const { time: referenceTime, ...referenceRest } = reference.get(requestId)!;
      expect(typeof time).toBe('number');
      expect(typeof referenceTime).toBe('number');
      // pino writes a lone surrogate as it is, which a UTF-8 stream turns into U+FFFD; the hand-built line escapes it.
      if (typeof rest.user === 'string' && rest.user.includes('lone')) {
        expect(rest.user).toBe(USERS[4]);
        expect(referenceRest.user).toBe('lone surrogate \ufffd end');
        referenceRest.user = rest.user;
      }
      expect(rest).toEqual(referenceRest);
    }
    const users = [...fast.values()].map((line) => line.user);
    for (const user of USERS) expect(users).toContain(user);
    expect([...fast.values()].map((line) => line.key)).toContain('team "a" \\ ü 名前');
    const fallback = [...fast.values()].find((line) => line.servedModel === 'alt/m-2')!;
    expect(fallback.attempts).toEqual([
      { model: 'up/m-1', status: 'error', errorKind: 'upstream_overloaded', latencyMs: expect.any(Number) },
      { model: 'alt/m-2', status: 'ok', latencyMs: expect.any(Number) },
    ]);
    expect([...fast.values()].find((line) => line.model === 'nowhere/made-up')).toMatchObject({ status: 'error', errorKind: 'model_not_found', servedModel: null, provider: null });
    expect([...fast.values()].find((line) => line.stream === true)!.ttftMs).toEqual(expect.any(Number));

    const written = built.lines.join('');
    for (const secret of [ADMIN_KEY, UPSTREAM_KEY, virtualKey]) expect(written).not.toContain(secret);
    // One whole line per write, each ending the way pino ends them.
    for (const chunk of built.lines) expect(chunk.endsWith('\n')).toBe(true);
  });

  it('is built only where pino would write a plain JSON line', () => {
    const { stream } = lineSink();
    const plain: Logger = pino({ level: 'info' }, stream);
    expect(jsonLines(plain)).not.toBeNull();
    expect(jsonLines(plain.child({ component: 'x' }))).not.toBeNull();
    expect(jsonLines(pino({ mixin: () => ({ extra: 1 }) }, stream))).toBeNull();
    expect(jsonLines(pino({ formatters: { log: (object) => object } }, stream))).toBeNull();
    expect(jsonLines(pino({ nestedKey: 'payload' }, stream))).toBeNull();
    expect(jsonLines(pino({ serializers: { user: () => 'hidden' } }, stream))).toBeNull();
    expect(jsonLines(pino({ redact: ['user'] }, stream))).toBeNull();
    expect(jsonLines(pino({ hooks: { logMethod: (args, method) => method.apply(plain, args) } }, stream))).toBeNull();
    expect(jsonLines(pino({}, pino.multistream([{ stream }])))).toBeNull();
    expect(jsonLines(plain.child({}, { msgPrefix: '[x] ' }))).toBeNull();
  });

  it('starts with the level, time and bindings pino writes, and ends with its message', () => {
    const { stream, lines } = lineSink();
    const logger = pino({ level: 'info', base: { service: 'tollgate' } }, stream).child({ part: 'log "x"' });
    const out = jsonLines(logger)!;
    out.write(`${out.start(30)},"n":1${out.end('request')}`);
    logger.info({ n: 1 }, 'request');
    const [hand, real] = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(Object.keys(hand!)).toEqual(Object.keys(real!));
    expect({ ...hand, time: 0 }).toEqual({ ...real, time: 0 });
  });
});
