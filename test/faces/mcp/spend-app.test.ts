/**
 * `get_spend` as an MCP App, through the MCP SDK's own client over Streamable HTTP: the tool
 * points at the `ui://tollgate/spend` view, the view is listed and readable as one
 * self-contained HTML page, and the tool still answers hosts that render no apps in text and
 * structured content.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMcpTestServer, textOf, type McpTestServer } from './helpers.js';

const SPEND_URI = 'ui://tollgate/spend';
const APP_MIME = 'text/html;profile=mcp-app';

let server: McpTestServer;
let client: Client;

beforeAll(async () => {
  server = await startMcpTestServer();
  ({ client } = await server.connect());
});
afterAll(async () => {
  await server?.close();
});

describe('get_spend as an MCP App', () => {
  it('declares the spend view in the tool’s _meta (and in the older flat key)', async () => {
    const { tools } = await client.listTools();
    const tool = tools.find((candidate) => candidate.name === 'get_spend')!;
    expect(tool._meta).toMatchObject({ ui: { resourceUri: SPEND_URI }, 'ui/resourceUri': SPEND_URI });
    // Only get_spend has a view.
    expect(tools.filter((candidate) => candidate._meta?.ui).map((candidate) => candidate.name)).toEqual(['get_spend']);
  });

  it('lists the view as an MCP App resource', async () => {
    const { resources } = await client.listResources();
    expect(resources).toContainEqual(expect.objectContaining({ uri: SPEND_URI, mimeType: APP_MIME, name: 'Spend chart' }));
  });

  it('serves the view as one HTML page with its script and styles inline, asking for no other origin', async () => {
    const { contents } = await client.readResource({ uri: SPEND_URI });
    expect(contents).toHaveLength(1);
    const [content] = contents as Array<{ uri: string; mimeType: string; text: string; _meta?: Record<string, any> }>;
    expect(content).toMatchObject({ uri: SPEND_URI, mimeType: APP_MIME });
    expect(content._meta?.ui?.csp).toEqual({ connectDomains: [], resourceDomains: [] });
    const html = content.text;
    expect(html).toMatch(/^<!doctype html>/i);
    expect(html).toMatch(/<script>[\s\S]{1000,}<\/script>/);
    expect(html).toMatch(/<style>[\s\S]{100,}<\/style>/);
    // Nothing is loaded from anywhere: no src or href to a URL, no placeholder left unfilled.
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toContain('%SCRIPT%');
    expect(html).not.toContain('%STYLE%');
    // The script speaks the MCP Apps protocol to its host.
    expect(html).toContain('ui/initialize');
  });

  it('still answers in text and structured content, for hosts that render no apps', async () => {
    await client.callTool({ name: 'chat', arguments: { model: 'mock/echo', prompt: 'something to report' } });
    const result = (await client.callTool({ name: 'get_spend', arguments: { group_by: 'day' } })) as CallToolResult;
    expect(result.isError).toBeFalsy();
    expect(textOf(result)).toMatch(/^Spend from the first request to \d{4}-\d\d-\d\d/);
    expect(result.structuredContent).toMatchObject({ group_by: 'day', total: { request_count: 1 }, results: [{ day: expect.any(String), request_count: 1 }] });
  });
});
