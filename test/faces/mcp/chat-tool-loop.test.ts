import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGateway, type TestGateway } from '../../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../../support/upstreams/index.js';
import { textOf } from './helpers.js';

/**
 * The `chat` tool lets an agent delegate a tool loop or a vision question to another model: it
 * takes function tools, tool_choice, assistant tool_calls and tool results, and images by URL,
 * data: URL or tollgate://images/{id} link. What the upstream received is the proof.
 */
const ADMIN_KEY = 'admin-chat-loop-71c2';
const PNG = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex');
const WEATHER = {
  name: 'get_weather',
  description: 'Weather in a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
};

let upstream: StartedUpstream;
let files: Server;
let filesUrl: string;
let gateway: TestGateway;
let makerKey: string;
let otherKey: string;
const clients: Client[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
  files = createServer((req, res) => {
    if (req.url === '/cat.png') res.writeHead(200, { 'content-type': 'image/png' }).end(PNG);
    else res.writeHead(200, { 'content-type': 'text/html' }).end('<p>not an image</p>');
  });
  await new Promise<void>((resolve) => files.listen(0, '127.0.0.1', resolve));
  filesUrl = `http://127.0.0.1:${(files.address() as AddressInfo).port}`;
  gateway = await startGateway(
    {
      providers: { oa: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { 'gpt-4o-mini': {} } } },
      // The loopback file server stands in for a public one.
      server: { fileFetch: { allowPrivate: true } },
    },
    { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } },
  );
  makerKey = (await gateway.server.app.store.keys.create({ name: 'maker' })).key;
  otherKey = (await gateway.server.app.store.keys.create({ name: 'other' })).key;
});

afterAll(async () => {
  await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
  await gateway?.close();
  await upstream?.close();
  await new Promise((resolve) => files?.close(resolve));
});

beforeEach(() => upstream.reset());

