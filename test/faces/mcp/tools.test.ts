import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult, Progress } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { recordProgress, wantProgress } from '../../support/mcp-progress.js';
import { startMcpTestServer, textOf, type McpTestServer } from './helpers.js';

let server: McpTestServer;
let client: Client;
let transport: StreamableHTTPClientTransport;

beforeAll(async () => {
  server = await startMcpTestServer();
  ({ client, transport } = await server.connect());
});

afterAll(async () => {
  await server?.close();
});

/**
 * Calls a tool through the SDK client. The client checks `structuredContent` against the
 * tool's `outputSchema` (listTools caches the validators), so a result that does not match
 * makes this throw.
 */
async function call(name: string, args: Record<string, unknown>, options?: typeof wantProgress) {
  return (await client.callTool({ name, arguments: args }, undefined, options)) as CallToolResult;
}

/** The arguments each tool takes: trimming the listing must never drop one. */
const toolArguments: Record<string, string[]> = {
  chat: ['model', 'prompt', 'messages', 'system', 'tools', 'tool_choice', 'image_urls', 'fallback_models', 'max_tokens', 'temperature', 'json_schema'],
  embed: ['model', 'texts', 'dimensions'],
  rerank: ['model', 'query', 'documents', 'top_n'],
  generate_image: ['model', 'prompt', 'n', 'size'],
  speak: ['model', 'text', 'voice', 'format', 'speed', 'instructions'],
  transcribe: ['model', 'audio_uri', 'audio_base64', 'media_type', 'language', 'prompt'],
  list_models: ['type', 'provider', 'max_input_price_per_million', 'min_context_window'],
  get_spend: ['start_date', 'end_date', 'group_by', 'date_part', 'user_id', 'model', 'provider', 'api_key_name', 'tags', 'tags_match'],
};

type JsonSchema = { type?: unknown; anyOf?: JsonSchema[]; properties?: Record<string, JsonSchema>; items?: JsonSchema; description?: string };

describe('the tool list', () => {
  it('is at most 10 KB for all eight tools, what every agent conversation pays before it asks', async () => {
    const listing = await client.listTools();
    expect(listing.tools).toHaveLength(8);
    expect(Buffer.byteLength(JSON.stringify(listing))).toBeLessThanOrEqual(10_000);
  });

  it('gives each tool a title, a description, every argument typed, and its result fields typed', async () => {
    const { tools } = await client.listTools();
    expect(tools.map((tool) => tool.name).sort()).toEqual(Object.keys(toolArguments).sort());
    const typed = (schema: JsonSchema) => schema.type !== undefined || (schema.anyOf ?? []).every((option) => option.type !== undefined);
    for (const tool of tools) {
      expect(tool.title, tool.name).toBeTruthy();
      expect(tool.description!.length, tool.name).toBeGreaterThan(80);
      expect(tool.inputSchema.type).toBe('object');
      const properties = tool.inputSchema.properties as Record<string, JsonSchema>;
      expect(Object.keys(properties).sort(), tool.name).toEqual(toolArguments[tool.name]!.sort());
      for (const [name, schema] of Object.entries(properties)) expect(typed(schema), `${tool.name}.${name}`).toBe(true);
      for (const name of tool.inputSchema.required ?? []) expect(properties, tool.name).toHaveProperty(name);
      if (toolArguments[tool.name]![0] === 'model') expect(properties.model!.description, tool.name).toMatch(/list_models type=\w+/);
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      for (const [name, schema] of Object.entries(tool.outputSchema!.properties as Record<string, JsonSchema>)) {
        expect(typed(schema), `${tool.name} → ${name}`).toBe(true);
      }
      // zod's noise: a schema URL on every object and the safe-integer range on every integer.
      expect(JSON.stringify(tool), tool.name).not.toMatch(/\$schema|9007199254740991/);
    }
  });

  it('marks model calls as billed, open-world actions and catalog/spend reads as read-only (spec defaults unwritten)', async () => {
    const { tools } = await client.listTools();
    const byName = Object.fromEntries(tools.map((tool) => [tool.name, tool]));
    // The spec's defaults: readOnlyHint false, destructiveHint true, idempotentHint false, openWorldHint true.
    const hint = (name: string, key: 'readOnlyHint' | 'destructiveHint' | 'idempotentHint' | 'openWorldHint') =>
      byName[name]!.annotations?.[key] ?? { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true }[key];
    for (const name of ['chat', 'embed', 'rerank', 'generate_image', 'speak', 'transcribe']) {
      expect([hint(name, 'readOnlyHint'), hint(name, 'destructiveHint'), hint(name, 'idempotentHint'), hint(name, 'openWorldHint')], name).toEqual([false, false, false, true]);
      expect(byName[name]!.description, name).toMatch(/cost_usd/);
    }
    for (const name of ['list_models', 'get_spend']) {
      expect([hint(name, 'readOnlyHint'), hint(name, 'openWorldHint')], name).toEqual([true, false]);
      expect(byName[name]!.description, name).toMatch(/Free\./);
    }
  });

  it('documents the chat defaults in the input schema and the description', async () => {
    const { tools } = await client.listTools();
    const chat = tools.find((tool) => tool.name === 'chat')!;
    expect(chat.inputSchema.properties).toMatchObject({ model: { default: 'mock/echo' } });
    expect(chat.description).toMatch(/Default model mock\/echo\./);
  });

  it('still validates in full what the listing leaves unwritten', async () => {
    const refused = await call('chat', { prompt: 'hi', max_tokens: 9_007_199_254_740_993 });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toMatch(/max_tokens/);
    const empty = await call('embed', { texts: ['a'], model: '' });
    expect(empty.isError).toBe(true);
    expect(textOf(empty)).toMatch(/model/);
  });
});

