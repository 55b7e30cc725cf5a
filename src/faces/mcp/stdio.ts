/**
 * MCP over stdio, for clients that spawn `tollgate mcp`. stdout carries the protocol and
 * nothing else; anything for humans goes to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Gateway } from '../../core/types.js';
import { CallerTransport, type CallerLookup } from './caller-transport.js';
import { createMcpServer, type McpServerOptions } from './server.js';

/**
 * Serves one client on this process's stdin/stdout; resolves when stdin ends or the client
 * disconnects. `caller` says who every request acts as (the key in `TOLLGATE_API_KEY`: one
 * agent, one key, one budget); it is asked again for each request, so a revoked key or a changed
 * limit counts from the next call on, as over HTTP.
 */
export async function serveStdio(gateway: Gateway, options: McpServerOptions, caller: CallerLookup): Promise<void> {
  const server = createMcpServer(gateway, options);
  const transport = new CallerTransport(new StdioServerTransport(process.stdin, process.stdout), caller);
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