async function connect(key: string, url = gateway.url): Promise<Client> {
  const client = new Client({ name: 'chat-loop', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  clients.push(client);
  return client;
}

async function chat(client: Client, args: Record<string, unknown>): Promise<CallToolResult> {
  return (await client.callTool({ name: 'chat', arguments: { model: 'oa/gpt-4o-mini', ...args } })) as CallToolResult;
}

/** The body of the one chat completion the upstream received. */
function upstreamBody(): { messages: Array<Record<string, unknown>>; tools?: unknown; tool_choice?: unknown } {
  const calls = upstream.requests.filter((request) => request.path === '/v1/chat/completions');
  expect(calls).toHaveLength(1);
  return calls[0]!.body as never;
}

describe('the chat tool runs a tool loop', () => {
  it('offers function tools, returns the call, then sends the call and its result back', async () => {
    const client = await connect(makerKey);
    const first = await chat(client, { prompt: 'Use the tool for Paris', tools: [WEATHER], tool_choice: 'required' });
    expect(first.isError).toBeFalsy();
    expect(first.structuredContent).toMatchObject({
      finish_reason: 'tool-calls',
      tool_calls: [{ id: 'call_1', name: 'get_weather', arguments: '{"city":"Paris"}' }],
    });
    expect(upstreamBody()).toMatchObject({
      tools: [{ type: 'function', function: { name: 'get_weather', description: 'Weather in a city', parameters: WEATHER.parameters } }],
      tool_choice: 'required',
    });

    upstream.reset();
    const { tool_calls: toolCalls } = first.structuredContent as { tool_calls: unknown[] };
    const second = await chat(client, {
      tools: [WEATHER],
      messages: [
        { role: 'user', content: 'Use the tool for Paris' },
        { role: 'assistant', tool_calls: toolCalls },
        { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
      ],
    });
    expect(second.structuredContent).toMatchObject({ text: 'Tool said: sunny', finish_reason: 'stop' });
    expect(upstreamBody().messages).toEqual([
      { role: 'user', content: 'Use the tool for Paris' },
      {
        role: 'assistant',
        content: null,
        tool_calls: [{ id: 'call_1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
      },
      { role: 'tool', tool_call_id: 'call_1', content: 'sunny' },
    ]);
  });

  it('names one tool to call with tool_choice', async () => {
    const client = await connect(makerKey);
    await chat(client, { prompt: 'Weather?', tools: [WEATHER, { name: 'get_time' }], tool_choice: 'get_time' });
    expect(upstreamBody()).toMatchObject({
      tools: [{ function: { name: 'get_weather' } }, { function: { name: 'get_time', parameters: { type: 'object', properties: {} } } }],
      tool_choice: { type: 'function', function: { name: 'get_time' } },
    });
  });

  it('refuses a tool_choice naming no tool offered, a tool result answering no call, and arguments that are not JSON, calling no model', async () => {
    const client = await connect(makerKey);
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      [{ prompt: 'x', tools: [WEATHER], tool_choice: 'get_time' }, /tool_choice.*"get_time".*get_weather/],
      [{ prompt: 'x', tool_choice: 'auto' }, /tool_choice.*needs.*tools/],
      [{ messages: [{ role: 'user', content: 'x' }, { role: 'tool', tool_call_id: 'call_9', content: 'sunny' }] }, /messages\[1\].*tool_call_id/],
      [{ messages: [{ role: 'user', content: 'x' }, { role: 'assistant', tool_calls: [{ id: 'c', name: 'f', arguments: '{oops' }] }] }, /messages\[1\]\.tool_calls\[0\]\.arguments/],
      [{ messages: [{ role: 'user', content: 'x', tool_calls: [] }] }, /only an assistant message has tool_calls/],
    ];
    for (const [args, message] of cases) {
      const result = await chat(client, args);
      expect(result.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(result)).toMatch(message);
    }
    expect(upstream.requests).toHaveLength(0);
  });
});

describe('the chat tool takes images', () => {
  it('sends a fetched URL, a data: URL and a tollgate://images link of the caller with the last user message', async () => {
    const client = await connect(makerKey);
    const made = (await client.callTool({ name: 'generate_image', arguments: { model: 'mock/image', prompt: 'a lighthouse' } })) as CallToolResult;
    const { uri } = (made.structuredContent as { images: Array<{ uri: string }> }).images[0]!;
    const stored = (await client.readResource({ uri })).contents[0] as { blob: string; mimeType: string };
    upstream.reset();

    const result = await chat(client, {
      messages: [
        { role: 'user', content: 'First question' },
        { role: 'assistant', content: 'First answer' },
        { role: 'user', content: 'What is in these?' },
      ],
      image_urls: [`${filesUrl}/cat.png`, `data:image/png;base64,${PNG.toString('base64')}`, uri],
    });
    expect(result.isError, textOf(result)).toBeFalsy();
    const messages = upstreamBody().messages;
    expect(messages[0]).toEqual({ role: 'user', content: 'First question' });
    expect(messages[2]).toEqual({
      role: 'user',
      content: [
        { type: 'text', text: 'What is in these?' },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
        { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG.toString('base64')}` } },
        { type: 'image_url', image_url: { url: `data:${stored.mimeType};base64,${stored.blob}` } },
      ],
    });
  });

  it("refuses another caller's image link, a page that is not an image and a data: URL of text, calling no model", async () => {
    const maker = await connect(makerKey);
    const made = (await maker.callTool({ name: 'generate_image', arguments: { model: 'mock/image', prompt: 'a lighthouse' } })) as CallToolResult;
    const { uri } = (made.structuredContent as { images: Array<{ uri: string }> }).images[0]!;
    upstream.reset();

    const other = await connect(otherKey);
    const cases: Array<[string, RegExp]> = [
      [uri, /image_urls\[0\]: no image tollgate:\/\/images\/.* for this caller/],
      [`${filesUrl}/page.html`, /text\/html/],
      ['data:text/plain;base64,aGk=', /image_urls\[0\]: expected data:image/],
      ['ftp://example.com/cat.png', /image_urls\[0\]: use an https, data: or tollgate:\/\/images/],
    ];
    for (const [url, message] of cases) {
      const result = await chat(other, { prompt: 'What is this?', image_urls: [url] });
      expect(result.isError, url).toBe(true);
      expect(textOf(result), url).toMatch(message);
    }
    expect(upstream.requests).toHaveLength(0);
  });

  it('does not fetch an image URL on a private address unless the operator allows it', async () => {
    const guarded = await startGateway({
      providers: { oa: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { 'gpt-4o-mini': {} } } },
    });
    try {
      const client = new Client({ name: 'chat-ssrf', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', guarded.url)));
      clients.push(client);
      const result = await chat(client, { prompt: 'What is this?', image_urls: [`${filesUrl}/cat.png`] });
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/127\.0\.0\.1.*(private|loopback|not public)|(private|loopback|not public).*127\.0\.0\.1/i);
      expect(upstream.requests).toHaveLength(0);
    } finally {
      await guarded.close();
    }
  });
});