describe('chat', () => {
  it('answers a prompt with text, the served model, usage and cost', async () => {
    const result = await call('chat', { prompt: 'Hello there' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({
      text: 'Echo: Hello there',
      model: 'mock/echo',
      provider: 'mock',
      finish_reason: 'stop',
      attempts: 1,
      request_id: expect.any(String),
      usage: { input_tokens: expect.any(Number), output_tokens: expect.any(Number) },
    });
    const structured = result.structuredContent as { usage: { output_tokens: number }; cost_usd: number | null };
    expect(structured.usage.output_tokens).toBeGreaterThan(0);
    expect(structured.cost_usd).toBeGreaterThan(0);
    // The answer stands alone in the first text block, so an agent can parse it.
    expect(result.content[0]).toEqual({ type: 'text', text: 'Echo: Hello there' });
    expect(textOf(result)).toContain('mock/echo');
  });

  it('takes a conversation with a system message', async () => {
    const result = await call('chat', {
      model: 'mock/echo',
      system: 'Be brief.',
      messages: [
        { role: 'user', content: 'first' },
        { role: 'assistant', content: 'Echo: first' },
        { role: 'user', content: 'second' },
      ],
    });
    expect(result.structuredContent).toMatchObject({ text: 'Echo: second' });
  });

  it('passes max_tokens on, reporting a length finish', async () => {
    const result = await call('chat', { prompt: 'one two three four five', max_tokens: 2 });
    expect(result.structuredContent).toMatchObject({ text: 'Echo: one', finish_reason: 'length' });
  });

  it('asks for JSON when given json_schema', async () => {
    const schema = { type: 'object', properties: { echo: { type: 'string' } }, required: ['echo'] };
    const result = await call('chat', { prompt: 'structured please', json_schema: schema });
    const { text } = result.structuredContent as { text: string };
    expect(JSON.parse(text)).toEqual({ echo: 'structured please' });
  });

  it('streams and sends increasing progress notifications when the client asks for progress', async () => {
    const updates: Progress[] = recordProgress(transport);
    const prompt = 'a long answer arrives word by word through the gateway stream';
    const result = await call('chat', { prompt }, wantProgress);
    const { text } = result.structuredContent as { text: string };
    expect(text).toBe(`Echo: ${prompt}`);
    expect(updates.length).toBeGreaterThan(0);
    for (let i = 1; i < updates.length; i++) expect(updates[i].progress).toBeGreaterThan(updates[i - 1].progress);
    // Progress counts characters received; the last update covers the whole answer.
    expect(updates.at(-1)!.progress).toBe(text.length);
    expect(updates[0].message).toMatch(/characters/);
  });

  it('falls back to the next model when the first is unknown', async () => {
    const result = await call('chat', { model: 'mock/no-such-model', fallback_models: ['mock/echo'], prompt: 'hi' });
    expect(result.isError).toBeFalsy();
    expect(result.structuredContent).toMatchObject({ model: 'mock/echo', text: 'Echo: hi' });
  });

  it('turns an unknown model into a tool error that points to list_models', async () => {
    const result = await call('chat', { model: 'nowhere/nothing', prompt: 'hi' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('list_models');
    expect(result._meta?.['tollgate/error']).toMatchObject({ kind: 'model_not_found' });
  });

  it('reports the same error on the streaming path', async () => {
    const result = await call('chat', { model: 'nowhere/nothing', prompt: 'hi' }, wantProgress);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('list_models');
  });

  it('asks for exactly one of prompt and messages', async () => {
    for (const args of [{}, { prompt: 'a', messages: [{ role: 'user', content: 'b' }] }]) {
      const result = await call('chat', args);
      expect(result.isError).toBe(true);
      expect(textOf(result)).toMatch(/exactly one of `prompt`.*`messages`/);
    }
  });

  it('rejects arguments of the wrong type as a tool error', async () => {
    const result = await call('chat', { prompt: 42 });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/prompt/);
  });
});

describe('embed', () => {
  it('returns one vector per text', async () => {
    const result = await call('embed', { texts: ['alpha', 'beta', 'gamma'] });
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as { embeddings: number[][]; dimensions: number; model: string };
    expect(structured.model).toBe('mock/embed');
    expect(structured.embeddings).toHaveLength(3);
    expect(structured.dimensions).toBeGreaterThan(0);
    for (const vector of structured.embeddings) expect(vector).toHaveLength(structured.dimensions);
    expect(textOf(result)).toContain(`3 embeddings × ${structured.dimensions} dimensions`);
  });

  it('is deterministic for the mock model', async () => {
    const [a, b] = await Promise.all([call('embed', { texts: ['same'] }), call('embed', { texts: ['same'] })]);
    expect(a.structuredContent).toEqual(b.structuredContent);
  });

  it('turns an unknown model into a tool error that points to list_models', async () => {
    const result = await call('embed', { model: 'nowhere/embed', texts: ['x'] });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('list_models');
  });

  it('rejects an empty list of texts', async () => {
    const result = await call('embed', { texts: [] });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/texts/);
  });
});

describe('rerank', () => {
  it('orders documents best first, each with its index and text', async () => {
    const documents = ['the cat sat on the mat', 'stock prices rose today', 'a cat and another cat'];
    const result = await call('rerank', { query: 'cat', documents, top_n: 2 });
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as {
      results: Array<{ index: number; relevance_score: number; document: string }>;
      model: string;
    };
    expect(structured.model).toBe('mock/rerank');
    expect(structured.results).toHaveLength(2);
    for (const r of structured.results) expect(r.document).toBe(documents[r.index]);
    expect(structured.results[0].relevance_score).toBeGreaterThanOrEqual(structured.results[1].relevance_score);
  });

  it('turns an unknown model into a tool error that points to list_models', async () => {
    const result = await call('rerank', { model: 'nowhere/rerank', query: 'q', documents: ['d'] });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('list_models');
  });

  it('rejects a missing query', async () => {
    const result = await call('rerank', { documents: ['d'] });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/query/);
  });
});

describe('generate_image', () => {
  it('returns an inline preview and a resource link per image, and no base64 in the text', async () => {
    const result = await call('generate_image', { prompt: 'a red square', n: 2, size: '16x16' });
    expect(result.isError).toBeFalsy();
    const structured = result.structuredContent as {
      images: Array<{ id: string; uri: string; media_type: string; bytes: number }>;
      model: string;
      cost_usd: number | null;
    };
    expect(structured.model).toBe('mock/image');
    expect(structured.images).toHaveLength(2);
    const previews = result.content.filter((block) => block.type === 'image');
    const links = result.content.filter((block) => block.type === 'resource_link');
    expect(previews).toHaveLength(2);
    expect(links).toHaveLength(2);
    structured.images.forEach((image, i) => {
      expect(image.uri).toBe(`tollgate://images/${encodeURIComponent(image.id)}`);
      expect(image.media_type).toBe('image/png');
      expect(links[i]).toMatchObject({ uri: image.uri, mimeType: 'image/png', name: expect.any(String) });
      const preview = previews[i] as { data: string; mimeType: string };
      expect(Buffer.from(preview.data, 'base64').byteLength).toBe(image.bytes);
      expect(textOf(result)).not.toContain(preview.data);
    });
  });

  it('links images that can be read back as resources', async () => {
    const result = await call('generate_image', { prompt: 'a blue square' });
    const preview = result.content.find((block) => block.type === 'image') as { data: string };
    const link = result.content.find((block) => block.type === 'resource_link') as { uri: string };
    const read = await client.readResource({ uri: link.uri });
    expect(read.contents).toEqual([{ uri: link.uri, mimeType: 'image/png', blob: preview.data }]);
    // A PNG signature, so the blob is the image itself.
    expect(Buffer.from(preview.data, 'base64').subarray(1, 4).toString('ascii')).toBe('PNG');
  });

  it('turns an unknown model into a tool error that points to list_models', async () => {
    const result = await call('generate_image', { model: 'nowhere/image', prompt: 'x' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('list_models');
  });

  it('rejects n above 4 and a malformed size', async () => {
    for (const args of [{ prompt: 'x', n: 5 }, { prompt: 'x', size: 'big' }]) {
      const result = await call('generate_image', args);
      expect(result.isError).toBe(true);
    }
  });
});

describe('list_models', () => {
  it("lists the mock provider's models with prices per million, cheapest input first", async () => {
    const result = await call('list_models', {});
    const { models, count } = result.structuredContent as {
      models: Array<{ id: string; type: string; input_per_million: number | null }>;
      count: number;
    };
    expect(count).toBe(models.length);
    expect(models.map((model) => model.id)).toEqual(
      expect.arrayContaining(['mock/echo', 'mock/embed', 'mock/rerank', 'mock/image']),
    );
    const prices = models.map((model) => model.input_per_million);
    const known = prices.filter((price): price is number => price !== null);
    expect(known).toEqual([...known].sort((a, b) => a - b));
    // Unknown prices come after every known one.
    expect(prices.slice(known.length).every((price) => price === null)).toBe(true);
    expect(models.find((model) => model.id === 'mock/echo')).toMatchObject({ type: 'language', input_per_million: 1 });
    expect(textOf(result)).toContain('mock/echo');
  });

  it('filters by type, provider, price and context window', async () => {
    const embedding = await call('list_models', { type: 'embedding' });
    expect((embedding.structuredContent as { models: Array<{ id: string }> }).models.map((m) => m.id)).toEqual(['mock/embed']);

    const none = await call('list_models', { provider: 'nobody' });
    expect(none.structuredContent).toEqual({ models: [], count: 0 });
    expect(textOf(none)).toMatch(/No model matches/);

    const cheap = await call('list_models', { max_input_price_per_million: 0.5 });
    const cheapIds = (cheap.structuredContent as { models: Array<{ id: string }> }).models.map((m) => m.id);
    expect(cheapIds).toContain('mock/embed');
    expect(cheapIds).not.toContain('mock/echo');

    const large = await call('list_models', { min_context_window: 100_000 });
    const largeIds = (large.structuredContent as { models: Array<{ id: string }> }).models.map((m) => m.id);
    expect(largeIds).toContain('mock/echo');
    expect(largeIds).not.toContain('mock/embed');
  });

  it('rejects an unknown type', async () => {
    const result = await call('list_models', { type: 'video' });
    expect(result.isError).toBe(true);
  });
});

describe('get_spend', () => {
  const today = () => new Date().toISOString().slice(0, 10);

  it('reports the calls made so far, grouped by model, in the rows of GET /v1/report', async () => {
    await call('chat', { prompt: 'count me' });
    const result = await call('get_spend', { group_by: 'model' });
    expect(result.isError).toBeFalsy();
    const report = result.structuredContent as {
      group_by: string;
      end_date: string;
      total: { request_count: number; total_cost: number };
      results: Array<{ model?: string; request_count: number; total_cost: number }>;
    };
    expect(report).toMatchObject({ group_by: 'model', start_date: null, end_date: today() });
    expect(report.total.request_count).toBeGreaterThan(0);
    expect(report.total.total_cost).toBeGreaterThan(0);
    expect(report.results.map((row) => row.model)).toContain('mock/echo');
    expect(report.results.reduce((sum, row) => sum + row.request_count, 0)).toBe(report.total.request_count);
    expect(textOf(result)).toContain('mock/echo');
  });

  it('takes a range of UTC days, both included, and filters', async () => {
    const future = await call('get_spend', { start_date: '2999-01-01', end_date: '2999-01-31' });
    expect(future.structuredContent).toMatchObject({ start_date: '2999-01-01', total: { request_count: 0 } });

    const all = await call('get_spend', { start_date: '2000-01-01', group_by: 'day' });
    const days = all.structuredContent as { results: Array<{ day: string }>; total: { request_count: number } };
    expect(days.total.request_count).toBeGreaterThan(0);
    expect(days.results.map((row) => row.day)).toContain(today());

    const embedOnly = await call('get_spend', { model: 'mock/embed', provider: 'mock' });
    const chats = await call('get_spend', { model: 'mock/echo' });
    expect((embedOnly.structuredContent as { total: { request_count: number } }).total.request_count).toBeLessThan(
      (chats.structuredContent as { total: { request_count: number } }).total.request_count,
    );
  });

  it('rejects a start_date that is not an ISO date, and a range that ends before it starts', async () => {
    const result = await call('get_spend', { start_date: 'last tuesday' });
    expect(result.isError).toBe(true);
    expect(textOf(result)).toMatch(/ISO 8601/);

    const backwards = await call('get_spend', { start_date: '2026-03-02', end_date: '2026-03-01' });
    expect(backwards.isError).toBe(true);
    expect(textOf(backwards)).toMatch(/after/);
  });

  it('rejects an unknown grouping', async () => {
    const result = await call('get_spend', { group_by: 'colour' });
    expect(result.isError).toBe(true);
  });
});

