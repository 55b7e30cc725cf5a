import type { JSONObject, JSONSchema7, LanguageModelV3FunctionTool, LanguageModelV3ProviderTool, LanguageModelV3ToolChoice } from '@ai-sdk/provider';
import { GatewayError } from '../../core/errors.js';
import type { FunctionTool, Tool, ToolChoice, WebSearchTool } from './responses-api.js';

export interface PreparedTools {
  tools?: Array<LanguageModelV3FunctionTool | LanguageModelV3ProviderTool>;
  toolChoice?: LanguageModelV3ToolChoice;
}

/**
 * Responses tools and `tool_choice` → V3. Responses function tools are flat
 * (`{ type, name, parameters }`), unlike chat's `{ type, function: { … } }`. Web search becomes
 * the OpenAI provider's own tool, which only an OpenAI upstream runs; other built-in tools are
 * refused by the schema.
 */
export function prepareTools(tools: Tool[] | null | undefined, choice: ToolChoice | null | undefined): PreparedTools {
  if (!tools?.length) return {};
  const prepared: PreparedTools = { tools: tools.map((tool) => (tool.type === 'function' ? convertTool(tool) : convertWebSearch(tool))) };
  if (choice == null) return prepared;
  if (typeof choice === 'string') {
    prepared.toolChoice = { type: choice };
    return prepared;
  }
  if (!tools.some((tool) => tool.type === 'function' && tool.name === choice.name)) {
    throw new GatewayError('invalid_request', `tool_choice names '${choice.name}', which is not in tools.`, { param: 'tool_choice.name' });
  }
  prepared.toolChoice = { type: 'tool', toolName: choice.name };
  return prepared;
}

/** The provider tool's arguments, under the names the AI SDK's OpenAI provider reads. */
function convertWebSearch(tool: WebSearchTool): LanguageModelV3ProviderTool {
  const args: JSONObject = {};
  if (tool.search_context_size != null) args.searchContextSize = tool.search_context_size;
  if (tool.user_location != null) args.userLocation = definedOnly(tool.user_location);
  if (tool.type === 'web_search' && tool.filters != null) {
    args.filters = definedOnly({ allowedDomains: tool.filters.allowed_domains, blockedDomains: tool.filters.blocked_domains });
  }
  return { type: 'provider', id: `openai.${tool.type}`, name: tool.type, args };
}

function definedOnly(fields: Record<string, string | string[] | null | undefined>): JSONObject {
  const out: JSONObject = {};
  for (const [key, value] of Object.entries(fields)) if (value != null) out[key] = value;
  return out;
}

function convertTool(tool: FunctionTool): LanguageModelV3FunctionTool {
  const converted: LanguageModelV3FunctionTool = {
    type: 'function',
    name: tool.name,
    // A tool without parameters takes no arguments.
    inputSchema: (tool.parameters ?? { type: 'object', properties: {} }) as JSONSchema7,
  };
  if (tool.description != null) converted.description = tool.description;
  if (tool.strict != null) converted.strict = tool.strict;
  return converted;
}
