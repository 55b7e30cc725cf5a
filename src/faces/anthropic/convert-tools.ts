/**
 * Anthropic `tools` and `tool_choice` → V3 tools and tool choice. A custom tool becomes a
 * function tool, its `cache_control` riding as `providerOptions.anthropic.cacheControl`; web
 * search becomes the Anthropic provider's own tool of the same version, which only an Anthropic
 * upstream runs.
 */
import type { JSONObject, JSONSchema7, LanguageModelV3FunctionTool, LanguageModelV3ProviderTool, LanguageModelV3ToolChoice } from '@ai-sdk/provider';
import { GatewayError } from '../../core/errors.js';
import { cacheControlOptions } from './cache-control.js';
import type { CustomTool, Tool, ToolChoice, WebSearchTool } from './messages-api.js';

export type ConvertedTool = LanguageModelV3FunctionTool | LanguageModelV3ProviderTool;

export function convertTools(tools: Tool[] | null | undefined): ConvertedTool[] | undefined {
  if (!tools?.length) return undefined;
  return tools.map((tool): ConvertedTool => (isWebSearch(tool) ? convertWebSearch(tool) : convertCustom(tool)));
}

function isWebSearch(tool: Tool): tool is WebSearchTool {
  return tool.type === 'web_search_20250305' || tool.type === 'web_search_20260209';
}

function convertCustom(tool: CustomTool): LanguageModelV3FunctionTool {
  const converted: LanguageModelV3FunctionTool = {
    type: 'function',
    name: tool.name,
    inputSchema: tool.input_schema as JSONSchema7,
    ...cacheControlOptions(tool.cache_control),
  };
  if (tool.description != null) converted.description = tool.description;
  return converted;
}

/** The provider tool's arguments, under the names the AI SDK's Anthropic provider reads. */
function convertWebSearch(tool: WebSearchTool): LanguageModelV3ProviderTool {
  const args: JSONObject = {};
  if (tool.max_uses != null) args.maxUses = tool.max_uses;
  if (tool.allowed_domains != null) args.allowedDomains = tool.allowed_domains;
  if (tool.blocked_domains != null) args.blockedDomains = tool.blocked_domains;
  if (tool.user_location != null) {
    const { type, ...where } = tool.user_location;
    args.userLocation = { type, ...Object.fromEntries(Object.entries(where).filter(([, value]) => value != null)) };
  }
  return { type: 'provider', id: `anthropic.${tool.type}`, name: tool.name, args };
}

/** `any` is V3's `required`; a choice without tools means nothing and is dropped. */
export function convertToolChoice(
  choice: ToolChoice | null | undefined,
  tools: ConvertedTool[] | undefined,
): LanguageModelV3ToolChoice | undefined {
  if (choice == null || !tools) return undefined;
  switch (choice.type) {
    case 'auto':
      return { type: 'auto' };
    case 'any':
      return { type: 'required' };
    case 'none':
      return { type: 'none' };
    case 'tool':
      if (!tools.some((tool) => tool.name === choice.name)) {
        throw new GatewayError('invalid_request', `tool_choice names '${choice.name}', which is not in tools.`, { param: 'tool_choice.name' });
      }
      return { type: 'tool', toolName: choice.name };
  }
}

/** `disable_parallel_tool_use`, which only the Anthropic provider reads. */
export function disablesParallelToolUse(choice: ToolChoice | null | undefined): boolean {
  return choice != null && choice.type !== 'none' && choice.disable_parallel_tool_use === true;
}
