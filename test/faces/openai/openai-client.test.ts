/**
 * The official `openai` client, unmodified, against the face's translation modules: its
 * requests must parse and convert, and it must read what the renderers write. A fetch stub
 * stands in for the HTTP handler (the lead's), so only translation is under test here.
 */
import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import OpenAI from 'openai';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import type { ChatRequest, ChatResult, EmbedRequest } from '../../../src/core/types.js';
import { parseChatCompletionRequest } from '../../../src/faces/openai/chat-api.js';
import { convertChatRequest, type ConvertedChatRequest } from '../../../src/faces/openai/convert-chat-request.js';
import { convertEmbeddingsRequest, renderEmbeddings } from '../../../src/faces/openai/convert-embeddings.js';
import { parseEmbeddingsRequest } from '../../../src/faces/openai/embeddings-api.js';
import { SSE_DONE, createChatChunkRenderer, formatSseData } from '../../../src/faces/openai/render-chat-chunks.js';
import { renderChatCompletion } from '../../../src/faces/openai/render-chat-completion.js';
import { renderError } from '../../../src/faces/openai/render-error.js';
import { accounting, chatResult } from './fixtures.js';

interface Stub {
  chat?: (converted: ConvertedChatRequest) => ChatResult | LanguageModelV3StreamPart[];
  embed?: (request: EmbedRequest) => number[][];
}

/** A client whose fetch runs the face's modules in-process, plus the requests it saw. */
function clientFor(stub: Stub) {
  const seen: ChatRequest[] = [];
  const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json', ...headers } });

  const fetch = async (url: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const path = new URL(String(url)).pathname;
    try {
      const body: unknown = JSON.parse(String(init?.body));
      if (path === '/v1/chat/completions') {
        const converted = convertChatRequest(parseChatCompletionRequest(body));
        seen.push(converted.request);
        const answer = stub.chat!(converted);
        if (!Array.isArray(answer)) return json(200, renderChatCompletion(answer));
        const renderer = createChatChunkRenderer({ requestId: 'req_s', servedModel: 'openai/gpt-4o-mini', provider: 'openai' });
        let text = renderer.start().map(formatSseData).join('');
        for (const part of answer) text += renderer.part(part).map(formatSseData).join('');
        text += renderer.flush().map(formatSseData).join('');
        if (!renderer.failed) {
          if (converted.includeUsage) text += formatSseData(renderer.usage(accounting({ requestId: 'req_s' })));
          text += SSE_DONE;
        }
        return new Response(text, { status: 200, headers: { 'content-type': 'text/event-stream' } });
      }
      if (path === '/v1/embeddings') {
        const converted = convertEmbeddingsRequest(parseEmbeddingsRequest(body));
        const embeddings = stub.embed!(converted.request);
        return json(200, renderEmbeddings({ ...accounting(), embeddings }, converted.encodingFormat));
      }
      throw new GatewayError('not_found', `No route ${path}`);
    } catch (error) {
      const rendered = renderError(error);
      return json(rendered.status, rendered.body, rendered.headers);
    }
  };

  const client = new OpenAI({ apiKey: 'tg-test', baseURL: 'http://tollgate.test/v1', fetch, maxRetries: 0 });
  return { client, seen };
}

