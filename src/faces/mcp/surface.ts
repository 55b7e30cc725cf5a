/** What the MCP face offers under a config: which tools, the tools' default models, how image URLs are fetched. */
import type { Config, McpToolName } from '../../config/schema.js';
import { ConfigSchema, MCP_TOOL_NAMES } from '../../config/schema.js';

export interface McpSurface {
  tools: readonly McpToolName[];
  /** Each tool's model when the caller names none, by kind; undefined: the caller must name one. */
  defaultModels: DefaultModels;
  /** Whether a mock provider is served, and if so whether it is free or billed at its nominal prices. */
  mock: 'absent' | 'free' | 'nominal';
  /** How the `chat` tool fetches the http(s) image URLs it is given. */
  fileFetch: Config['server']['fileFetch'];
}

export function mcpSurface(config: Config): McpSurface {
  const hasMock = Object.values(config.providers).some((provider) => provider.kind === 'mock');
  return {
    tools: config.server.mcp.tools ?? MCP_TOOL_NAMES,
    defaultModels: defaultModels(config),
    mock: !hasMock ? 'absent' : config.mockPricing ? 'nominal' : 'free',
    fileFetch: config.server.fileFetch,
  };
}

let unconfigured: McpSurface | undefined;

/** Every tool, no default model, the default file fetching: for a server made without a config. */
export function unconfiguredSurface(): McpSurface {
  unconfigured ??= mcpSurface(ConfigSchema.parse({}));
  return unconfigured;
}

export type DefaultModels = Record<'language' | 'embedding' | 'reranking' | 'image' | 'speech' | 'transcription', string | undefined>;

/** The mock's model of each kind. */
const MOCK_MODELS: Record<keyof DefaultModels, string> = {
  language: 'echo',
  embedding: 'embed',
  reranking: 'rerank',
  image: 'image',
  speech: 'speak',
  transcription: 'transcribe',
};

/**
 * The configured `defaultModel` for chat; else, for every kind, the mock's model, but only when
 * the mock is the sole provider: with real providers configured, a test model answering by
 * default would mislead, so the caller names one.
 */
function defaultModels(config: Config): DefaultModels {
  const providers = Object.entries(config.providers);
  const [only] = providers;
  const mock = providers.length === 1 && only![1].kind === 'mock' ? only![0] : undefined;
  const defaults = Object.fromEntries(
    Object.entries(MOCK_MODELS).map(([kind, model]) => [kind, mock ? `${mock}/${model}` : undefined]),
  ) as DefaultModels;
  if (config.defaultModel) defaults.language = config.defaultModel;
  return defaults;
}

/** `--tools chat,list_models` → the tool names, or a message naming the unknown ones and the known. */
export function parseToolList(value: string): McpToolName[] | { error: string } {
  const names = value
    .split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  const unknown = names.filter((name) => !(MCP_TOOL_NAMES as readonly string[]).includes(name));
  if (unknown.length || names.length === 0) {
    return { error: `--tools: ${unknown.length ? `unknown tool ${unknown.join(', ')}` : 'no tool named'}; the tools are ${MCP_TOOL_NAMES.join(', ')}` };
  }
  return [...new Set(names)] as McpToolName[];
}
