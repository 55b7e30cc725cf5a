/**
 * The MCP face: tools and resources over the gateway, served on Streamable HTTP (`/mcp`) and
 * on stdio. Everything that touches the MCP SDK lives in this folder, so moving to the SDK's
 * split v2 packages changes nothing outside it.
 */
export { createMcpServer, type McpServerOptions } from './server.js';
export { createMcpHttpHandler, type McpHttpHandler, type McpHttpHandlerOptions } from './http-handler.js';
export { serveStdio } from './stdio.js';
export { attachPrincipal } from './auth-info.js';
