/**
 * The MCP face: tools and resources over the gateway, served on Streamable HTTP (`/mcp`) and
 * on stdio. Everything that touches the MCP SDK lives in this folder, so moving to the SDK's
 * split v2 packages changes nothing outside it. This entry point imports none of the SDK
 * itself: it is loaded when MCP is first served (see lazy-http-handler.ts).
 */
import type { Gateway } from '../../core/types.js';
import type { CallerLookup } from './caller-transport.js';
import type { McpServerOptions } from './server.js';

export type { McpServerOptions } from './server.js';
export type { McpHttpHandler, McpHttpHandlerOptions } from './http-handler.js';
export type { CallerLookup } from './caller-transport.js';
export { createMcpHttpHandler } from './lazy-http-handler.js';
export { attachPrincipal } from './auth-info.js';
export { mcpSurface, parseToolList, type McpSurface } from './surface.js';

/** See stdio.ts. */
export async function serveStdio(gateway: Gateway, options: McpServerOptions, caller: CallerLookup): Promise<void> {
  const stdio = await import('./stdio.js');
  return stdio.serveStdio(gateway, options, caller);
}
