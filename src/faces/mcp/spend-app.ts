/**
 * The MCP App view of `get_spend`: one self-contained HTML page (script and styles inline, built
 * at install from `console/mcp-apps/`) that a host renders in a sandboxed frame and feeds the
 * tool's structured result. Hosts that do not render apps never read it.
 */
import { registerAppResource, RESOURCE_MIME_TYPE } from '@modelcontextprotocol/ext-apps/server';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { readBuiltText } from '../../http/built-assets.js';

export const SPEND_APP_URI = 'ui://tollgate/spend';
const BUILT_FILE = 'mcp-apps/spend.html';

/** The spec's code for an unknown resource (the SDK has no constant for it). */
const RESOURCE_NOT_FOUND = -32002;

let html: string | undefined;

export function registerSpendApp(server: McpServer): void {
  registerAppResource(
    server,
    'Spend chart',
    SPEND_APP_URI,
    {
      title: 'Spend chart',
      description: 'The chart the get_spend tool is shown with in hosts that render MCP Apps.',
      mimeType: RESOURCE_MIME_TYPE,
    },
    (uri) => {
      html ??= readBuiltText(BUILT_FILE);
      if (html === undefined) {
        throw new McpError(RESOURCE_NOT_FOUND, `The spend view is not built on this server (run \`npm run build\` in the Tollgate folder); get_spend's text and structured content still hold the figures.`, { uri: uri.href });
      }
      // Everything the view needs is inline: it asks the host for no other origin.
      return { contents: [{ uri: uri.href, mimeType: RESOURCE_MIME_TYPE, text: html, _meta: { ui: { csp: { connectDomains: [], resourceDomains: [] }, prefersBorder: true } } }] };
    },
  );
}