describe('the official openai client', () => {
  it('sends a request the face converts and reads the completion back', async () => {
    const { client, seen } = clientFor({ chat: () => chatResult() });
    const completion = await client.chat.completions.create({
      model: 'openai/gpt-4.1',
      messages: [
        { role: 'developer', content: 'You are a helpful assistant.' },
        { role: 'user', content: 'Hello!' },
      ],
      temperature: 0.5,
    });
    expect(completion.choices[0]?.message.content).toBe('Hello! How can I assist you today?');
    expect(completion.usage?.total_tokens).toBe(29);
    expect(seen[0]?.call.prompt[0]).toEqual({ role: 'system', content: 'You are a helpful assistant.' });
    expect(seen[0]?.call.temperature).toBe(0.5);
  });

  it('accumulates streamed tool calls with its stream helper', async () => {
    const { client } = clientFor({
      chat: () => [
        { type: 'tool-input-start', id: 'call_1', toolName: 'get_weather' },
        { type: 'tool-input-delta', id: 'call_1', delta: '{"location":' },
        { type: 'tool-input-delta', id: 'call_1', delta: '"Boston"}' },
        { type: 'tool-call', toolCallId: 'call_1', toolName: 'get_weather', input: '{"location":"Boston"}' },
        { type: 'tool-call', toolCallId: 'call_2', toolName: 'get_time', input: '{}' },
        {
          type: 'finish',
          finishReason: { unified: 'tool-calls', raw: 'tool_calls' },
          usage: {
            inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
            outputTokens: { total: 1, text: 1, reasoning: 0 },
          },
        },
      ],
    });
    const stream = client.chat.completions.stream({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Weather and time in Boston?' }],
      tools: [
        { type: 'function', function: { name: 'get_weather', parameters: { type: 'object', properties: { location: { type: 'string' } } } } },
        { type: 'function', function: { name: 'get_time' } },
      ],
      stream_options: { include_usage: true },
    });
    const final = await stream.finalChatCompletion();
    expect(final.choices[0]?.finish_reason).toBe('tool_calls');
    expect(final.choices[0]?.message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"location":"Boston"}' } },
      { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{}' } },
    ]);
    expect(final.usage?.total_tokens).toBe(29);
  });

  it('streams text deltas and ends cleanly', async () => {
    const { client } = clientFor({
      chat: () => [
        { type: 'text-delta', id: 't', delta: 'Hel' },
        { type: 'text-delta', id: 't', delta: 'lo' },
        {
          type: 'finish',
          finishReason: { unified: 'stop', raw: 'stop' },
          usage: {
            inputTokens: { total: 1, noCache: 1, cacheRead: 0, cacheWrite: 0 },
            outputTokens: { total: 1, text: 1, reasoning: 0 },
          },
        },
      ],
    });
    const stream = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    let text = '';
    for await (const chunk of stream) text += chunk.choices[0]?.delta.content ?? '';
    expect(text).toBe('Hello');
  });

  it('raises an in-band stream error as an APIError', async () => {
    const { client } = clientFor({
      chat: () => [
        { type: 'text-delta', id: 't', delta: 'Partial' },
        { type: 'error', error: new GatewayError('stream_interrupted', 'The upstream closed the stream early.') },
      ],
    });
    const stream = await client.chat.completions.create({
      model: 'openai/gpt-4o-mini',
      messages: [{ role: 'user', content: 'Hi' }],
      stream: true,
    });
    const consume = async () => {
      for await (const _chunk of stream) {
        // drain
      }
    };
    await expect(consume()).rejects.toMatchObject({
      message: expect.stringContaining('The upstream closed the stream early.'),
      code: 'stream_interrupted',
    });
  });

  it('raises a rejected request as a BadRequestError with param and code', async () => {
    const { client } = clientFor({ chat: () => chatResult() });
    const error = await client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }], n: 2 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.BadRequestError);
    expect(error).toMatchObject({ status: 400, param: 'n', code: 'invalid_request', type: 'invalid_request_error' });
  });

  it('raises a rate limit as a RateLimitError carrying retry-after', async () => {
    const { client } = clientFor({
      chat: () => {
        throw new GatewayError('upstream_rate_limited', 'Every candidate is rate limited.', { retryAfterSeconds: 3 });
      },
    });
    const error = await client.chat.completions
      .create({ model: 'openai/gpt-4o-mini', messages: [{ role: 'user', content: 'Hi' }] })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).headers.get('retry-after')).toBe('3');
  });

  it('decodes base64 embeddings, which it requests by default', async () => {
    const { client } = clientFor({ embed: (request) => request.values.map((_, i) => [i + 0.5, -1, 0.25]) });
    const response = await client.embeddings.create({ model: 'openai/text-embedding-3-small', input: ['a', 'b'] });
    expect(response.data.map((d) => d.embedding)).toEqual([
      [0.5, -1, 0.25],
      [1.5, -1, 0.25],
    ]);
  });

  it('reads float embeddings when asked for them', async () => {
    const { client } = clientFor({ embed: () => [[0.1, 0.2]] });
    const response = await client.embeddings.create({
      model: 'openai/text-embedding-3-small',
      input: 'a',
      encoding_format: 'float',
    });
    expect(response.data[0]?.embedding).toEqual([0.1, 0.2]);
  });
});
