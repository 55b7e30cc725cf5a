/**
 * The `/mcp` handler the HTTP server mounts. The MCP SDK and the tools' schemas cost about
 * 10 MB resident once loaded, and many deployments only ever serve the HTTP API: they are
 * loaded by the first request to `/mcp`, not at start-up.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Gateway } from '../../core/types.js';
import type { McpHttpHandler, McpHttpHandlerOptions } from './http-handler.js';

export function createMcpHttpHandler(gateway: Gateway, options: McpHttpHandlerOptions): McpHttpHandler {
  let loaded: McpHttpHandler | undefined;
  let loading: Promise<McpHttpHandler> | undefined;
  let closed = false;

  const load = (): Promise<McpHttpHandler> =>
    (loading ??= import('./http-handler.js').then(async (module) => {
      const handler = module.createMcpHttpHandler(gateway, options);
      // Closed before it was ever loaded: the handler still answers as a closed one does (503),
      // so it is closed as soon as it exists.
      if (closed) await handler.close();
      loaded = handler;
      return handler;
    }));

  return {
    get sessionCount() {
      return loaded?.sessionCount ?? 0;
    },
    async handle(req: IncomingMessage, res: ServerResponse, parsedBody?: unknown) {
      const handler = loaded ?? (await load());
      return handler.handle(req, res, parsedBody);
    },
    async close() {
      closed = true;
      if (loading) await (await loading).close();
    },
  };
}
