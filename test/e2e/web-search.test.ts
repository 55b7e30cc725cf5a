import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import Anthropic from '@anthropic-ai/sdk';
import { createGateway, GatewayError } from '@ai-sdk/gateway';
import { google } from '@ai-sdk/google';
import { generateText } from 'ai';
import OpenAI from 'openai';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { eventually, fallbackTo, nanos, startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

/**
 * Web search the provider runs itself. Anthropic's `web_search_20250305` server tool goes to an
 * Anthropic upstream as that tool, its answer comes back, and the searches it reports
 * (`usage.server_tool_use.web_search_requests`) are billed per search beside the tokens. A
 * deployment that cannot run the tool is passed over, and with none left the client gets a 400
 * in its protocol's shape naming the tool.
 */
let upstream: JsonUpstream;
let gateway: TestGateway;
let client: Anthropic;

// claude-sonnet-4-5 as @pydantic/genai-prices publishes it: $3/M input, $15/M output, $10 per 1,000 searches.
const SEARCH_COST = nanos((1000 * 3 + 100 * 15) / 1e6 + 2 * 0.01);
const webSearch = { type: 'web_search_20250305' as const, name: 'web_search' as const, max_uses: 3, allowed_domains: ['example.com'] };
const searchResult = { type: 'web_search_result', url: 'https://example.com/tollgate', title: 'Tollgate', encrypted_content: 'EqgfCioIARgBIiQ3YTAwMjY1', page_age: 'April 30, 2025' };
const usage = { input_tokens: 1000, output_tokens: 100, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, server_tool_use: { web_search_requests: 2 }, service_tier: 'standard' };

interface JsonUpstream {
  url: string;
  /** Each request's JSON body and path, in order. */
  bodies: Array<Record<string, unknown>>;
  paths: string[];
  close(): Promise<void>;
}

/** A loopback upstream that reads each request's JSON body and answers with `answer`. */
async function startJsonUpstream(answer: (body: Record<string, unknown>, res: ServerResponse) => void): Promise<JsonUpstream> {
  const bodies: Array<Record<string, unknown>> = [];
  const paths: string[] = [];
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (chunk: Buffer) => (raw += chunk.toString('utf8')));
    req.on('end', () => {
      const body = JSON.parse(raw) as Record<string, unknown>;
      bodies.push(body);
      paths.push(req.url ?? '');
      answer(body, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, bodies, paths, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

/** An Anthropic Messages upstream whose answers ran web search, whole and streamed, as Anthropic sends them. */
function startSearchingAnthropic(): Promise<JsonUpstream> {
  return startJsonUpstream((body, res) => {
    if (body.stream === true) return streamed(res, body.model as string, (body.metadata as { user_id?: string } | undefined)?.user_id === 'cut');
    res.writeHead(200, { 'content-type': 'application/json', 'request-id': 'req_search' });
    res.end(JSON.stringify(message(body.model as string)));
  });
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

/** `cut`: the connection drops after the search ran and the answer began, before any usage beyond the start's. */
function streamed(res: ServerResponse, model: string, cut = false): void {
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
  // Ending the socket sends what was written, then closes it mid-response.
  if (cut) return void res.socket?.end();
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
  upstream.paths.length = 0;
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
  let openaiUpstream: JsonUpstream;
  let searching: TestGateway;
  // gpt-5 as configured: $1.25/M input, $10/M output, $10 per 1,000 web search calls.
  const OPENAI_SEARCH_COST = nanos((1000 * 1.25 + 100 * 10) / 1e6 + 0.01);

  /** An OpenAI upstream answering `POST /v1/responses` with a web search call and a cited answer, as OpenAI sends it. */
  function startSearchingOpenAI(): Promise<JsonUpstream> {
    return startJsonUpstream((body, res) => {
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
    expect(openaiUpstream.paths).toEqual(['/v1/responses']);
    expect(openaiUpstream.bodies[0]!.tools).toEqual([{ type: 'web_search', search_context_size: 'low', filters: { allowed_domains: ['example.com'] } }]);
    expect(openaiUpstream.bodies[0]!.store).toBe(false);
    // OpenAI's searches have no limit but max_tool_calls: the gateway's default bounds them.
    expect(openaiUpstream.bodies[0]!.max_tool_calls).toBe(5);
    expect(data.output_text).toBe('Tollgate is a self-hosted AI gateway.');
    const row = (await searching.ledger.requests()).find((request) => request.id === response.headers.get('x-request-id'));
    expect(row).toMatchObject({ usage: { input: 1000, output: 100 }, costNanos: OPENAI_SEARCH_COST });
  });

  it("passes the client's max_tool_calls on and holds that many searches under a budget", async () => {
    const budgeted = await startGateway({
      mock: false,
      routing: { retries: 0 },
      budgets: [{ scope: 'global', limitUsd: 0.02, period: 'day' }],
      providers: { openai: { kind: 'openai', baseURL: `${openaiUpstream.url}/v1`, apiKey: 'sk-openai', models: { 'gpt-5': { pricing: { input: 1.25, output: 10, webSearchesPerThousand: 10 } } } } },
    });
    try {
      const openai = new OpenAI({ baseURL: `${budgeted.url}/v1`, apiKey: 'unused', maxRetries: 0 });
      const ask = (maxToolCalls: number) =>
        openai.responses.create({
          model: 'openai/gpt-5',
          input: 'What is Tollgate?',
          max_output_tokens: 256,
          max_tool_calls: maxToolCalls,
          tools: [{ type: 'web_search' }],
        } as OpenAI.Responses.ResponseCreateParamsNonStreaming);
      const before = openaiUpstream.bodies.length;
      const failure = await ask(3).catch((error: unknown) => error);
      expect((failure as InstanceType<typeof OpenAI.APIError>).status).toBe(402);
      expect((failure as Error).message).toMatch(/up to 3 web searches/);
      expect(openaiUpstream.bodies).toHaveLength(before);
      await ask(1);
      expect(openaiUpstream.bodies.at(-1)!.max_tool_calls).toBe(1);
    } finally {
      await budgeted.close();
    }
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
  let budgeted: TestGateway | undefined;
  // gpt-4o-search-preview as configured: $2.50/M input, $10/M output, $30 per 1,000 searches (one a request).
  const SEARCH_PREVIEW = { input: 2.5, output: 10, webSearchesPerThousand: 30 };
  const searchPreviewCost = (usage: { input: number; output: number }) => nanos((usage.input * 2.5 + usage.output * 10) / 1e6 + 0.03);
  const ask = { model: 'openai/gpt-4o-search-preview', max_tokens: 64, messages: [{ role: 'user' as const, content: 'news' }], web_search_options: { search_context_size: 'low' as const } };
  const clientOf = (gateway: TestGateway) => new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 });
  const rowIn = async (gateway: TestGateway, requestId: string | null) => (await gateway.ledger.requests()).find((row) => row.id === requestId);

  /** A gateway under a hard global budget of `limitUsd`, its search preview model priced `pricing`. */
  async function underBudget(limitUsd: number, pricing: Record<string, number> = SEARCH_PREVIEW): Promise<TestGateway> {
    budgeted = await startGateway({
      mock: false,
      routing: { retries: 0 },
      budgets: [{ scope: 'global', limitUsd, period: 'day' }],
      providers: {
        openai: {
          kind: 'openai',
          baseURL: `${shared.url}/v1`,
          apiKey: 'sk-openai',
          models: { 'gpt-4o-search-preview': { pricing }, 'gpt-4o': { pricing: { input: 2.5, output: 10 } } },
        },
        compat: { kind: 'openai-compatible', baseURL: `${shared.url}/v1`, apiKey: 'compat-key', models: { 'gpt-4o-search-preview': { pricing } } },
      },
    });
    return budgeted;
  }
  async function refusal(promise: Promise<unknown>): Promise<InstanceType<typeof OpenAI.APIError>> {
    const failure = await promise.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.APIError);
    return failure as InstanceType<typeof OpenAI.APIError>;
  }

  /** Whole and streamed, `body` is refused with 402 for its one search, and nothing reaches the upstream. */
  async function expectRefusedForItsSearch(openai: OpenAI, body: OpenAI.ChatCompletionCreateParamsNonStreaming): Promise<void> {
    for (const stream of [false, true]) {
      const error = await refusal(openai.chat.completions.create({ ...body, stream }));
      expect(error.status).toBe(402);
      expect(error.message).toMatch(/up to 1 web search\b/);
      expect(error.message).toMatch(/or send it without the web search/);
      expect(error.message).not.toMatch(/max_uses/);
    }
    expect(shared.requests).toHaveLength(0);
  }

  beforeAll(async () => {
    shared = await startUpstream();
    chatGateway = await startGateway({
      mock: false,
      routing: { retries: 0 },
      providers: {
        openai: { kind: 'openai', baseURL: `${shared.url}/v1`, apiKey: 'sk-openai', models: { 'gpt-4o-search-preview': { pricing: SEARCH_PREVIEW } } },
        claude: { kind: 'anthropic', baseURL: shared.url, apiKey: 'claude-key', models: { 'claude-sonnet-4-5': { pricing: { input: 3, output: 15 } } } },
      },
    });
  });
  afterAll(async () => {
    await chatGateway?.close();
    await shared?.close();
  });
  beforeEach(() => shared.reset());
  afterEach(async () => {
    await budgeted?.close();
    budgeted = undefined;
  });

  it('pipes web_search_options to an OpenAI upstream as the client wrote it and bills its search with the tokens', async () => {
    const options = { search_context_size: 'low' as const, user_location: { type: 'approximate' as const, approximate: { country: 'FR' } } };
    const { data: completion, response } = await clientOf(chatGateway)
      .chat.completions.create({ model: 'openai/gpt-4o-search-preview', messages: [{ role: 'user', content: 'news' }], web_search_options: options })
      .withResponse();
    expect(completion.choices[0]!.message.content).toBe('Echo: news');
    expect(completion.choices[0]!.message.annotations).toEqual([
      { type: 'url_citation', url_citation: { start_index: 0, end_index: 10, url: 'https://example.com/tollgate', title: 'Tollgate' } },
    ]);
    expect((shared.requests.at(-1)!.body as { web_search_options?: unknown }).web_search_options).toEqual(options);
    const row = (await rowIn(chatGateway, response.headers.get('x-request-id')))!;
    expect(row.costNanos).toBe(searchPreviewCost(row.usage));
    expect((completion.usage as { cost?: number }).cost).toBe(row.costNanos! / 1e9);
  });

  it('bills the search of a streamed answer, in its usage chunk and in the ledger', async () => {
    const stream = await clientOf(chatGateway)
      .chat.completions.create({ ...ask, stream: true, stream_options: { include_usage: true } })
      .withResponse();
    let text = '';
    let cost: number | undefined;
    const annotations: unknown[] = [];
    for await (const chunk of stream.data) {
      text += chunk.choices[0]?.delta.content ?? '';
      annotations.push(...(((chunk.choices[0]?.delta as { annotations?: unknown[] } | undefined)?.annotations) ?? []));
      if (chunk.usage) cost = (chunk.usage as { cost?: number }).cost;
    }
    expect(text).toBe('Echo: news');
    expect(annotations).toHaveLength(1);
    const row = await eventually(async () => {
      const found = await rowIn(chatGateway, stream.response.headers.get('x-request-id'));
      expect(found?.costNanos).toBeDefined();
      return found!;
    });
    expect(row.costNanos).toBe(searchPreviewCost(row.usage));
    expect(cost).toBe(row.costNanos! / 1e9);
  });

  it("bills gpt-4o-mini-search-preview's search at the price @pydantic/genai-prices publishes ($10 per 1,000)", async () => {
    const { response } = await clientOf(chatGateway).chat.completions.create({ ...ask, model: 'openai/gpt-4o-mini-search-preview' }).withResponse();
    const row = (await rowIn(chatGateway, response.headers.get('x-request-id')))!;
    expect(row.costNanos).toBe(nanos((row.usage.input * 0.15 + row.usage.output * 0.6) / 1e6 + 0.01));
  });

  it('answers 400 naming web_search_options for a model that cannot search, with no upstream call', async () => {
    const failure = await clientOf(chatGateway)
      .chat.completions.create({ model: 'claude/claude-sonnet-4-5', messages: [{ role: 'user', content: 'news' }], web_search_options: {} })
      .catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(OpenAI.BadRequestError);
    expect((failure as InstanceType<typeof OpenAI.BadRequestError>).error).toMatchObject({ type: 'invalid_request_error', param: 'web_search_options' });
    expect((failure as Error).message).toMatch(/claude\/claude-sonnet-4-5/);
    expect(shared.requests).toHaveLength(0);
  });

  it('refuses with 402 a budget that covers the tokens but not the search, whole and streamed, with no upstream call', async () => {
    const openai = clientOf(await underBudget(0.02));
    await expectRefusedForItsSearch(openai, ask);
    // The same tokens at the same rates fit, without the search.
    const { web_search_options: _none, ...tokensOnly } = ask;
    await openai.chat.completions.create({ ...tokensOnly, model: 'openai/gpt-4o' });
    expect(shared.requests).toHaveLength(1);
  });

  it('holds the search under a budget that covers it, and settles to what it cost', async () => {
    const gateway = await underBudget(0.05);
    const { response } = await clientOf(gateway).chat.completions.create(ask).withResponse();
    const row = (await rowIn(gateway, response.headers.get('x-request-id')))!;
    expect(row.costNanos).toBe(searchPreviewCost(row.usage));
    const [status] = await gateway.server.gateway.budgetStatus(undefined);
    expect(status).toMatchObject({ reservedUsd: 0, spentUsd: row.costNanos! / 1e9 });
  });

  it('refuses a search with no known price under a budget with 403 naming the setting, with no upstream call', async () => {
    const error = await refusal(clientOf(await underBudget(1, { input: 2.5, output: 10 })).chat.completions.create(ask));
    expect(error.status).toBe(403);
    expect(error.message).toMatch(/web search.*models\["openai\/gpt-4o-search-preview"\]\.pricing\.webSearchesPerThousand/);
    expect(shared.requests).toHaveLength(0);
  });

  it('bills the search held when a stream is cut before its usage arrives', async () => {
    const gateway = await underBudget(0.05);
    shared.script('gpt-4o-search-preview', { kind: 'cut', afterEvents: 1 });
    const stream = await clientOf(gateway).chat.completions.create({ ...ask, stream: true }).withResponse();
    await (async () => {
      for await (const _chunk of stream.data) void _chunk;
    })().catch(() => undefined);
    const row = await eventually(async () => {
      const found = await rowIn(gateway, stream.response.headers.get('x-request-id'));
      expect(found).toBeDefined();
      return found!;
    });
    expect(row).toMatchObject({ status: 'error', errorKind: 'stream_interrupted' });
    expect(row.costNanos).toBe(searchPreviewCost(row.usage));
  });

  describe('a search model asked without web_search_options, which searches all the same', () => {
    const { web_search_options: _none, ...unasked } = ask;

    it('refuses with 402 on the chat face under a budget that covers the tokens but not the search, whole and streamed', async () => {
      await expectRefusedForItsSearch(clientOf(await underBudget(0.02)), unasked);
    });

    it('bills its one search on the chat face, whole and streamed', async () => {
      const gateway = await underBudget(0.1);
      const { response } = await clientOf(gateway).chat.completions.create(unasked).withResponse();
      const stream = await clientOf(gateway).chat.completions.create({ ...unasked, stream: true }).withResponse();
      for await (const _chunk of stream.data) void _chunk;
      for (const id of [response.headers.get('x-request-id'), stream.response.headers.get('x-request-id')]) {
        const row = await eventually(async () => {
          const found = await rowIn(gateway, id);
          expect(found?.costNanos).toBeDefined();
          return found!;
        });
        expect(row.costNanos).toBe(searchPreviewCost(row.usage));
      }
    });

    it('holds and bills it on the Messages face, translated to OpenAI chat', async () => {
      const body = { model: 'openai/gpt-4o-search-preview', max_tokens: 64, messages: [{ role: 'user' as const, content: 'news' }] };
      const small = new Anthropic({ baseURL: (await underBudget(0.02)).url, apiKey: 'unused', maxRetries: 0 });
      expect(((await small.messages.create(body).catch((error: unknown) => error)) as InstanceType<typeof Anthropic.APIError>).status).toBe(402);
      expect(shared.requests).toHaveLength(0);
      await budgeted!.close();
      const gateway = await underBudget(0.05);
      const { data, response } = await new Anthropic({ baseURL: gateway.url, apiKey: 'unused', maxRetries: 0 }).messages.create(body).withResponse();
      expect(data.content).toMatchObject([{ type: 'text', text: 'Echo: news' }]);
      expect(shared.requests.at(-1)!.path).toBe('/v1/chat/completions');
      const row = (await rowIn(gateway, response.headers.get('x-request-id')))!;
      expect(row.costNanos).toBe(searchPreviewCost(row.usage));
    });
  });

  describe('sent through an OpenAI-compatible provider\'s options from the AI SDK and Anthropic faces', () => {
    const aiSdkAsk = (gateway: TestGateway) =>
      generateText({
        model: createGateway({ baseURL: `${gateway.url}/v3/ai`, apiKey: 'unused' })('compat/gpt-4o-search-preview'),
        prompt: 'news',
        maxOutputTokens: 64,
        maxRetries: 0,
        providerOptions: { compat: { web_search_options: { search_context_size: 'low' } } },
      });

    it('holds and bills the search the upstream runs (/v3/ai)', async () => {
      const gateway = await underBudget(0.05);
      const result = await aiSdkAsk(gateway);
      expect(result.text).toBe('Echo: news');
      expect((shared.requests.at(-1)!.body as { web_search_options?: unknown }).web_search_options).toEqual({ search_context_size: 'low' });
      const [row] = await gateway.ledger.requests();
      expect(row!.costNanos).toBe(searchPreviewCost(row!.usage));
    });

    it('refuses with 402 under a budget that covers the tokens but not the search (/v3/ai), with no upstream call', async () => {
      const failure = await aiSdkAsk(await underBudget(0.02)).catch((error: unknown) => error);
      expect(failure).toBeInstanceOf(GatewayError);
      expect((failure as GatewayError).statusCode).toBe(402);
      expect((failure as Error).message).toMatch(/up to 1 web search\b/);
      expect(shared.requests).toHaveLength(0);
    });

    it('holds and bills it on the Messages face, and refuses it with 402 under a budget too small', async () => {
      const body = {
        model: 'compat/gpt-4o-search-preview',
        max_tokens: 64,
        messages: [{ role: 'user' as const, content: 'news' }],
        providerOptions: { compat: { web_search_options: {} } },
      } as Anthropic.MessageCreateParamsNonStreaming;
      const small = new Anthropic({ baseURL: (await underBudget(0.02)).url, apiKey: 'unused', maxRetries: 0 });
      const failure = await small.messages.create(body).catch((error: unknown) => error);
      expect((failure as InstanceType<typeof Anthropic.APIError>).status).toBe(402);
      expect(shared.requests).toHaveLength(0);
      await budgeted!.close();
      const gateway = await underBudget(0.05);
      const { response } = await new Anthropic({ baseURL: gateway.url, apiKey: 'unused', maxRetries: 0 }).messages.create(body).withResponse();
      expect((shared.requests.at(-1)!.body as { web_search_options?: unknown }).web_search_options).toEqual({});
      const row = (await rowIn(gateway, response.headers.get('x-request-id')))!;
      expect(row.costNanos).toBe(searchPreviewCost(row.usage));
    });
  });
});

describe('hard budgets hold the searches', () => {
  let budgeted: TestGateway | undefined;
  afterEach(async () => {
    await budgeted?.close();
    budgeted = undefined;
  });
  const ask = (extra: Partial<Anthropic.WebSearchTool20250305> = {}, stream = false) =>
    new Anthropic({ baseURL: budgeted!.url, apiKey: 'unused', maxRetries: 0 }).messages
      .create({ model: 'claude/claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'What is Tollgate?' }], tools: [{ ...webSearch, ...extra }], stream } as Anthropic.MessageCreateParamsNonStreaming)
      .withResponse();
  async function underBudget(limitUsd: number, limits: { webSearchMaxUses?: number } = {}) {
    budgeted = await startGateway({
      mock: false,
      routing: { retries: 0 },
      limits,
      budgets: [{ scope: 'global', limitUsd, period: 'day' }],
      providers: { claude: { kind: 'anthropic', baseURL: upstream.url, apiKey: 'claude-key' } },
    });
  }
  const refusal = async (pending: Promise<unknown>) => {
    const failure = await pending.catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(Anthropic.APIError);
    expect((failure as InstanceType<typeof Anthropic.APIError>).status).toBe(402);
    return ((failure as InstanceType<typeof Anthropic.APIError>).error as { error: { type: string; message: string } }).error;
  };
  const usdIn = (message: string) => Number(/its worst case \(\$([\d.]+)/.exec(message)![1]);

  it('refuses with 402, before any upstream call, a request whose tokens fit but whose searches do not', async () => {
    await underBudget(0.02);
    const error = await refusal(ask({ max_uses: 3 }));
    expect(error.type).toBe('billing_error');
    expect(error.message).toMatch(/budget too small for this request.*up to 3 web searches.*max_uses/);
    // The tokens alone fit in $0.02; the three searches at $0.01 each are what does not.
    const worst = usdIn(error.message);
    expect(worst - 3 * 0.01).toBeLessThan(0.02);
    expect(worst).toBeGreaterThan(0.02);
    expect(upstream.bodies).toHaveLength(0);
  });

  it('serves a request the budget covers with its searches, and the ledger bills them', async () => {
    await underBudget(0.05);
    const { response } = await ask({ max_uses: 3 });
    expect(upstream.bodies).toHaveLength(1);
    const row = (await budgeted!.ledger.requests()).find((request) => request.id === response.headers.get('x-request-id'));
    expect(row).toMatchObject({ costNanos: SEARCH_COST });
    expect((await budgeted!.server.gateway.budgetStatus(undefined))[0]).toMatchObject({ spentUsd: SEARCH_COST / 1e9, reservedUsd: 0 });
  });

  it('sends limits.webSearchMaxUses as max_uses to a search tool that has none, and holds that many', async () => {
    await underBudget(0.05, { webSearchMaxUses: 2 });
    const { max_uses: _none, ...unbounded } = webSearch;
    await new Anthropic({ baseURL: budgeted!.url, apiKey: 'unused', maxRetries: 0 }).messages.create({
      model: 'claude/claude-sonnet-4-5',
      max_tokens: 256,
      messages: [{ role: 'user', content: 'What is Tollgate?' }],
      tools: [unbounded],
    });
    expect(upstream.bodies[0]!.tools).toEqual([{ ...unbounded, max_uses: 2 }]);
    await budgeted!.close();
    await underBudget(0.02, { webSearchMaxUses: 2 });
    const error = await refusal(
      new Anthropic({ baseURL: budgeted!.url, apiKey: 'unused', maxRetries: 0 }).messages.create({
        model: 'claude/claude-sonnet-4-5',
        max_tokens: 256,
        messages: [{ role: 'user', content: 'What is Tollgate?' }],
        tools: [unbounded],
      }),
    );
    expect(error.message).toMatch(/up to 2 web searches/);
    expect(upstream.bodies).toHaveLength(1);
  });

  it('sends the default of 5 when config sets none', async () => {
    const { max_uses: _none, ...unbounded } = webSearch;
    await client.messages.create({ model: 'claude/claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'What is Tollgate?' }], tools: [unbounded], stream: true });
    expect(upstream.bodies[0]!.tools).toEqual([{ ...unbounded, max_uses: 5 }]);
  });

  it('bills the searches held when a stream is cut before its usage arrives', async () => {
    await underBudget(0.05);
    const stream = await new Anthropic({ baseURL: budgeted!.url, apiKey: 'unused', maxRetries: 0 }).messages
      .create({ model: 'claude/claude-sonnet-4-5', max_tokens: 256, messages: [{ role: 'user', content: 'What is Tollgate?' }], tools: [webSearch], metadata: { user_id: 'cut' }, stream: true })
      .withResponse();
    await (async () => {
      for await (const _event of stream.data) void _event;
    })().catch(() => undefined);
    const row = await eventually(async () => {
      const found = (await budgeted!.ledger.requests()).find((request) => request.id === stream.response.headers.get('x-request-id'));
      expect(found).toBeDefined();
      return found!;
    });
    // The prompt at its worst case, the output received at a token a byte, and the 3 searches the tool allowed.
    expect(row).toMatchObject({ status: 'error', errorKind: 'stream_interrupted' });
    expect(row.usage.output).toBeGreaterThanOrEqual(Buffer.byteLength('Tollgate is a self-hosted AI gateway.'));
    expect(row.costNanos).toBe(nanos((row.usage.input * 3 + row.usage.output * 15) / 1e6 + 3 * 0.01));
  });

  it('never lets requests racing for one budget spend more than it, streamed or whole', async () => {
    const limitUsd = 0.1;
    await underBudget(limitUsd);
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, async (_, index) => {
        try {
          if (index % 2 === 0) {
            await ask({ max_uses: 2 });
          } else {
            const { data } = await ask({ max_uses: 2 }, true);
            for await (const _event of data as unknown as AsyncIterable<unknown>);
          }
          return 'served';
        } catch (error) {
          return (error as InstanceType<typeof Anthropic.APIError>).status;
        }
      }),
    );
    const served = outcomes.filter((outcome) => outcome === 'served').length;
    expect(outcomes.filter((outcome) => outcome !== 'served').every((outcome) => outcome === 402)).toBe(true);
    expect(served).toBeGreaterThanOrEqual(1);
    expect(upstream.bodies).toHaveLength(served);
    await expect.poll(async () => (await budgeted!.server.gateway.budgetStatus(undefined))[0]!.reservedUsd).toBe(0);
    const rows = await budgeted!.ledger.requests();
    const spent = rows.reduce((total, row) => total + (row.costNanos ?? 0), 0);
    expect(rows.filter((row) => row.costNanos === SEARCH_COST)).toHaveLength(served);
    expect(spent).toBeLessThanOrEqual(nanos(limitUsd));
  });
});

describe('Google grounding under a hard budget', () => {
  let gemini: JsonUpstream;
  let grounded: TestGateway | undefined;
  // gemini-2.5-flash as configured: $0.30/M input, $2.50/M output, $35 per 1,000 grounded prompts.
  const GROUNDED_COST = nanos((1000 * 0.3 + 100 * 2.5) / 1e6 + 0.035);

  /** A Gemini upstream whose answer was grounded by two Google searches, as the Generative Language API sends it. */
  function startGroundingGemini(): Promise<JsonUpstream> {
    return startJsonUpstream((_body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          candidates: [
            {
              content: { role: 'model', parts: [{ text: 'Tollgate is a self-hosted AI gateway.' }] },
              finishReason: 'STOP',
              index: 0,
              groundingMetadata: {
                webSearchQueries: ['tollgate gateway', 'tollgate ai gateway'],
                groundingChunks: [{ web: { uri: 'https://example.com/tollgate', title: 'example.com' } }],
                groundingSupports: [{ segment: { startIndex: 0, endIndex: 37, text: 'Tollgate is a self-hosted AI gateway.' }, groundingChunkIndices: [0] }],
              },
            },
          ],
          usageMetadata: { promptTokenCount: 1000, candidatesTokenCount: 100, totalTokenCount: 1100 },
          modelVersion: 'gemini-2.5-flash',
        }),
      );
    });
  }

  beforeAll(async () => {
    gemini = await startGroundingGemini();
  });
  afterAll(() => gemini?.close());
  afterEach(async () => {
    await grounded?.close();
    grounded = undefined;
    gemini.bodies.length = 0;
  });

  async function ground(limitUsd: number, pricing: Record<string, number>) {
    grounded = await startGateway({
      mock: false,
      routing: { retries: 0 },
      budgets: [{ scope: 'global', limitUsd, period: 'day' }],
      providers: { gem: { kind: 'google', baseURL: `${gemini.url}/v1beta`, apiKey: 'gem-key', models: { 'gemini-2.5-flash': { pricing } } } },
    });
    const provider = createGateway({ baseURL: `${grounded.url}/v3/ai`, apiKey: 'unused' });
    return generateText({
      model: provider('gem/gemini-2.5-flash'),
      prompt: 'What is Tollgate?',
      maxOutputTokens: 256,
      maxRetries: 0,
      tools: { google_search: google.tools.googleSearch({}) },
    });
  }
  const PRICED = { input: 0.3, output: 2.5, webSearchesPerThousand: 35 };

  it('holds one grounded prompt: a budget that covers the tokens but not it refuses with 402 and no upstream call', async () => {
    const failure = await ground(0.03, PRICED).catch((error: unknown) => error);
    expect(failure).toBeInstanceOf(GatewayError);
    expect((failure as GatewayError).statusCode).toBe(402);
    expect((failure as Error).message).toMatch(/up to 1 web search\b/);
    expect(gemini.bodies).toHaveLength(0);
  });

  it('bills the grounded prompt once, however many queries it ran', async () => {
    const result = await ground(0.05, PRICED);
    expect(result.text).toBe('Tollgate is a self-hosted AI gateway.');
    expect(gemini.bodies[0]!.tools).toEqual([{ googleSearch: {} }]);
    const rows = await grounded!.ledger.requests();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ costNanos: GROUNDED_COST });
  });

  it('refuses grounding whose price is unknown under a budget, naming the setting', async () => {
    const failure = await ground(1, { input: 0.3, output: 2.5 }).catch((error: unknown) => error);
    expect((failure as GatewayError).statusCode).toBe(403);
    expect((failure as Error).message).toMatch(/web search.*models\["gem\/gemini-2\.5-flash"\]\.pricing\.webSearchesPerThousand/);
    expect(gemini.bodies).toHaveLength(0);
  });
});
