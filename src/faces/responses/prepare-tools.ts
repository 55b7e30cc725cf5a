import type { JSONSchema7, LanguageModelV3FunctionTool, LanguageModelV3ToolChoice } from '@ai-sdk/provider';
import { GatewayError } from '../../core/errors.js';
import type { FunctionTool, ToolChoice } from './responses-api.js';

export interface PreparedTools {
  tools?: LanguageModelV3FunctionTool[];
  toolChoice?: LanguageModelV3ToolChoice;
}

/**
 * Responses function tools and `tool_choice` → V3. Responses tools are flat
 * (`{ type, name, parameters }`), unlike chat's `{ type, function: { … } }`. Built-in tools are
 * refused by the schema: Tollgate runs none.
 */
export function prepareTools(tools: FunctionTool[] | null | undefined, choice: ToolChoice | null | undefined): PreparedTools {
  if (!tools?.length) return {};
  const prepared: PreparedTools = { tools: tools.map(convertTool) };
  if (choice == null) return prepared;
  if (typeof choice === 'string') {
    prepared.toolChoice = { type: choice };
    return prepared;
  }
  if (!tools.some((tool) => tool.name === choice.name)) {
    throw new GatewayError('invalid_request', `tool_choice names '${choice.name}', which is not in tools.`, { param: 'tool_choice.name' });
  }
  prepared.toolChoice = { type: 'tool', toolName: choice.name };
  return prepared;
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
