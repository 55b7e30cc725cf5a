/**
 * MCP over stdio, for clients that spawn `tollgate mcp`. stdout carries the protocol and
 * nothing else; anything for humans goes to stderr.
 */
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import type { Gateway } from '../../core/types.js';
import type { JSONRPCMessage, MessageExtraInfo } from '@modelcontextprotocol/sdk/types.js';
import type { Principal } from '../../policy/types.js';
import { authInfoFor } from './auth-info.js';
import { createMcpServer, type McpServerOptions } from './server.js';

/**
 * Serves one client on this process's stdin/stdout; resolves when stdin ends or the client
 * disconnects. `principal` is the caller every tool call acts as (from `TOLLGATE_API_KEY`):
 * one agent, one key, one budget.
 */
export async function serveStdio(gateway: Gateway, options: McpServerOptions, principal?: Principal): Promise<void> {
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
  if (principal) {
    // Streamable HTTP hands the caller to tools as extra.authInfo; stdio has no request, so the
    // process's one caller is attached to every message the same way.
    const authInfo = authInfoFor(principal);
    type Deliver = (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;
    const deliver = transport.onmessage as unknown as Deliver;
    (transport as unknown as { onmessage: Deliver }).onmessage = (message, extra) => deliver(message, { ...extra, authInfo });
  }
  await done;
  process.stdin.off('end', onEnd);
  process.stdin.off('close', onEnd);
}
