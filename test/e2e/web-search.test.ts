import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { fallbackTo, nanos, startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

/**
 * Web search the provider runs itself. Anthropic's `web_search_20250305` server tool goes to an
 * Anthropic upstream as that tool, its answer comes back, and the searches it reports
 * (`usage.server_tool_use.web_search_requests`) are billed per search beside the tokens. A
 * deployment that cannot run the tool is passed over, and with none left the client gets a 400
 * in its protocol's shape naming the tool.
 */
let upstream: { url: string; bodies: Array<Record<string, unknown>>; close(): Promise<void> };
let gateway: TestGateway;
let client: Anthropic;

// claude-sonnet-4-5 as @pydantic/genai-prices publishes it: $3/M input, $15/M output, $10 per 1,000 searches.
const SEARCH_COST = nanos((1000 * 3 + 100 * 15) / 1e6 + 2 * 0.01);
const webSearch = { type: 'web_search_20250305' as const, name: 'web_search' as const, max_uses: 3, allowed_domains: ['example.com'] };
const searchResult = { type: 'web_search_result', url: 'https://example.com/tollgate', title: 'Tollgate', encrypted_content: 'EqgfCioIARgBIiQ3YTAwMjY1', page_age: 'April 30, 2025' };
const usage = { input_tokens: 1000, output_tokens: 100, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, server_tool_use: { web_search_requests: 2 }, service_tier: 'standard' };

/** An Anthropic Messages upstream whose answers ran web search, whole and streamed, as Anthropic sends them. */
async function startSearchingAnthropic(): Promise<typeof upstream> {
  const bodies: Array<Record<string, unknown>> = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      bodies.push(body);
      if (body.stream === true) return streamed(res, body.model as string);
      res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_search' });
      res.end(JSON.stringify(message(body.model as string)));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function message(model: string) {
  return {
    id: 'msg_search',
    type: 'message',
    role: 'assistant',
    model,
    content: [
      { type: 'text', text: "I'll search for that." },
      { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: { query: 'tollgate gateway' } },
      { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_01', content: [searchResult] },
      {
        type: 'text',
        text: 'Tollgate is a self-hosted AI gateway.',
        citations: [{ type: 'web_search_result_location', url: searchResult.url, title: 'Tollgate', encrypted_index: 'Eo8BCioIAhgBIiQyYjQ0', cited_text: 'Tollgate is a self-hosted AI gateway.' }],
      },
    ],
    stop_reason: 'end_turn',
    stop_sequence: null,
    usage,
  };
}

function streamed(res: ServerResponse, model: string): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const send = (type: string, data: Record<string, unknown>) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  send('message_start', { message: { ...message(model), content: [], stop_reason: null, usage: { ...usage, output_tokens: 1, server_tool_use: { web_search_requests: 0 } } } });
  send('content_block_start', { index: 0, content_block: { type: 'server_tool_use', id: 'srvtoolu_01', name: 'web_search', input: {} } });
  send('content_block_delta', { index: 0, delta: { type: 'input_json_delta', partial_json: '{"query": "tollgate gateway"}' } });
  send('content_block_stop', { index: 0 });
  send('content_block_start', { index: 1, content_block: { type: 'web_search_tool_result', tool_use_id: 'srvtoolu_01', content: [searchResult] } });
  send('content_block_stop', { index: 1 });
  send('content_block_start', { index: 2, content_block: { type: 'text', text: '' } });
  send('content_block_delta', { index: 2, delta: { type: 'text_delta', text: 'Tollgate is a self-hosted AI gateway.' } });
  send('content_block_stop', { index: 2 });
  send('message_delta', { delta: { stop_reason: 'end_turn', stop_sequence: null }, usage: { output_tokens: 100, server_tool_use: { web_search_requests: 2 } } });
  send('message_stop', {});
  res.end();
}

beforeAll(async () => {
  upstream = await startSearchingAnthropic();
  gateway = await startGateway({
    mock: false,
    routing: { retries: 0 },
    providers: {
      claude: { kind: 'anthropic', baseURL: upstream.url, apiKey: 'claude-key' },
      // Never called: it cannot run Anthropic's search, so no request may reach it.
      compat: { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', apiKey: 'compat-key', models: { local: { pricing: { input: 0, output: 0 } } } },
    },
  });
  client = new Anthropic({ baseURL: gateway.url, apiKey: 'unused', maxRetries: 0 });
});
afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});
beforeEach(() => {
  upstream.bodies.length = 0;
});

const rowOf = async (requestId: string | null) => (await gateway.ledger.requests()).find((row) => row.id === requestId);

describe('Anthropic web search on the Messages face', () => {
  it('sends the server tool to Anthropic as the client wrote it and bills its searches with the tokens', async () => {
    const { data, response } = await client.messages
      .create({ model: 'claude/claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'What is Tollgate?' }], tools: [webSearch] })
      .withResponse();
    expect(upstream.bodies[0]!.tools).toEqual([{ type: 'web_search_20250305', name: 'web_search', max_uses: 3, allowed_domains: ['example.com'] }]);
    expect(data.content.filter((block) => block.type === 'text').map((block) => block.text).join('')).toContain('Tollgate is a self-hosted AI gateway.');
    expect(data.stop_reason).toBe('end_turn');
    const row = (await rowOf(response.headers.get('x-request-id')))!;
    expect(row).toMatchObject({ usage: { input: 1000, output: 100 }, costNanos: SEARCH_COST });
  });

  it('bills the searches a stream reports at its end', async () => {
    const stream = await client.messages
      .create({ model: 'claude/claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'What is Tollgate?' }], tools: [webSearch], stream: true })
      .withResponse();
    let text = '';
    for await (const event of stream.data) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
    expect(text).toBe('Tollgate is a self-hosted AI gateway.');
    await expect.poll(async () => (await rowOf(stream.response.headers.get('x-request-id')))?.costNanos).toBe(SEARCH_COST);
  });

  it('passes over a deployment that cannot run the tool for one that can', async () => {
    const { response } = await client.messages
      .create({
        model: 'compat/local',
        max_tokens: 256,
        messages: [{ role: 'user', content: 'What is Tollgate?' }],
        tools: [webSearch],
        ...fallbackTo(['claude/claude-sonnet-4-5']),
      } as Anthropic.MessageCreateParamsNonStreaming)
      .withResponse();
    expect(response.headers.get('x-tollgate-served-model') ?? (await rowOf(response.headers.get('x-request-id')))?.servedModel).toBe('claude/claude-sonnet-4-5');
    expect(upstream.bodies).toHaveLength(1);
  });

  it('answers 400 in Anthropic shape naming the tool when no deployment can run it', async () => {
    const failure = await client.messages
      .create({ model: 'compat/local', max_tokens: 256, messages: [{ role: 'user', content: 'What is Tollgate?' }], tools: [webSearch] })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.BadRequestError);
    const error = failure as InstanceType<typeof Anthropic.BadRequestError>;
    expect(error.status).toBe(400);
    expect(error.error).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect((error.error as { error: { message: string } }).error.message).toMatch(/'web_search' \(anthropic\.web_search_20250305\).*compat\/local/);
    expect(upstream.bodies).toHaveLength(0);
  });

  it('refuses a server tool it does not pass on with a 400 naming its type', async () => {
    const response = await fetch(`${gateway.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude/claude-sonnet-4-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }], tools: [{ type: 'bash_20250124', name: 'bash' }] }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { type: string; error: { type: string; message: string } };
    expect(body).toMatchObject({ type: 'error', error: { type: 'invalid_request_error' } });
    expect(body.error.message).toMatch(/server tool 'bash_20250124' is not supported/);
    expect(upstream.bodies).toHaveLength(0);
  });
});

describe('OpenAI web search on the Responses face', () => {
  let openaiUpstream: { url: string; bodies: Array<{ path: string; body: Record<string, unknown> }>; close(): Promise<void> };
  let searching: TestGateway;
  // gpt-5 as configured: $1.25/M input, $10/M output, $10 per 1,000 web search calls.
  const OPENAI_SEARCH_COST = nanos((1000 * 1.25 + 100 * 10) / 1e6 + 0.01);

  /** An OpenAI upstream answering `POST /v1/responses` with a web search call and a cited answer, as OpenAI sends it. */
  async function startSearchingOpenAI(): Promise<typeof openaiUpstream> {
    const bodies: Array<{ path: string; body: Record<string, unknown> }> = [];
    const server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
      req.on('end', () => {
        const body = JSON.parse(raw) as Record<string, unknown>;
        bodies.push({ path: req.url ?? '', body });
        res.writeHead(200, { 'content-type': 'application/json', 'x-request-id': 'req_ws' });
        res.end(
          JSON.stringify({
            id: 'resp_ws',
            object: 'response',
            created_at: 1_764_806_400,
            status: 'completed',
            model: body.model,
            output: [
              { type: 'web_search_call', id: 'ws_1', status: 'completed', action: { type: 'search', query: 'tollgate gateway' } },
              {
                type: 'message',
                id: 'msg_1',
                status: 'completed',
                role: 'assistant',
                content: [
                  {
                    type: 'output_text',
                    text: 'Tollgate is a self-hosted AI gateway.',
                    annotations: [{ type: 'url_citation', start_index: 0, end_index: 36, url: 'https://example.com/tollgate', title: 'Tollgate' }],
                    logprobs: [],
                  },
                ],
              },
            ],
            usage: { input_tokens: 1000, input_tokens_details: { cached_tokens: 0 }, output_tokens: 100, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 1100 },
            service_tier: 'default',
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, bodies, close: () => new Promise((resolve) => server.close(() => resolve())) };
  }

  beforeAll(async () => {
    openaiUpstream = await startSearchingOpenAI();
    searching = await startGateway({
      mock: false,
      routing: { retries: 0 },
      providers: {
        openai: { kind: 'openai', baseURL: `${openaiUpstream.url}/v1`, apiKey: 'sk-openai', models: { 'gpt-5': { pricing: { input: 1.25, output: 10, webSearchesPerThousand: 10 } } } },
        compat: { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1', apiKey: 'compat-key', models: { local: { pricing: { input: 0, output: 0 } } } },
      },
    });
  });
  afterAll(async () => {
    await searching?.close();
    await openaiUpstream?.close();
  });

  it("sends web search to OpenAI's Responses API and bills each search call with the tokens", async () => {
    const openai = new OpenAI({ baseURL: `${searching.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const { data, response } = await openai.responses
      .create({ model: 'openai/gpt-5', input: 'What is Tollgate?', tools: [{ type: 'web_search', search_context_size: 'low', filters: { allowed_domains: ['example.com'] } }] })
      .withResponse();
    expect(openaiUpstream.bodies.map((sent) => sent.path)).toEqual(['/v1/responses']);
    expect(openaiUpstream.bodies[0]!.body.tools).toEqual([{ type: 'web_search', search_context_size: 'low', filters: { allowed_domains: ['example.com'] } }]);
    expect(openaiUpstream.bodies[0]!.body.store).toBe(false);
    expect(data.output_text).toBe('Tollgate is a self-hosted AI gateway.');
    const row = (await searching.ledger.requests()).find((request) => request.id === response.headers.get('x-request-id'));
    expect(row).toMatchObject({ usage: { input: 1000, output: 100 }, costNanos: OPENAI_SEARCH_COST });
  });

  it('answers 400 in OpenAI shape naming web_search for a deployment that cannot run it', async () => {
    const openai = new OpenAI({ baseURL: `${searching.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const failure = await openai.responses.create({ model: 'compat/local', input: 'What is Tollgate?', store: false, tools: [{ type: 'web_search' }] }).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ type: 'invalid_request_error', param: 'tools' });
    expect((failure as Error).message).toMatch(/'web_search' \(openai\.web_search\).*compat\/local/);
  });
});

describe('web_search_options on chat completions', () => {
  let shared: StartedUpstream;
  let chatGateway: TestGateway;
  beforeAll(async () => {
    shared = await startUpstream();
    chatGateway = await startGateway({
      mock: false,
      routing: { retries: 0 },
      providers: {
        openai: { kind: 'openai', baseURL: `${shared.url}/v1`, apiKey: 'sk-openai', models: { 'gpt-4o-search-preview': { pricing: { input: 2.5, output: 10 } } } },
        claude: { kind: 'anthropic', baseURL: shared.url, apiKey: 'claude-key', models: { 'claude-sonnet-4-5': { pricing: { input: 3, output: 15 } } } },
      },
    });
  });
  afterAll(async () => {
    await chatGateway?.close();
    await shared?.close();
  });

  it('pipes web_search_options to an OpenAI upstream as the client wrote it', async () => {
    const openai = new OpenAI({ baseURL: `${chatGateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const options = { search_context_size: 'low' as const, user_location: { type: 'approximate' as const, approximate: { country: 'FR' } } };
    const completion = await openai.chat.completions.create({ model: 'openai/gpt-4o-search-preview', messages: [{ role: 'user', content: 'news' }], web_search_options: options });
    expect(completion.choices[0]!.message.content).toBe('Echo: news');
    expect((shared.requests.at(-1)!.body as { web_search_options?: unknown }).web_search_options).toEqual(options);
  });

  it('answers 400 naming web_search_options for a model that cannot search, with no upstream call', async () => {
    const openai = new OpenAI({ baseURL: `${chatGateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
    const before = shared.requests.length;
    const failure = await openai.chat.completions
      .create({ model: 'claude/claude-sonnet-4-5', messages: [{ role: 'user', content: 'news' }], web_search_options: {} })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ type: 'invalid_request_error', param: 'web_search_options' });
    expect((failure as Error).message).toMatch(/claude\/claude-sonnet-4-5/);
    expect(shared.requests.length).toBe(before);
  });
});
