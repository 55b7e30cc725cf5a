import Anthropic from '@anthropic-ai/sdk';
import { createAnthropic } from '@ai-sdk/anthropic';
import { createCohere } from '@ai-sdk/cohere';
import { createGoogleGenerativeAI } from '@ai-sdk/google';
import { createOpenAI } from '@ai-sdk/openai';
import type { LanguageModelV3, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import OpenAI from 'openai';
import { request } from 'undici';
import { crc32, inflateSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startUpstream, type StartedUpstream } from './index.js';

let upstream: StartedUpstream;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  upstream = await startUpstream();
  openai = new OpenAI({ apiKey: 'sk-test', baseURL: `${upstream.url}/v1`, maxRetries: 0 });
  anthropic = new Anthropic({ apiKey: 'sk-ant-test', baseURL: upstream.url, maxRetries: 0 });
});
afterAll(async () => upstream.close());
beforeEach(() => upstream.reset());

const WEATHER_TOOL = {
  type: 'function' as const,
  function: { name: 'get_weather', parameters: { type: 'object', properties: { city: { type: 'string' } } } },
};

/** POST JSON and read the raw body as it arrives, keeping what came before a broken socket. */
async function post(path: string, body: unknown, headers: Record<string, string> = { authorization: 'Bearer k' }) {
  const started = Date.now();
  const res = await request(`${upstream.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  const pieces: { at: number; text: string }[] = [];
  let failure: unknown;
  try {
    for await (const chunk of res.body) pieces.push({ at: Date.now() - started, text: (chunk as Buffer).toString('utf8') });
  } catch (error) {
    failure = error;
  }
  const text = pieces.map((p) => p.text).join('');
  return { status: res.statusCode, headers: res.headers, text, pieces, failure, started };
}

function sseData(text: string, separator = '\n\n'): string[] {
  return text
    .split(separator)
    .filter((block) => block.trim().length > 0)
    .map((block) => block.split(/\r?\n/).find((line) => line.startsWith('data: '))?.slice(6) ?? '');
}

const chatBody = (content: string, extra: Record<string, unknown> = {}) => ({
  model: 'gpt-4o-mini',
  messages: [{ role: 'user' as const, content }],
  ...extra,
});

describe('OpenAI chat completions, driven by the official openai client', () => {
  it('answers Echo with usage counted as documented', async () => {
    const completion = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hello there' },
      ],
    });
    expect(completion.object).toBe('chat.completion');
    expect(completion.choices[0]?.message.content).toBe('Echo: hello there');
    expect(completion.choices[0]?.finish_reason).toBe('stop');
    // input: 4 words + 3; output: 3 words
    expect(completion.usage).toMatchObject({
      prompt_tokens: 7,
      completion_tokens: 3,
      total_tokens: 10,
      prompt_tokens_details: { cached_tokens: 0 },
      completion_tokens_details: { reasoning_tokens: 0 },
    });
    expect(upstream.requests[0]).toMatchObject({ method: 'POST', path: '/v1/chat/completions', model: 'gpt-4o-mini' });
    expect(upstream.requests[0]?.headers.authorization).toBe('Bearer sk-test');
  });

  it('streams chunks word by word and ends with a usage chunk with empty choices, then [DONE]', async () => {
    const stream = await openai.chat.completions.create({
      ...chatBody('say three words'),
      stream: true,
      stream_options: { include_usage: true },
    } as OpenAI.ChatCompletionCreateParamsStreaming);
    const chunks: OpenAI.ChatCompletionChunk[] = [];
    for await (const chunk of stream) chunks.push(chunk);

    expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
    const text = chunks.map((c) => c.choices[0]?.delta.content ?? '').join('');
    expect(text).toBe('Echo: say three words');
    expect(chunks.filter((c) => c.choices[0]?.delta.content).length).toBe(4);
    expect(chunks.at(-2)?.choices[0]?.finish_reason).toBe('stop');
    const last = chunks.at(-1);
    expect(last?.choices).toEqual([]);
    expect(last?.usage).toMatchObject({ prompt_tokens: 6, completion_tokens: 4, prompt_tokens_details: { cached_tokens: 0 } });
    for (const chunk of chunks.slice(0, -1)) expect(chunk.usage).toBeNull();
    expect(new Set(chunks.map((c) => c.id)).size).toBe(1);
  });

  it('sends data: [DONE] last and no usage chunk unless asked', async () => {
    const { text, headers } = await post('/v1/chat/completions', chatBody('hi', { stream: true }));
    expect(headers['content-type']).toMatch(/^text\/event-stream/);
    const data = sseData(text);
    expect(data.at(-1)).toBe('[DONE]');
    const chunks = data.slice(0, -1).map((d) => JSON.parse(d) as { object: string; usage?: unknown; choices: unknown[] });
    expect(chunks.every((c) => c.object === 'chat.completion.chunk' && c.choices.length === 1 && !('usage' in c))).toBe(true);
  });

  it('calls the first tool when the user mentions a tool, streamed as indexed deltas', async () => {
    const plain = await openai.chat.completions.create({ ...chatBody('use the tool please'), tools: [WEATHER_TOOL] });
    expect(plain.choices[0]?.finish_reason).toBe('tool_calls');
    expect(plain.choices[0]?.message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
    ]);

    const stream = await openai.chat.completions.create({ ...chatBody('use the tool'), tools: [WEATHER_TOOL], stream: true });
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    let finish: string | null | undefined;
    for await (const chunk of stream) {
      deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
      finish = chunk.choices[0]?.finish_reason ?? finish;
    }
    expect(deltas[0]).toMatchObject({ index: 0, id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '' } });
    expect(deltas.length).toBeGreaterThan(2);
    expect(deltas.every((d) => d.index === 0)).toBe(true);
    expect(deltas.map((d) => d.function?.arguments ?? '').join('')).toBe('{"city":"Paris"}');
    expect(finish).toBe('tool_calls');
  });

  it('does not call a tool when the word tool is absent, and answers a tool result', async () => {
    const noTool = await openai.chat.completions.create({ ...chatBody('weather please'), tools: [WEATHER_TOOL] });
    expect(noTool.choices[0]?.message.content).toBe('Echo: weather please');

    const afterTool = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'use the tool' },
        { role: 'assistant', content: null, tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }] },
        { role: 'tool', tool_call_id: 'call_1', content: '18C and sunny' },
      ],
    });
    expect(afterTool.choices[0]?.message.content).toBe('Tool said: 18C and sunny');
  });

  it('rejects a missing key with OpenAI 401 shape', async () => {
    const { status, text } = await post('/v1/chat/completions', chatBody('hi'), {});
    expect(status).toBe(401);
    expect(JSON.parse(text)).toMatchObject({ error: { type: 'invalid_request_error', param: null, code: null } });
  });

  it('gives scripted errors in OpenAI shape, which the client maps to its error classes', async () => {
    upstream.script('gpt-4o-mini', { kind: 'error', status: 429 });
    const error = await openai.chat.completions.create(chatBody('hi')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OpenAI.RateLimitError);
    expect((error as InstanceType<typeof OpenAI.RateLimitError>).code).toBe('rate_limit_exceeded');
  });

  it('cites a search model\'s web search as a url_citation annotation, whole and in a delta of its own, asked or not', async () => {
    const body = { ...chatBody('news'), model: 'gpt-4o-search-preview', web_search_options: { search_context_size: 'low' as const } };
    const citation = { type: 'url_citation', url_citation: { start_index: 0, end_index: 'Echo: news'.length, url: 'https://example.com/tollgate', title: 'Tollgate' } };
    const whole = await openai.chat.completions.create(body);
    expect(whole.choices[0]!.message).toMatchObject({ content: 'Echo: news', annotations: [citation] });
    expect(whole.usage).not.toHaveProperty('web_search_requests');
    const deltas: unknown[] = [];
    for await (const chunk of await openai.chat.completions.create({ ...body, stream: true })) deltas.push(chunk.choices[0]?.delta);
    expect(deltas).toContainEqual({ annotations: [citation] });
    const unasked = await openai.chat.completions.create({ ...chatBody('news'), model: 'gpt-5-search-api' });
    expect(unasked.choices[0]!.message.annotations).toEqual([citation]);
    const plain = await openai.chat.completions.create(chatBody('news'));
    expect(plain.choices[0]!.message.annotations).toEqual([]);
  });

  it('refuses web_search_options for a model that does not search, and a malformed one, with OpenAI 400s', async () => {
    const notSearching = await openai.chat.completions.create({ ...chatBody('news'), web_search_options: {} }).catch((e: unknown) => e);
    expect(notSearching).toBeInstanceOf(OpenAI.BadRequestError);
    expect((notSearching as Error).message).toMatch(/Web search options not supported with this model/);
    const malformed = await post('/v1/chat/completions', { ...chatBody('news'), model: 'gpt-4o-search-preview', web_search_options: { search_context_size: 'huge' } });
    expect(malformed.status).toBe(400);
    expect(JSON.parse(malformed.text)).toMatchObject({ error: { type: 'invalid_request_error', message: expect.stringMatching(/^web_search_options\.search_context_size/) } });
  });
});

describe('OpenAI embeddings, images and models', () => {
  it('gives the same deterministic vectors as floats and as little-endian float32 base64', async () => {
    // The official client asks for base64 by default and decodes it.
    const viaClient = await openai.embeddings.create({ model: 'text-embedding-3-small', input: ['alpha beta', 'gamma'] });
    expect(upstream.requests[0]?.body).toMatchObject({ encoding_format: 'base64' });
    const { text } = await post('/v1/embeddings', { model: 'text-embedding-3-small', input: ['alpha beta', 'gamma'], encoding_format: 'float' });
    const floats = JSON.parse(text) as { data: { embedding: number[]; index: number }[]; usage: { prompt_tokens: number } };
    expect(viaClient.data.map((d) => d.embedding)).toEqual(floats.data.map((d) => d.embedding));
    expect(floats.data[0]?.embedding).toHaveLength(8);
    expect(floats.data[0]?.embedding).not.toEqual(floats.data[1]?.embedding);
    expect(floats.usage.prompt_tokens).toBe(3);
    const norm = Math.hypot(...(floats.data[0]?.embedding ?? []));
    expect(norm).toBeCloseTo(1, 5);

    const sized = await openai.embeddings.create({ model: 'text-embedding-3-small', input: 'alpha beta', dimensions: 32 });
    expect(sized.data[0]?.embedding).toHaveLength(32);
  });

  it('returns a valid PNG as b64_json', async () => {
    const image = await openai.images.generate({ model: 'gpt-image-1', prompt: 'a red square', n: 2 });
    expect(image.data).toHaveLength(2);
    expect(image.usage).toMatchObject({ input_tokens: 3, output_tokens: 32 });
    const png = Buffer.from(image.data?.[0]?.b64_json ?? '', 'base64');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    let offset = 8;
    const types: string[] = [];
    for (let guard = 0; offset < png.length && guard < 16; guard++) {
      const length = png.readUInt32BE(offset);
      const typed = png.subarray(offset + 4, offset + 8 + length);
      expect(png.readUInt32BE(offset + 8 + length)).toBe(crc32(typed));
      const type = typed.subarray(0, 4).toString('latin1');
      if (type === 'IDAT') expect(inflateSync(typed.subarray(4))).toHaveLength(2 * (1 + 2 * 4));
      types.push(type);
      offset += 12 + length;
    }
    expect(types).toEqual(['IHDR', 'IDAT', 'IEND']);
  });

  it('lists models, scripted ones included', async () => {
    upstream.script('my-model', { kind: 'ok' });
    const ids: string[] = [];
    for await (const model of openai.models.list()) ids.push(model.id);
    expect(ids).toEqual(expect.arrayContaining(['gpt-4o-mini', 'my-model']));
  });
});

describe('Anthropic messages, driven by the official @anthropic-ai/sdk', () => {
  const params = (text: string, extra: Partial<Anthropic.MessageCreateParams> = {}): Anthropic.MessageCreateParamsNonStreaming => ({
    model: 'claude-sonnet-4-5',
    max_tokens: 100,
    messages: [{ role: 'user', content: text }],
    ...extra,
  } as Anthropic.MessageCreateParamsNonStreaming);
  const tools: Anthropic.Tool[] = [{ name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } }];

  it('answers a message with usage including the cache fields', async () => {
    const message = await anthropic.messages.create(params('hello there', { system: 'be brief' }));
    expect(message.content).toEqual([{ type: 'text', text: 'Echo: hello there' }]);
    expect(message.stop_reason).toBe('end_turn');
    expect(message.usage).toMatchObject({ input_tokens: 7, output_tokens: 3, cache_read_input_tokens: 0, cache_creation_input_tokens: 0 });
    // This SDK line sends its API key as a Bearer authorization; @ai-sdk/anthropic uses x-api-key.
    expect(upstream.requests[0]?.headers.authorization).toBe('Bearer sk-ant-test');
    expect(upstream.requests[0]?.headers['anthropic-version']).toBeDefined();
  });

  it('streams the documented event sequence', async () => {
    const stream = await anthropic.messages.create({ ...params('one two three'), stream: true });
    let text = '';
    for await (const event of stream) {
      if (event.type === 'message_start') expect(event.message.usage).toMatchObject({ input_tokens: 6, cache_read_input_tokens: 0 });
      if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      if (event.type === 'message_delta') expect(event).toMatchObject({ delta: { stop_reason: 'end_turn' }, usage: { output_tokens: 4 } });
    }
    expect(text).toBe('Echo: one two three');

    // The SDK hides ping events, so check the raw sequence too: each event named as its type.
    const raw = await post('/v1/messages', { ...params('one two three'), stream: true }, { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' });
    const names = raw.text.match(/^event: (\w+)$/gm)?.map((line) => line.slice(7));
    expect(names).toEqual([
      'message_start',
      'content_block_start',
      'ping',
      ...Array<string>(4).fill('content_block_delta'),
      'content_block_stop',
      'message_delta',
      'message_stop',
    ]);
    expect(sseData(raw.text).map((d) => (JSON.parse(d) as { type: string }).type)).toEqual(names);
  });

  it('streams a tool_use block with input_json_delta that the SDK assembles', async () => {
    const final = await anthropic.messages.stream(params('call the tool', { tools })).finalMessage();
    expect(final.content).toEqual([{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }]);
    expect(final.stop_reason).toBe('tool_use');

    const answered = await anthropic.messages.create(
      params('', {
        tools,
        messages: [
          { role: 'user', content: 'call the tool' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: [{ type: 'text', text: 'rainy' }] }] },
        ],
      }),
    );
    expect(answered.content).toEqual([{ type: 'text', text: 'Tool said: rainy' }]);
  });

  it('checks x-api-key and anthropic-version', async () => {
    const noKey = await post('/v1/messages', params('hi'), { 'anthropic-version': '2023-06-01' });
    expect(noKey.status).toBe(401);
    expect(JSON.parse(noKey.text)).toMatchObject({ type: 'error', error: { type: 'authentication_error' } });
    const noVersion = await post('/v1/messages', params('hi'), { 'x-api-key': 'k' });
    expect(noVersion.status).toBe(400);
    expect(JSON.parse(noVersion.text)).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
  });

  it('gives 529 overloaded_error by default and an in-stream error event mid-stream', async () => {
    upstream.script('claude-sonnet-4-5', [{ kind: 'error', status: 529 }, { kind: 'streamError', afterEvents: 2 }]);
    const error = await anthropic.messages.create(params('hi')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Anthropic.APIError);
    expect((error as InstanceType<typeof Anthropic.APIError>).status).toBe(529);
    expect((error as InstanceType<typeof Anthropic.APIError>).error).toMatchObject({ type: 'error', error: { type: 'overloaded_error', message: 'Overloaded' } });

    let text = '';
    const failure = await (async () => {
      for await (const event of await anthropic.messages.create({ ...params('one two three'), stream: true })) {
        if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      }
    })().catch((e: unknown) => e);
    expect(text).toBe('Echo: one ');
    expect(String(failure)).toMatch(/overloaded/i);
  });
});

describe('Gemini, checked raw and through @ai-sdk/google', () => {
  const key = { 'x-goog-api-key': 'g' };
  const google = () => createGoogleGenerativeAI({ apiKey: 'g', baseURL: `${upstream.url}/v1beta` });
  const generate = (text: string, extra: Record<string, unknown> = {}) => ({
    contents: [{ role: 'user', parts: [{ text }] }],
    ...extra,
  });

  it('answers generateContent with usageMetadata', async () => {
    const { status, text } = await post('/v1beta/models/gemini-2.5-flash:generateContent', generate('hello there'), key);
    expect(status).toBe(200);
    expect(JSON.parse(text)).toMatchObject({
      candidates: [{ content: { role: 'model', parts: [{ text: 'Echo: hello there' }] }, finishReason: 'STOP', index: 0 }],
      usageMetadata: { promptTokenCount: 5, candidatesTokenCount: 3, totalTokenCount: 8, cachedContentTokenCount: 0, thoughtsTokenCount: 0 },
    });
    expect(upstream.requests[0]?.model).toBe('gemini-2.5-flash');
  });

  it('streams ?alt=sse as whole responses with cumulative usage, CRLF-framed', async () => {
    const { text } = await post('/v1beta/models/gemini-2.5-flash:streamGenerateContent?alt=sse', generate('one two three'), key);
    expect(text.endsWith('\r\n\r\n')).toBe(true);
    const chunks = sseData(text, '\r\n\r\n').map((d) => JSON.parse(d) as { candidates: { content: { parts: { text: string }[] }; finishReason?: string }[]; usageMetadata: { candidatesTokenCount: number; totalTokenCount: number } });
    expect(chunks).toHaveLength(4);
    expect(chunks.map((c) => c.candidates[0]?.content.parts[0]?.text).join('')).toBe('Echo: one two three');
    expect(chunks.at(-1)?.candidates[0]?.finishReason).toBe('STOP');
    expect(chunks.slice(0, -1).every((c) => c.candidates[0]?.finishReason === undefined)).toBe(true);
    expect(chunks.map((c) => c.usageMetadata.candidatesTokenCount)).toEqual([1, 2, 3, 4]);
    expect(chunks.at(-1)?.usageMetadata.totalTokenCount).toBe(10);
  });

  it('is read by the AI SDK Google provider, text and tool calls, stream and not', async () => {
    const model = google().languageModel('gemini-2.5-flash');
    const result = await model.doGenerate({ prompt: [{ role: 'user', content: [{ type: 'text', text: 'hi you' }] }] });
    expect(result.content).toEqual([expect.objectContaining({ type: 'text', text: 'Echo: hi you' })]);
    expect(result.usage.inputTokens.total).toBe(5);
    expect(result.usage.outputTokens.total).toBe(3);
    expect(upstream.requests[0]?.headers['x-goog-api-key']).toBe('g');

    const { stream } = await model.doStream({
      prompt: [{ role: 'user', content: [{ type: 'text', text: 'use a tool' }] }],
      tools: [{ type: 'function', name: 'get_weather', inputSchema: { type: 'object', properties: { city: { type: 'string' } } } }],
    });
    const parts: LanguageModelV3StreamPart[] = [];
    const reader = stream.getReader();
    for (let i = 0; i < 100; i++) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    expect(parts.find((p) => p.type === 'tool-call')).toMatchObject({ toolName: 'get_weather', input: '{"city":"Paris"}' });
    expect(upstream.requests[1]?.query).toBe('alt=sse');
  });

  it('embeds one text and a batch, honouring outputDimensionality', async () => {
    const single = await post('/v1beta/models/gemini-embedding-001:embedContent', { content: { parts: [{ text: 'alpha' }] } }, key);
    expect((JSON.parse(single.text) as { embedding: { values: number[] } }).embedding.values).toHaveLength(8);

    const embedder = google().textEmbeddingModel('gemini-embedding-001');
    const batch = await embedder.doEmbed({ values: ['alpha', 'beta'], providerOptions: { google: { outputDimensionality: 4 } } });
    expect(batch.embeddings.map((e) => e.length)).toEqual([4, 4]);
    expect(upstream.requests.at(-1)?.path).toBe('/v1beta/models/gemini-embedding-001:batchEmbedContents');
  });

  it('answers a call without key with Google\'s 403 and scripted errors as { error: { code, message, status } }', async () => {
    const noKey = await post('/v1beta/models/gemini-2.5-flash:generateContent', generate('hi'), {});
    expect(noKey.status).toBe(403);
    expect(JSON.parse(noKey.text)).toMatchObject({ error: { code: 403, status: 'PERMISSION_DENIED' } });

    upstream.script('gemini-2.5-flash', { kind: 'error', status: 503 });
    const busy = await post('/v1beta/models/gemini-2.5-flash:generateContent', generate('hi'), key);
    expect(busy.status).toBe(503);
    expect(JSON.parse(busy.text)).toMatchObject({ error: { code: 503, status: 'UNAVAILABLE' } });
  });
});

describe('read by the AI SDK provider packages the gateway adapts', () => {
  async function streamParts(model: LanguageModelV3, text: string): Promise<LanguageModelV3StreamPart[]> {
    const { stream } = await model.doStream({ prompt: [{ role: 'user', content: [{ type: 'text', text }] }], includeRawChunks: false });
    const parts: LanguageModelV3StreamPart[] = [];
    const reader = stream.getReader();
    for (let i = 0; i < 200; i++) {
      const { done, value } = await reader.read();
      if (done) break;
      parts.push(value);
    }
    return parts;
  }
  const textOf = (parts: LanguageModelV3StreamPart[]) =>
    parts.flatMap((p) => (p.type === 'text-delta' ? [p.delta] : [])).join('');

  it('@ai-sdk/openai streams text and reads the final usage chunk', async () => {
    upstream.script('gpt-4o-mini', { kind: 'usage', usage: { cachedInputTokens: 2 } });
    const model = createOpenAI({ apiKey: 'k', baseURL: `${upstream.url}/v1` }).chat('gpt-4o-mini');
    const parts = await streamParts(model, 'hello world');
    expect(textOf(parts)).toBe('Echo: hello world');
    const finish = parts.find((p) => p.type === 'finish');
    expect(finish).toMatchObject({ usage: { inputTokens: { total: 5, cacheRead: 2 }, outputTokens: { total: 3 } } });
    expect(upstream.requests[0]?.body).toMatchObject({ stream: true, stream_options: { include_usage: true } });
  });

  it('@ai-sdk/anthropic streams text with cache usage, sending x-api-key', async () => {
    upstream.script('claude-sonnet-4-5', { kind: 'usage', usage: { inputTokens: 50, cachedInputTokens: 40 } });
    const model = createAnthropic({ apiKey: 'k', baseURL: `${upstream.url}/v1` }).languageModel('claude-sonnet-4-5');
    const parts = await streamParts(model, 'hello world');
    expect(textOf(parts)).toBe('Echo: hello world');
    expect(parts.find((p) => p.type === 'finish')).toMatchObject({
      finishReason: { unified: 'stop' },
      usage: { inputTokens: { total: 50, cacheRead: 40 }, outputTokens: { total: 3 } },
    });
    expect(upstream.requests[0]?.headers['x-api-key']).toBe('k');
  });
});

describe('Cohere v2 rerank', () => {
  it('ranks documents by shared query words, read by @ai-sdk/cohere', async () => {
    const cohere = createCohere({ apiKey: 'c', baseURL: `${upstream.url}/v2` });
    const result = await cohere.reranking('rerank-v3.5').doRerank({
      query: 'red apple',
      documents: { type: 'text', values: ['a green pear', 'a red apple', 'red wine'] },
      topN: 2,
    });
    expect(result.ranking).toEqual([
      { index: 1, relevanceScore: 1 },
      { index: 2, relevanceScore: 0.5 },
    ]);
    expect(upstream.requests[0]).toMatchObject({ path: '/v2/rerank', model: 'rerank-v3.5' });
    const raw = await post('/v2/rerank', { model: 'rerank-v3.5', query: 'x', documents: ['x'] }, { authorization: 'Bearer c' });
    expect(JSON.parse(raw.text)).toMatchObject({ results: [{ index: 0, relevance_score: 1 }], meta: { billed_units: { search_units: 1 } } });
    const noKey = await post('/v2/rerank', { model: 'rerank-v3.5', query: 'x', documents: ['x'] }, {});
    expect(noKey.status).toBe(401);
    expect(JSON.parse(noKey.text)).toHaveProperty('message');
  });
});

describe('behaviors', () => {
  it('plays an array one request at a time, the last repeating; * covers unscripted models', async () => {
    upstream.script('gpt-4o-mini', [{ kind: 'error', status: 500 }, { kind: 'text', text: 'second' }]);
    upstream.script('*', { kind: 'text', text: 'wild' });
    const statuses: number[] = [];
    const texts: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await post('/v1/chat/completions', chatBody('hi'));
      statuses.push(res.status);
      if (res.status === 200) texts.push((JSON.parse(res.text) as { choices: { message: { content: string } }[] }).choices[0]?.message.content ?? '');
    }
    expect(statuses).toEqual([500, 200, 200]);
    expect(texts).toEqual(['second', 'second']);
    const other = await post('/v1/chat/completions', { ...chatBody('hi'), model: 'gpt-4.1' });
    expect(JSON.parse(other.text)).toMatchObject({ choices: [{ message: { content: 'wild' } }] });
  });

  it('overrides usage in each provider\'s terms', async () => {
    const usage = { inputTokens: 100, outputTokens: 20, cachedInputTokens: 60, cacheWriteTokens: 10, reasoningTokens: 5 };
    upstream.script('*', { kind: 'usage', usage });
    const o = await openai.chat.completions.create(chatBody('hi'));
    expect(o.usage).toMatchObject({ prompt_tokens: 100, completion_tokens: 20, prompt_tokens_details: { cached_tokens: 60 }, completion_tokens_details: { reasoning_tokens: 5 } });
    const a = await anthropic.messages.create({ model: 'claude-x', max_tokens: 10, messages: [{ role: 'user', content: 'hi' }] });
    expect(a.usage).toMatchObject({ input_tokens: 30, cache_read_input_tokens: 60, cache_creation_input_tokens: 10, output_tokens: 20 });
    const g = await post('/v1beta/models/gemini-x:generateContent', { contents: [{ parts: [{ text: 'hi' }] }] }, { 'x-goog-api-key': 'g' });
    expect(JSON.parse(g.text)).toMatchObject({ usageMetadata: { promptTokenCount: 100, cachedContentTokenCount: 60, candidatesTokenCount: 15, thoughtsTokenCount: 5, totalTokenCount: 120 } });
  });

  it('delays before the headers', async () => {
    upstream.script('gpt-4o-mini', { kind: 'delay', ms: 150, then: { kind: 'text', text: 'late' } });
    const started = Date.now();
    const res = await openai.chat.completions.create(chatBody('hi'));
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(res.choices[0]?.message.content).toBe('late');
  });

  it('hangs until the client gives up, and close() ends hanging requests', async () => {
    upstream.script('gpt-4o-mini', { kind: 'hang' });
    const aborted = await fetch(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify(chatBody('hi')),
      signal: AbortSignal.timeout(100),
    }).catch((e: unknown) => e);
    expect((aborted as Error).name).toBe('TimeoutError');

    const own = await startUpstream();
    own.script('*', { kind: 'hang' });
    const hanging = fetch(`${own.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k' },
      body: JSON.stringify(chatBody('hi')),
    }).then(
      () => 'answered',
      () => 'failed',
    );
    for (let i = 0; i < 50 && own.requests.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    // Were hanging requests left open, close() would wait for them and the test time out.
    await own.close();
    expect(await hanging).toBe('failed');
  });

  it('resets the connection before any response', async () => {
    upstream.script('gpt-4o-mini', { kind: 'reset' });
    const error = await post('/v1/chat/completions', chatBody('hi')).catch((e: unknown) => e);
    expect((error as { code?: string }).code).toMatch(/ECONNRESET|UND_ERR_SOCKET/);
  });

  it('cuts a stream after the preamble (afterEvents 0) or after N content events', async () => {
    upstream.script('gpt-4o-mini', [{ kind: 'cut', afterEvents: 0 }, { kind: 'cut', afterEvents: 2 }]);
    const first = await post('/v1/chat/completions', chatBody('one two three', { stream: true }));
    expect(first.status).toBe(200);
    expect(first.failure).toBeDefined();
    const firstData = sseData(first.text).map((d) => JSON.parse(d) as { choices: { delta: { role?: string; content?: string } }[] });
    expect(firstData).toHaveLength(1);
    expect(firstData[0]?.choices[0]?.delta).toMatchObject({ role: 'assistant', content: '' });

    const second = await post('/v1/chat/completions', chatBody('one two three', { stream: true }));
    expect(second.failure).toBeDefined();
    expect(sseData(second.text)).toHaveLength(3);
    expect(second.text).not.toContain('[DONE]');

    upstream.script('claude-x', { kind: 'cut', afterEvents: 0 });
    const anth = await post('/v1/messages', { model: 'claude-x', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' });
    expect(anth.failure).toBeDefined();
    expect(anth.text.match(/^event: (\w+)/gm)).toEqual(['event: message_start', 'event: content_block_start', 'event: ping']);
  });

  it('cuts a JSON answer halfway through the body', async () => {
    upstream.script('gpt-4o-mini', { kind: 'cut', afterEvents: 0 });
    const res = await post('/v1/chat/completions', chatBody('hi'));
    expect(res.status).toBe(200);
    expect(res.failure).toBeDefined();
    expect(() => JSON.parse(res.text)).toThrow();
  });

  it('stalls between events and then finishes the stream', async () => {
    let release!: () => void;
    upstream.script('gpt-4o-mini', { kind: 'stall', afterEvents: 1, ms: 0, until: new Promise<void>((resolve) => (release = resolve)) });
    const res = await request(`${upstream.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { authorization: 'Bearer k', 'content-type': 'application/json' },
      body: JSON.stringify(chatBody('one two three', { stream: true })),
    });
    const chunks = res.body[Symbol.asyncIterator]();
    let before = '';
    // Read until the stall: the upstream holds the rest until it is released.
    for (let reads = 0; sseData(before).length < 2 && reads < 100; reads++) {
      const next = await chunks.next();
      if (next.done) break;
      before += (next.value as Buffer).toString('utf8');
    }
    // Before the stall: the role chunk and one content chunk, and not the end.
    expect(sseData(before)).toHaveLength(2);
    release();
    let after = '';
    for (let next = await chunks.next(); !next.done; next = await chunks.next()) after += (next.value as Buffer).toString('utf8');
    const rest = sseData(after);
    expect(rest.at(-1)).toBe('[DONE]');
    expect(rest.length).toBeGreaterThan(2);
  });

  it('sends a data: line that is not JSON after N content events, then the rest of the stream', async () => {
    upstream.script('gpt-4o-mini', { kind: 'malformed', afterEvents: 1 });
    const res = await post('/v1/chat/completions', chatBody('one two three', { stream: true }));
    expect(res.failure).toBeUndefined();
    const data = sseData(res.text);
    // The role chunk, one content chunk, then the broken line.
    expect(() => JSON.parse(data[2]!)).toThrow();
    expect(data.filter((d) => d !== '[DONE]').filter((d) => !d.startsWith('{"choices": [ this'))).toHaveLength(data.length - 2);
    expect(data.at(-1)).toBe('[DONE]');

    upstream.script('gpt-4o-mini', { kind: 'malformed', afterEvents: 0 });
    const json = await post('/v1/chat/completions', chatBody('hi'));
    expect(json.status).toBe(200);
    expect(() => JSON.parse(json.text)).toThrow();
  });

  it('sends one event cut short at a closing brace after N content events, in place of the whole one', async () => {
    upstream.script('gpt-4o-mini', { kind: 'truncated', afterEvents: 1 });
    const res = await post('/v1/chat/completions', chatBody('one two three', { stream: true }));
    expect(res.failure).toBeUndefined();
    const data = sseData(res.text);
    // The role chunk, one content chunk, then the cut one in place of the second.
    expect(data[2]!.endsWith('}')).toBe(true);
    expect(() => JSON.parse(data[2]!)).toThrow();
    upstream.script('gpt-4o-mini', { kind: 'ok' });
    const whole = sseData((await post('/v1/chat/completions', chatBody('one two three', { stream: true }))).text);
    expect(data).toHaveLength(whole.length);
    expect(data[2]).toContain('"content":"one "');
    // Every other event parses.
    for (const [index, event] of data.entries()) if (index !== 2 && event !== '[DONE]') expect(() => JSON.parse(event)).not.toThrow();
    expect(data.at(-1)).toBe('[DONE]');

    upstream.script('gpt-4o-mini', { kind: 'truncated', afterEvents: 0 });
    const json = await post('/v1/chat/completions', chatBody('hi'));
    expect(json.status).toBe(200);
    expect(json.text.endsWith('}')).toBe(true);
    expect(() => JSON.parse(json.text)).toThrow();
  });

  it('ends a stream cleanly without its terminal event, or after N content events', async () => {
    upstream.script('gpt-4o-mini', [{ kind: 'unterminated' }, { kind: 'unterminated', afterEvents: 1 }]);
    const whole = await post('/v1/chat/completions', chatBody('one two three', { stream: true }));
    expect(whole.failure).toBeUndefined();
    expect(whole.text).not.toContain('[DONE]');
    expect(sseData(whole.text).at(-1)).toContain('"finish_reason":"stop"');
    const early = await post('/v1/chat/completions', chatBody('one two three', { stream: true }));
    expect(early.failure).toBeUndefined();
    expect(sseData(early.text)).toHaveLength(2);

    upstream.script('claude-x', { kind: 'unterminated' });
    const anth = await post('/v1/messages', { model: 'claude-x', max_tokens: 5, stream: true, messages: [{ role: 'user', content: 'hi' }] }, { 'x-api-key': 'k', 'anthropic-version': '2023-06-01' });
    expect(anth.failure).toBeUndefined();
    expect(anth.text).toContain('event: message_delta');
    expect(anth.text).not.toContain('message_stop');
  });

  it('adds latencyMs to every response', async () => {
    const slow = await startUpstream({ latencyMs: 120 });
    try {
      const started = Date.now();
      const res = await fetch(`${slow.url}/v1/models`, { headers: { authorization: 'Bearer k' } });
      expect(res.status).toBe(200);
      expect(Date.now() - started).toBeGreaterThanOrEqual(110);
    } finally {
      await slow.close();
    }
  });

  it('reset() clears requests and scripts', async () => {
    upstream.script('gpt-4o-mini', { kind: 'error', status: 500 });
    await post('/v1/chat/completions', chatBody('hi'));
    upstream.reset();
    expect(upstream.requests).toEqual([]);
    expect((await post('/v1/chat/completions', chatBody('hi'))).status).toBe(200);
  });
});

describe('parallel tool calls and scripted finish reasons', () => {
  const CLOCK_TOOL = { type: 'function' as const, function: { name: 'get_time', parameters: { type: 'object', properties: { city: { type: 'string' } } } } };
  const anthropicTools: Anthropic.Tool[] = [
    { name: 'get_weather', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
    { name: 'get_time', input_schema: { type: 'object', properties: { city: { type: 'string' } } } },
  ];
  const geminiTools = [{ functionDeclarations: [{ name: 'get_weather' }, { name: 'get_time' }] }];
  const geminiKey = { 'x-goog-api-key': 'g' };

  it('OpenAI: "two tools" gives two calls in one turn, streamed under index 0 and 1 with an id on each first delta', async () => {
    const plain = await openai.chat.completions.create({ ...chatBody('use two tools'), tools: [WEATHER_TOOL, CLOCK_TOOL] });
    expect(plain.choices[0]?.finish_reason).toBe('tool_calls');
    expect(plain.choices[0]?.message.tool_calls).toEqual([
      { id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_2', type: 'function', function: { name: 'get_time', arguments: '{"city":"Tokyo"}' } },
    ]);
    expect(plain.usage?.completion_tokens).toBe(4);

    const stream = await openai.chat.completions.create({ ...chatBody('use two tools'), tools: [WEATHER_TOOL, CLOCK_TOOL], stream: true });
    const deltas: OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall[] = [];
    for await (const chunk of stream) deltas.push(...(chunk.choices[0]?.delta.tool_calls ?? []));
    const byIndex = (index: number) => deltas.filter((d) => d.index === index);
    expect(byIndex(0)[0]).toMatchObject({ id: 'call_1', function: { name: 'get_weather', arguments: '' } });
    expect(byIndex(1)[0]).toMatchObject({ id: 'call_2', function: { name: 'get_time', arguments: '' } });
    expect(deltas.filter((d) => d.id !== undefined).map((d) => d.id)).toEqual(['call_1', 'call_2']);
    expect(byIndex(1).map((d) => d.function?.arguments ?? '').join('')).toBe('{"city":"Tokyo"}');
  });

  it('OpenAI: the only tool is called twice, and trailing tool messages are answered together in order', async () => {
    const once = await openai.chat.completions.create({ ...chatBody('two tools please'), tools: [WEATHER_TOOL] });
    expect(once.choices[0]?.message.tool_calls?.map((c) => c.type === 'function' && c.function.name)).toEqual(['get_weather', 'get_weather']);

    const answered = await openai.chat.completions.create({
      model: 'gpt-4o-mini',
      tools: [WEATHER_TOOL],
      messages: [
        { role: 'user', content: 'two tools please' },
        { role: 'assistant', content: null, tool_calls: once.choices[0]!.message.tool_calls! },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
        { role: 'tool', tool_call_id: 'call_2', content: 'rainy' },
      ],
    });
    expect(answered.choices[0]?.message.content).toBe('Tool said: sunny; rainy');
  });

  it('Anthropic: two tool_use blocks with their own ids, streamed as blocks 0 and 1, results answered in order', async () => {
    const base = { model: 'claude-sonnet-4-5', max_tokens: 100, tools: anthropicTools };
    const message = await anthropic.messages.create({ ...base, messages: [{ role: 'user', content: 'use two tools' }] });
    expect(message.content).toEqual([
      { type: 'tool_use', id: 'toolu_1', name: 'get_weather', input: { city: 'Paris' } },
      { type: 'tool_use', id: 'toolu_2', name: 'get_time', input: { city: 'Tokyo' } },
    ]);
    expect(message.stop_reason).toBe('tool_use');

    const final = await anthropic.messages.stream({ ...base, messages: [{ role: 'user', content: 'use two tools' }] }).finalMessage();
    expect(final.content).toEqual(message.content);

    const answered = await anthropic.messages.create({
      ...base,
      messages: [
        { role: 'user', content: 'use two tools' },
        { role: 'assistant', content: message.content as Anthropic.ToolUseBlockParam[] },
        {
          role: 'user',
          content: [
            { type: 'tool_result', tool_use_id: 'toolu_1', content: 'sunny' },
            { type: 'tool_result', tool_use_id: 'toolu_2', content: '9am' },
          ],
        },
      ],
    });
    expect(answered.content).toEqual([{ type: 'text', text: 'Tool said: sunny; 9am' }]);
  });

  it('Gemini: two functionCall parts in one candidate, functionResponse parts answered in order', async () => {
    const { text } = await post('/v1beta/models/gemini-2.5-flash:generateContent', { contents: [{ role: 'user', parts: [{ text: 'use two tools' }] }], tools: geminiTools }, geminiKey);
    expect(JSON.parse(text)).toMatchObject({
      candidates: [{ content: { parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }, { functionCall: { name: 'get_time', args: { city: 'Tokyo' } } }] }, finishReason: 'STOP' }],
    });
    const answered = await post(
      '/v1beta/models/gemini-2.5-flash:generateContent',
      {
        tools: geminiTools,
        contents: [
          { role: 'user', parts: [{ text: 'use two tools' }] },
          { role: 'model', parts: [{ functionCall: { name: 'get_weather', args: { city: 'Paris' } } }, { functionCall: { name: 'get_time', args: { city: 'Tokyo' } } }] },
          { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { content: 'sunny' } } }, { functionResponse: { name: 'get_time', response: { content: '9am' } } }] },
        ],
      },
      geminiKey,
    );
    expect(JSON.parse(answered.text)).toMatchObject({ candidates: [{ content: { parts: [{ text: 'Tool said: sunny; 9am' }] } }] });
  });

  it('sends a scripted finishReason as is in each format, JSON and streamed', async () => {
    upstream.script('*', { kind: 'text', text: 'cut short', finishReason: 'length' });
    const o = await openai.chat.completions.create(chatBody('hi'));
    expect(o.choices[0]?.finish_reason).toBe('length');
    let streamed: string | null | undefined;
    for await (const chunk of await openai.chat.completions.create({ ...chatBody('hi'), stream: true })) streamed = chunk.choices[0]?.finish_reason ?? streamed;
    expect(streamed).toBe('length');

    upstream.script('*', { kind: 'text', text: 'cut short', finishReason: 'stop_sequence' });
    const a = await anthropic.messages.create({ model: 'claude-x', max_tokens: 10, stop_sequences: ['END', 'STOP'], messages: [{ role: 'user', content: 'hi' }] });
    expect(a).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'END' });
    const aStreamed = await anthropic.messages.stream({ model: 'claude-x', max_tokens: 10, stop_sequences: ['END'], messages: [{ role: 'user', content: 'hi' }] }).finalMessage();
    expect(aStreamed).toMatchObject({ stop_reason: 'stop_sequence', stop_sequence: 'END' });

    upstream.script('*', { kind: 'text', text: 'cut short', finishReason: 'SAFETY' });
    const g = await post('/v1beta/models/gemini-x:generateContent', { contents: [{ parts: [{ text: 'hi' }] }] }, geminiKey);
    expect(JSON.parse(g.text)).toMatchObject({ candidates: [{ finishReason: 'SAFETY' }] });
    const gs = await post('/v1beta/models/gemini-x:streamGenerateContent?alt=sse', { contents: [{ parts: [{ text: 'hi' }] }] }, geminiKey);
    const reasons = sseData(gs.text, '\r\n\r\n').map((d) => (JSON.parse(d) as { candidates: { finishReason?: string }[] }).candidates[0]?.finishReason);
    expect(reasons).toEqual([undefined, 'SAFETY']);
  });
});

describe('OpenAI audio', () => {
  it('speaks a valid WAV, 100 samples a character, and other formats behind their magic bytes', async () => {
    const wav = Buffer.from(await (await openai.audio.speech.create({ model: 'tts-1', voice: 'alloy', input: 'hi there', response_format: 'wav' })).arrayBuffer());
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(40)).toBe(800);
    const mp3 = await openai.audio.speech.create({ model: 'tts-1', voice: 'nova', input: 'hello' });
    const bytes = Buffer.from(await mp3.arrayBuffer());
    expect(bytes.toString('latin1', 0, 3)).toBe('ID3');
    expect(bytes.subarray(10).toString('utf8')).toBe('tts-1|nova|hello');
    expect(upstream.requests.at(-1)).toMatchObject({ path: '/v1/audio/speech', model: 'tts-1' });
  });

  it('refuses speech without a voice, as OpenAI does', async () => {
    const res = await post('/v1/audio/speech', { model: 'tts-1', input: 'hi' });
    expect(res.status).toBe(400);
  });

  it('transcribes a multipart upload in every response format the clients read', async () => {
    const file = await OpenAI.toFile(Buffer.alloc(32_000, 1), 'clip.wav', { type: 'audio/wav' });
    const verbose = await openai.audio.transcriptions.create({ model: 'whisper-1', file, response_format: 'verbose_json' });
    expect(verbose).toMatchObject({ text: 'Heard 32000 bytes of audio/wav', duration: 2, language: 'english' });
    const text = await openai.audio.transcriptions.create({ model: 'whisper-1', file, response_format: 'text' });
    expect(text).toBe('Heard 32000 bytes of audio/wav');
    const tokens = await openai.audio.transcriptions.create({ model: 'gpt-4o-transcribe', file });
    expect(tokens.usage).toMatchObject({ type: 'tokens', input_tokens: 20, output_tokens: 5 });
    expect(upstream.requests.at(-1)).toMatchObject({ path: '/v1/audio/transcriptions', model: 'gpt-4o-transcribe' });
  });

  it('answers the AI SDK transcription and speech models', async () => {
    const provider = createOpenAI({ apiKey: 'k', baseURL: `${upstream.url}/v1` });
    const result = await provider.transcription('whisper-1').doGenerate({ audio: new Uint8Array(16_000), mediaType: 'audio/wav', providerOptions: { openai: {} } });
    expect(result).toMatchObject({ text: 'Heard 16000 bytes of audio/wav', durationInSeconds: 1, language: 'en' });
    const speech = await provider.speech('tts-1').doGenerate({ text: 'abc', outputFormat: 'wav' });
    expect(Buffer.from(speech.audio as Uint8Array).toString('ascii', 0, 4)).toBe('RIFF');
  });
});

describe('model lists and keys the upstream does not know', () => {
  let strict: StartedUpstream;
  beforeAll(async () => {
    strict = await startUpstream({ apiKeys: ['good-key'], models: ['m-1', 'm-2'] });
  });
  afterAll(async () => strict.close());

  const get = async (path: string, headers: Record<string, string>) => {
    const res = await request(`${strict.url}${path}`, { headers });
    return { status: res.statusCode, body: (await res.body.json()) as Record<string, any> };
  };

  it('lists models in each provider’s shape, read by the official SDKs where there is one', async () => {
    const ids: string[] = [];
    for await (const model of new OpenAI({ apiKey: 'good-key', baseURL: `${strict.url}/v1`, maxRetries: 0 }).models.list()) ids.push(model.id);
    expect(ids).toEqual(['m-1', 'm-2']);
    const claude: string[] = [];
    for await (const model of new Anthropic({ apiKey: 'good-key', baseURL: strict.url, maxRetries: 0 }).models.list()) claude.push(model.id);
    expect(claude).toEqual(['m-1', 'm-2']);
    const gemini = await get('/v1beta/models', { 'x-goog-api-key': 'good-key' });
    expect(gemini).toMatchObject({ status: 200, body: { models: [{ name: 'models/m-1' }, { name: 'models/m-2' }] } });
    const cohere = await get('/v1/models?page_size=1000', { authorization: 'Bearer good-key' });
    expect(cohere).toMatchObject({ status: 200, body: { models: [{ name: 'm-1' }, { name: 'm-2' }] } });
  });

  it('answers a key it does not know as each provider does', async () => {
    await expect(new OpenAI({ apiKey: 'bad-key', baseURL: `${strict.url}/v1`, maxRetries: 0 }).models.list()).rejects.toBeInstanceOf(OpenAI.AuthenticationError);
    await expect(new Anthropic({ apiKey: 'bad-key', baseURL: strict.url, maxRetries: 0 }).models.list()).rejects.toBeInstanceOf(Anthropic.AuthenticationError);
    const gemini = await get('/v1beta/models', { 'x-goog-api-key': 'bad-key' });
    expect(gemini).toMatchObject({ status: 400, body: { error: { status: 'INVALID_ARGUMENT', details: [{ reason: 'API_KEY_INVALID' }] } } });
    const cohere = await get('/v1/models?page_size=1000', { authorization: 'Bearer bad-key' });
    expect(cohere).toMatchObject({ status: 401, body: { message: 'invalid api token' } });
    // A chat call is refused the same way.
    const chat = await request(`${strict.url}/v1/chat/completions`, { method: 'POST', headers: { authorization: 'Bearer bad-key' }, body: JSON.stringify(chatBody('hi')) });
    expect(chat.statusCode).toBe(401);
    expect(((await chat.body.json()) as { error: { code: string } }).error.code).toBe('invalid_api_key');
  });
});
