/**
 * Starts the real Tollgate server (mock provider, SQLite in a temporary folder) and connects the
 * MCP SDK's own client to its `/mcp` endpoint.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import type { App } from '../../../src/app.js';
import type { Gateway } from '../../../src/core/types.js';
import { parseConfig } from '../../../src/config/load.js';
import { startServer } from '../../../src/server.js';

export const allowedOrigin = 'https://app.example.com';

export interface McpTestServer {
  /** Base URL of the server, e.g. http://127.0.0.1:PORT. */
  url: string;
  mcpUrl: URL;
  /** The server's real gateway, for mounting the MCP handler again with other options. */
  gateway: Gateway;
  /** The server's app: its bus and budget signals, for mounting the MCP handler again. */
  app: Pick<App, 'bus' | 'budgetSignals'>;
  connect(): Promise<{ client: Client; transport: StreamableHTTPClientTransport }>;
  close(): Promise<void>;
}

export async function startMcpTestServer(): Promise<McpTestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'tollgate-mcp-'));
  // An empty env: provider keys of the machine running the tests must not leak in.
  const config = parseConfig({ server: { allowedOrigins: [allowedOrigin] }, mockPricing: true, logLevel: 'silent' }, {});
  const server = await startServer({ config, dataDir, port: 0, host: '127.0.0.1', logLevel: 'silent' });
  const mcpUrl = new URL('/mcp', server.url);
  const clients: Client[] = [];
  return {
    url: server.url,
    mcpUrl,
    gateway: server.gateway,
    app: server.app,
    async connect() {
      const client = new Client({ name: 'tollgate-test', version: '1.0.0' });
      const transport = new StreamableHTTPClientTransport(mcpUrl);
      await client.connect(transport);
      clients.push(client);
      return { client, transport };
    },
    async close() {
      await Promise.all(clients.map((client) => client.close().catch(() => undefined)));
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The text of every text block of a tool result, joined. */
export function textOf(result: CallToolResult): string {
  return result.content
    .flatMap((block) => (block.type === 'text' ? [block.text] : []))
    .join('\n');
}
