/**
 * Upstreams that send more than any answer needs: a body far over its cap (streamed or
 * declared), an event that never ends, a stream that never stops. Each attempt must fail as
 * `upstream_invalid` on every path (the OpenAI passthrough, the AI SDK provider packages,
 * media), and the upstream connection must be closed rather than read to its end. The loopback
 * upstream keeps idle connections open (long keep-alive), so a closed socket means the
 * gateway cut it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, startGateway, type TestGateway } from '../support/gateway.js';

const LIMITS = { maxBodyBytes: 256 * 1024, maxEventBytes: 64 * 1024, maxStreamBytes: 1024 * 1024 };
/** An upstream stops flooding after this much (far past every cap) and ends its answer. */
const FLOOD_BYTES = 8 * 1024 * 1024;
const CHUNK = 'a'.repeat(16 * 1024);

interface Served {
  model: string;
  /** Resolves when the upstream's socket closes (the gateway cut it: idle sockets stay open). */
  closed: Promise<void>;
}

let upstream: Server;
let upstreamUrl: string;
const served: Served[] = [];
const sockets = new Set<Socket>();

/** Resolves once the response can take more, or is gone. */
function drained(res: ServerResponse): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes `head`, then filler until the socket closes or FLOOD_BYTES went out, then `tail`. */
async function flood(res: ServerResponse, head: string, tail: string): Promise<void> {
  let written = 0;
  res.write(head);
  while (written < FLOOD_BYTES && !res.destroyed) {
    written += CHUNK.length;
    if (!res.write(CHUNK)) await drained(res);
  }
  if (!res.destroyed) res.end(tail);
}

const sse = (res: ServerResponse) => res.writeHead(200, { 'content-type': 'text/event-stream' });
const json = (res: ServerResponse, headers: Record<string, string | number> = {}) => res.writeHead(200, { 'content-type': 'application/json', ...headers });

const openaiChunk = (delta: object, finish: string | null = null) =>
  `data: ${JSON.stringify({ id: 'c1', object: 'chat.completion.chunk', created: 1, model: 'm', choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
const anthropicEvent = (type: string, data: object) => `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
const ANTHROPIC_START =
  anthropicEvent('message_start', {
    message: { id: 'msg_1', type: 'message', role: 'assistant', model: 'm', content: [], stop_reason: null, stop_sequence: null, usage: { input_tokens: 5, output_tokens: 1 } },
  }) + anthropicEvent('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
const anthropicText = (text: string) => anthropicEvent('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });

async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
  let raw = '';
  for await (const chunk of req) raw += String(chunk);
  const body = JSON.parse(raw || '{}') as { model?: string };
  const model = body.model ?? '';
  const socket = req.socket;
  served.push({ model, closed: socket.destroyed ? Promise.resolve() : new Promise((resolve) => socket.once('close', () => resolve())) });
  switch (model) {
    case 'huge-json':
      json(res);
      return flood(res, '{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"', '"},"finish_reason":"stop"}]}');
    case 'declared-huge': {
      const text = JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'a'.repeat(LIMITS.maxBodyBytes * 2) }, finish_reason: 'stop' }] });
      json(res, { 'content-length': Buffer.byteLength(text) });
      return void res.end(text);
    }
    case 'huge-error':
      res.writeHead(500, { 'content-type': 'application/json' });
      return flood(res, '{"error":{"message":"', '"}}');
    case 'endless-event-first':
      sse(res);
      return flood(res, `${openaiChunk({ role: 'assistant', content: '' })}data: {"choices":[{"delta":{"content":"`, '"}}]}\n\n');
    case 'endless-event':
      sse(res);
      return flood(res, `${openaiChunk({ role: 'assistant', content: '' })}${openaiChunk({ content: 'Hello' })}data: {"choices":[{"delta":{"content":"`, '"}}]}\n\n');
    case 'endless-stream': {
      sse(res);
      // Small, valid events: no single one is large, the stream is.
      let written = 0;
      res.write(openaiChunk({ role: 'assistant', content: '' }));
      const event = openaiChunk({ content: 'word '.repeat(200) });
      while (written < FLOOD_BYTES && !res.destroyed) {
        written += event.length;
        if (!res.write(event)) await drained(res);
      }
      if (!res.destroyed) res.end(`${openaiChunk({}, 'stop')}data: [DONE]\n\n`);
      return;
    }
    case 'claude-huge-json':
      json(res);
      return flood(res, '{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"', '"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":5,"output_tokens":5}}');
    case 'claude-endless-event-first':
      sse(res);
      return flood(res, `${ANTHROPIC_START}event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"`, '"}}\n\n');
    case 'claude-endless-event':
      sse(res);
      return flood(res, `${ANTHROPIC_START}${anthropicText('Hello')}event: content_block_delta\ndata: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"`, '"}}\n\n');
    case 'huge-speech':
      res.writeHead(200, { 'content-type': 'audio/mpeg' });
      return flood(res, 'ID3', '');
    case 'huge-image':
      json(res);
      return flood(res, '{"created":1,"data":[{"b64_json":"', '"}]}');
    default:
      json(res);
      res.end(JSON.stringify({ id: 'c1', object: 'chat.completion', created: 1, model: 'm', choices: [{ index: 0, message: { role: 'assistant', content: 'fine' }, finish_reason: 'stop' }], usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 } }));
  }
}

