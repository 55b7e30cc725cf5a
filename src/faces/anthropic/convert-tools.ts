/**
 * Anthropic `tools` and `tool_choice` → V3 function tools and tool choice. A tool's
 * `cache_control` rides as its `providerOptions.anthropic.cacheControl`.
 */
import type { JSONSchema7, LanguageModelV3FunctionTool, LanguageModelV3ToolChoice } from '@ai-sdk/provider';
import { GatewayError } from '../../core/errors.js';
import { cacheControlOptions } from './cache-control.js';
import type { Tool, ToolChoice } from './messages-api.js';

export function convertTools(tools: Tool[] | null | undefined): LanguageModelV3FunctionTool[] | undefined {
  if (!tools?.length) return undefined;
  return tools.map((tool) => {
    const converted: LanguageModelV3FunctionTool = {
      type: 'function',
      name: tool.name,
      inputSchema: tool.input_schema as JSONSchema7,
      ...cacheControlOptions(tool.cache_control),
    };
    if (tool.description != null) converted.description = tool.description;
    return converted;
  });
}

/** `any` is V3's `required`; a choice without tools means nothing and is dropped. */
export function convertToolChoice(
  choice: ToolChoice | null | undefined,
  tools: LanguageModelV3FunctionTool[] | undefined,
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
