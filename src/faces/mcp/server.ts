/** One MCP server (tools and resources over the gateway) per client session. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { MCP_TOOL_NAMES, type McpToolName } from '../../config/schema.js';
import type { Gateway } from '../../core/types.js';
import type { BudgetSignals } from '../../policy/budget-signals.js';
import type { NotificationBus } from '../../policy/state/bus/types.js';
import { unconfiguredSurface, type McpSurface } from './surface.js';
import { registerBudgetResource } from './budget-resource.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';
import { registerSpendApp } from './spend-app.js';
import { registerChatTool } from './tools/chat.js';
import { registerEmbedTool } from './tools/embed.js';
import { registerGenerateImageTool } from './tools/generate-image.js';
import { registerGetSpendTool } from './tools/get-spend.js';
import { registerListModelsTool } from './tools/list-models.js';
import { registerRerankTool } from './tools/rerank.js';
import { registerSpeakTool } from './tools/speak.js';
import { registerTranscribeTool } from './tools/transcribe.js';
import { GatewayMcpServer } from './tool-server.js';

export interface McpServerOptions {
  /** Served as the `tollgate://llms.txt` resource. */
  llmsTxt: string;
  /** Reported to clients in `serverInfo`. */
  version: string;
  /** The tools offered and their settings; every tool, no default model when absent. */
  surface?: McpSurface;
  /** Carries messages to the instance holding a session's stream, and budget subscriptions between instances. */
  bus: NotificationBus;
  /** What `tollgate://budget` subscribers are told about. */
  budgetSignals: BudgetSignals;
}

const registrars: Record<McpToolName, (server: McpServer, gateway: Gateway, surface: McpSurface) => void> = {
  chat: (server, gateway, surface) => registerChatTool(server, gateway, { defaultModel: surface.defaultModels.language, fileFetch: surface.fileFetch }),
  embed: (server, gateway, surface) => registerEmbedTool(server, gateway, surface.defaultModels.embedding),
  rerank: (server, gateway, surface) => registerRerankTool(server, gateway, surface.defaultModels.reranking),
  generate_image: (server, gateway, surface) => registerGenerateImageTool(server, gateway, surface.defaultModels.image),
  speak: (server, gateway, surface) => registerSpeakTool(server, gateway, surface.defaultModels.speech),
  transcribe: (server, gateway, surface) => registerTranscribeTool(server, gateway, surface.defaultModels.transcription),
  list_models: registerListModelsTool,
  get_spend: registerGetSpendTool,
};

const INSTRUCTIONS = `Tollgate is an AI gateway: these tools call many model providers through one endpoint, with fallback, budgets and a spend ledger.
Call list_models to find model ids (\`provider/model\`) and prices, then chat, embed, rerank, generate_image, speak or transcribe. Calls to paid models cost money; each result reports cost_usd, and get_spend reports totals.`;

/** What the mock costs here: free, or billed at the nominal prices the operator turned on. */
function mockNote(mock: McpSurface['mock']): string {
  if (mock === 'absent') return '';
  return mock === 'free'
    ? '\nThe `mock/*` models are offline test models and free.'
    : '\nThe `mock/*` models are offline test models, billed here at small nominal prices (list_models shows them) so budgets can be tried.';
}

export function createMcpServer(gateway: Gateway, options: McpServerOptions): McpServer {
  const surface = options.surface ?? unconfiguredSurface();
  const server = new GatewayMcpServer(
    gateway,
    { name: 'tollgate', title: 'Tollgate AI gateway', version: options.version },
    {
      instructions: `${INSTRUCTIONS}${mockNote(surface.mock)}\nRead tollgate://llms.txt for more.`,
      capabilities: { tools: {}, resources: {}, prompts: {}, completions: {} },
      // A tool call's arguments are small JSON; this bounds the work of validating hostile input.
      maxToolInputElements: 100_000,
    },
  );
  for (const name of MCP_TOOL_NAMES) if (surface.tools.includes(name)) registrars[name](server, gateway, surface);
  registerResources(server, gateway, options.llmsTxt);
  registerBudgetResource(server, gateway, { bus: options.bus, signals: options.budgetSignals });
  registerPrompts(server, gateway);
  registerSpendApp(server);
  return server;
}