let gateway: TestGateway;

beforeAll(async () => {
  upstream = createServer((req, res) => {
    answer(req, res).catch(() => res.destroy());
  });
  // Idle connections stay open for longer than any test: only the gateway closes one.
  upstream.keepAliveTimeout = 600_000;
  upstream.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  upstreamUrl = `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`;
  gateway = await startGateway({
    routing: { responseLimits: LIMITS, circuitBreaker: { failureThreshold: 1_000_000 } },
    providers: {
      up: { kind: 'openai-compatible', baseURL: `${upstreamUrl}/v1`, apiKey: 'up-key', models: { 'endless-event': { pricing: { input: 1, output: 2 } } } },
      claude: { kind: 'anthropic', baseURL: upstreamUrl, apiKey: 'claude-key' },
      media: { kind: 'openai', baseURL: `${upstreamUrl}/v1`, apiKey: 'media-key' },
    },
  });
});
afterAll(async () => {
  await gateway?.close();
  for (const socket of sockets) socket.destroy();
  await new Promise<void>((resolve) => upstream?.close(() => resolve()));
});
beforeEach(() => {
  served.length = 0;
});

async function post(path: string, body: object, headers: Record<string, string> = {}) {
  const response = await fetch(`${gateway.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const text = await response.text();
  return { status: response.status, text, requestId: response.headers.get('x-request-id'), head: text.slice(0, 300) };
}

/** The upstream connection of the one request served was closed by the gateway. */
async function expectCut(model: string): Promise<void> {
  const request = served.find((entry) => entry.model === model);
  expect(request, `the upstream saw a request for ${model}`).toBeDefined();
  await request!.closed;
}

const openaiError = (text: string) => (JSON.parse(text) as { error: { code: string; message: string } }).error;

describe('the OpenAI passthrough', () => {
  const chat = (model: string, stream = false, extra: object = {}) => post('/v1/chat/completions', { model, stream, messages: [{ role: 'user', content: 'hi' }], ...extra });

  it('fails an answer over maxBodyBytes as upstream_invalid, streamed or declared, and cuts the connection', async () => {
    for (const model of ['huge-json', 'declared-huge', 'huge-error']) {
      const { status, text, requestId, head } = await chat(`up/${model}`);
      expect(status, head).toBe(502);
      expect(openaiError(text)).toMatchObject({ code: 'upstream_invalid', message: expect.stringMatching(/routing\.responseLimits\.maxBodyBytes/) });
      await expectCut(model);
      expect(await gateway.ledger.attempts(requestId!)).toMatchObject([{ status: 'error', errorKind: 'upstream_invalid' }]);
    }
  });

  it('falls back to the next model from an oversized answer', async () => {
    const { status, text, head } = await chat('up/huge-json', false, { providerOptions: { gateway: { models: ['up/fine'] } } });
    expect(status, head).toBe(200);
    expect(JSON.parse(text)).toMatchObject({ choices: [{ message: { content: 'fine' } }] });
    await expectCut('huge-json');
  });

  it('fails a stream whose first event never ends before anything reaches the client', async () => {
    const { status, text, head } = await chat('up/endless-event-first', true);
    expect(status, head).toBe(502);
    expect(openaiError(text)).toMatchObject({ code: 'upstream_invalid', message: expect.stringMatching(/maxEventBytes/) });
    await expectCut('endless-event-first');
  });

  it('ends a stream with an in-band upstream_invalid error when an event after the first token never ends, and bills it as cut', async () => {
    const { status, text, requestId } = await chat('up/endless-event', true);
    expect(status).toBe(200);
    expect(text).toContain('"content":"Hello"');
    const events = text.split('\n\n').filter((event) => event.startsWith('data: '));
    const last = JSON.parse(events.at(-1)!.slice('data: '.length)) as { error?: { code: string; message: string } };
    expect(last.error).toMatchObject({ code: 'upstream_invalid', message: expect.stringMatching(/maxEventBytes/) });
    expect(text).not.toContain('[DONE]');
    await expectCut('endless-event');
    const row = await eventually(async () => {
      const found = (await gateway.ledger.requests()).find((candidate) => candidate.id === requestId);
      if (!found) throw new Error('no row yet');
      return found;
    });
    expect(row).toMatchObject({ status: 'error', errorKind: 'upstream_invalid', servedModel: 'up/endless-event' });
    expect(row.usage.output).toBeGreaterThan(0);
    expect(row.costNanos).toBeGreaterThan(0);
  });

  it('ends a stream over maxStreamBytes with an in-band upstream_invalid error', async () => {
    const { status, text } = await chat('up/endless-stream', true);
    expect(status).toBe(200);
    const events = text.split('\n\n').filter((event) => event.startsWith('data: '));
    expect(events.length).toBeGreaterThan(10);
    expect(text.length).toBeLessThan(LIMITS.maxStreamBytes * 2);
    expect(JSON.parse(events.at(-1)!.slice('data: '.length))).toMatchObject({ error: { code: 'upstream_invalid', message: expect.stringMatching(/maxStreamBytes/) } });
    await expectCut('endless-stream');
  });
});

describe('the AI SDK provider packages', () => {
  const messages = (model: string, stream = false) =>
    post('/v1/messages', { model, stream, max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }, { 'anthropic-version': '2023-06-01' });
  const anthropicCode = (text: string) => (JSON.parse(text) as { error: { details: { error_code: string } } }).error.details.error_code;

  it('fails an answer over maxBodyBytes as upstream_invalid and cuts the connection', async () => {
    const { status, text, requestId, head } = await messages('claude/claude-huge-json');
    expect(status, head).toBe(502);
    expect(anthropicCode(text)).toBe('upstream_invalid');
    await expectCut('claude-huge-json');
    expect(await gateway.ledger.attempts(requestId!)).toMatchObject([{ status: 'error', errorKind: 'upstream_invalid' }]);
  });

  it('fails a stream whose first event never ends before anything reaches the client', async () => {
    const { status, text, head } = await messages('claude/claude-endless-event-first', true);
    expect(status, head).toBe(502);
    expect(anthropicCode(text)).toBe('upstream_invalid');
    await expectCut('claude-endless-event-first');
  });

  it('ends a stream with an in-band error when an event after the first token never ends', async () => {
    const { status, text, requestId } = await messages('claude/claude-endless-event', true);
    expect(status).toBe(200);
    expect(text).toContain('"text":"Hello"');
    expect(text).toMatch(/event: error\ndata: .*"error_code":"upstream_invalid"/);
    expect(text).not.toContain('message_stop');
    await expectCut('claude-endless-event');
    const row = await eventually(async () => {
      const found = (await gateway.ledger.requests()).find((candidate) => candidate.id === requestId);
      if (!found) throw new Error('no row yet');
      return found;
    });
    expect(row).toMatchObject({ status: 'error', errorKind: 'upstream_invalid' });
  });
});

describe('media answers', () => {
  it('fails speech audio and generated images over maxBodyBytes as upstream_invalid', async () => {
    const speech = await post('/v1/audio/speech', { model: 'media/huge-speech', input: 'hello', voice: 'alloy' });
    expect(speech.status, speech.head).toBe(502);
    expect(openaiError(speech.text).code).toBe('upstream_invalid');
    await expectCut('huge-speech');
    const image = await post('/v1/images/generations', { model: 'media/huge-image', prompt: 'a cat' });
    expect(image.status, image.head).toBe(502);
    expect(openaiError(image.text).code).toBe('upstream_invalid');
    await expectCut('huge-image');
  });
});
