import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it } from 'vitest';
import type { ConfigInput } from '../../../src/config/schema.js';
import { parseToolList } from '../../../src/faces/mcp/surface.js';
import { startUpstream } from '../../support/upstreams/index.js';
import { startGateway } from '../../support/gateway.js';

/** What the MCP face offers follows the config: the tools listed, and the chat tool's default model. */
async function withMcp<T>(config: ConfigInput, run: (client: Client) => Promise<T>): Promise<T> {
  const gateway = await startGateway(config);
  const client = new Client({ name: 'surface-test', version: '1.0.0' });
  try {
    await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url)));
    return await run(client);
  } finally {
    await client.close();
    await gateway.close();
  }
}

describe('the MCP tools offered', () => {
  it('lists only the tools named in server.mcp.tools, and a call to another is refused', async () => {
    await withMcp({ server: { mcp: { tools: ['chat', 'list_models', 'get_spend'] } } }, async (client) => {
      const { tools } = await client.listTools();
      expect(tools.map((tool) => tool.name)).toEqual(['chat', 'list_models', 'get_spend']);
      const refused = await client.callTool({ name: 'embed', arguments: { texts: ['x'] } }).catch((error: Error) => error);
      expect(JSON.stringify(refused)).toMatch(/embed/);
    });
  });

  it('reads --tools as names, refusing unknown ones with the list of tools there are', () => {
    expect(parseToolList('chat, list_models,chat')).toEqual(['chat', 'list_models']);
    expect(parseToolList('chat,bogus')).toEqual({ error: expect.stringMatching(/unknown tool bogus; the tools are chat, embed, rerank/) });
  });
});

describe("the chat tool's default model", () => {
  it('is mock/echo when the mock is the sole provider', async () => {
    await withMcp({}, async (client) => {
      const chat = (await client.listTools()).tools.find((tool) => tool.name === 'chat')!;
      expect(chat.inputSchema.properties).toMatchObject({ model: { default: 'mock/echo' } });
      expect((await client.callTool({ name: 'chat', arguments: { prompt: 'hi' } })).structuredContent).toMatchObject({ model: 'mock/echo' });
    });
  });

  it('is required, not the mock, once a real provider is configured; defaultModel sets it', async () => {
    const upstream = await startUpstream();
    try {
      const providers = { oa: { kind: 'openai-compatible' as const, baseURL: `${upstream.url}/v1`, apiKey: 'k', models: { 'gpt-4o-mini': {} } } };
      await withMcp({ providers }, async (client) => {
        const chat = (await client.listTools()).tools.find((tool) => tool.name === 'chat')!;
        expect(chat.inputSchema.required).toContain('model');
        expect(JSON.stringify(chat.inputSchema.properties!.model)).toMatch(/required: no default is set/);
        // So do the other tools that call a model, each naming the kind of model it needs.
        const listing = await client.listTools();
        expect(Buffer.byteLength(JSON.stringify(listing))).toBeLessThanOrEqual(10_000);
        for (const [name, type] of [['embed', 'embedding'], ['rerank', 'reranking'], ['generate_image', 'image'], ['speak', 'speech'], ['transcribe', 'transcription']]) {
          const tool = listing.tools.find((candidate) => candidate.name === name)!;
          expect(tool.inputSchema.required, name).toContain('model');
          expect((tool.inputSchema.properties!.model as { description: string }).description).toBe(`list_models type=${type}; required: no default is set`);
        }
        const unnamed = await client.callTool({ name: 'embed', arguments: { texts: ['x'] } });
        expect(unnamed.isError).toBe(true);
        expect(JSON.stringify(unnamed.content)).toMatch(/model/);
        const refused = await client.callTool({ name: 'chat', arguments: { prompt: 'hi' } });
        expect(refused.isError).toBe(true);
        expect(JSON.stringify(refused.content)).toMatch(/model/);
      });
      await withMcp({ providers, defaultModel: 'oa/gpt-4o-mini' }, async (client) => {
        const chat = (await client.listTools()).tools.find((tool) => tool.name === 'chat')!;
        expect(chat.inputSchema.properties).toMatchObject({ model: { default: 'oa/gpt-4o-mini' } });
        expect((await client.callTool({ name: 'chat', arguments: { prompt: 'hi' } })).structuredContent).toMatchObject({ model: 'oa/gpt-4o-mini' });
      });
    } finally {
      await upstream.close();
    }
  });
});
