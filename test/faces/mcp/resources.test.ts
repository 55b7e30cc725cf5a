import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcpTestServer, type McpTestServer } from './helpers.js';

let server: McpTestServer;
let client: Client;

beforeAll(async () => {
  server = await startMcpTestServer();
  ({ client } = await server.connect());
});

afterAll(async () => {
  await server?.close();
});

const modelTemplate = 'tollgate://models/{+id}';

describe('resources', () => {
  it('lists llms.txt and the model catalog', async () => {
    const { resources } = await client.listResources();
    expect(resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ uri: 'tollgate://llms.txt', mimeType: 'text/plain' }),
        expect.objectContaining({ uri: 'tollgate://models', mimeType: 'application/json' }),
      ]),
    );
  });

  it('serves llms.txt as text', async () => {
    const { contents } = await client.readResource({ uri: 'tollgate://llms.txt' });
    expect(contents).toHaveLength(1);
    expect(contents[0]).toMatchObject({ uri: 'tollgate://llms.txt', mimeType: 'text/plain' });
    expect((contents[0] as { text: string }).text.length).toBeGreaterThan(0);
  });

  it('serves the catalog as JSON', async () => {
    const { contents } = await client.readResource({ uri: 'tollgate://models' });
    expect(contents[0].mimeType).toBe('application/json');
    const catalog = JSON.parse((contents[0] as { text: string }).text) as Array<{ id: string; type: string }>;
    expect(catalog).toEqual(expect.arrayContaining([expect.objectContaining({ id: 'mock/echo', type: 'language' })]));
  });

  it('offers templates for one model, generated images and spoken audio', async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate).sort()).toEqual(
      ['tollgate://images/{id}', 'tollgate://audio/{id}', modelTemplate].sort(),
    );
  });

  it('reads one model by its id, slash included', async () => {
    const { contents } = await client.readResource({ uri: 'tollgate://models/mock/echo' });
    expect(contents[0]).toMatchObject({ uri: 'tollgate://models/mock/echo', mimeType: 'application/json' });
    expect(JSON.parse((contents[0] as { text: string }).text)).toMatchObject({ id: 'mock/echo', provider: 'mock' });
  });

  it('answers an unknown model with a resource-not-found error', async () => {
    await expect(client.readResource({ uri: 'tollgate://models/nowhere/nothing' })).rejects.toMatchObject({
      code: -32002,
      message: expect.stringContaining('list_models'),
    });
  });

  it('answers an unknown image with a resource-not-found error', async () => {
    await expect(client.readResource({ uri: 'tollgate://images/no-such-image' })).rejects.toMatchObject({ code: -32002 });
  });
});

describe('completion of model ids', () => {
  const complete = (value: string) =>
    client.complete({ ref: { type: 'ref/resource', uri: modelTemplate }, argument: { name: 'id', value } });

  it('is announced as a server capability', () => {
    expect(client.getServerCapabilities()?.completions).toBeDefined();
  });

  it('completes a provider prefix to every id under it', async () => {
    const { completion } = await complete('mock/');
    expect(completion.values).toEqual(['mock/echo', 'mock/embed', 'mock/image', 'mock/rerank', 'mock/speak', 'mock/transcribe']);
  });

  it('narrows as the prefix grows', async () => {
    expect((await complete('mock/e')).completion.values).toEqual(['mock/echo', 'mock/embed']);
    expect((await complete('mock/em')).completion.values).toEqual(['mock/embed']);
  });

  it('completes a bare model name too', async () => {
    expect((await complete('rer')).completion.values).toEqual(['mock/rerank']);
  });

  it('returns nothing for a prefix no id has', async () => {
    expect((await complete('zzz')).completion.values).toEqual([]);
  });
});
