/**
 * MCP over stdio, for clients that spawn `tollgate mcp`. stdout carries the protocol and
 * nothing else; anything for humans goes to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Gateway } from '../../core/types.js';
import { createMcpServer, type McpServerOptions } from './server.js';

/** Serves one client on this process's stdin/stdout; resolves when stdin ends or the client disconnects. */
export async function serveStdio(gateway: Gateway, options: McpServerOptions): Promise<void> {
  const server = createMcpServer(gateway, options);
  const transport = new StdioServerTransport(process.stdin, process.stdout);
  const done = new Promise<void>((resolve) => {
    transport.onclose = resolve;
  });
  // The SDK's stdio transport does not watch for the end of stdin; without this the process
  // would outlive the client that spawned it.
  const onEnd = (): void => {
    void server.close();
  };
  process.stdin.once('end', onEnd);
  process.stdin.once('close', onEnd);
  await server.connect(transport);
  await done;
  process.stdin.off('end', onEnd);
  process.stdin.off('close', onEnd);
}
