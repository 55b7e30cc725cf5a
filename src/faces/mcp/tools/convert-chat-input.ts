/** Turns the `chat` tool's arguments into the core's V3 `ChatRequest`. */
import type {
  JSONSchema7,
  LanguageModelV3CallOptions,
  LanguageModelV3FilePart,
  LanguageModelV3FunctionTool,
  LanguageModelV3Message,
  LanguageModelV3ToolChoice,
} from '@ai-sdk/provider';
import type { ChatRequest } from '../../../core/types.js';

export interface ChatToolCall {
  id: string;
  name: string;
  /** JSON-encoded, as the chat tool returned it. */
  arguments: string;
}

export interface ChatToolMessage {
  role: 'system' | 'user' | 'assistant' | 'tool';
  content?: string;
  /** Assistant messages: the calls the model made. */
  tool_calls?: ChatToolCall[];
  /** Tool messages: the call this message answers. */
  tool_call_id?: string;
}

export interface ChatToolFunction {
  name: string;
  description?: string;
  parameters?: Record<string, unknown>;
}

export interface ChatToolInput {
  model: string;
  prompt?: string;
  messages?: ChatToolMessage[];
  system?: string;
  tools?: ChatToolFunction[];
  tool_choice?: string;
  fallback_models?: string[];
  max_tokens?: number;
  temperature?: number;
  json_schema?: Record<string, unknown>;
}

type JsonResponseFormat = Extract<NonNullable<LanguageModelV3CallOptions['responseFormat']>, { type: 'json' }>;

export const exactlyOneInputMessage =
  'Pass exactly one of `prompt` (a single user message, the simple case) or `messages` (a whole conversation: [{ role: "system" | "user" | "assistant" | "tool", content }]).';

/** Returns the request, or a message for the agent when the arguments cannot make one. */
export function convertChatInput(input: ChatToolInput): ChatRequest | { error: string } {
  const hasPrompt = input.prompt !== undefined;
  const hasMessages = input.messages !== undefined;
  if (hasPrompt === hasMessages) return { error: exactlyOneInputMessage };

  const prompt: LanguageModelV3Message[] = [];
  if (input.system !== undefined) prompt.push({ role: 'system', content: input.system });
  const converted = convertMessages(input.messages ?? [{ role: 'user', content: input.prompt ?? '' }]);
  if ('error' in converted) return converted;
  prompt.push(...converted);
  if (!prompt.some((message) => message.role === 'user')) return { error: '`messages` needs at least one message with role "user".' };

  const call: LanguageModelV3CallOptions = { prompt };
  if (input.tools?.length) {
    const tools = input.tools.map(toFunctionTool);
    call.tools = tools;
    const toolChoice = toToolChoice(input.tool_choice, tools);
    if (typeof toolChoice === 'string') return { error: toolChoice };
    if (toolChoice) call.toolChoice = toolChoice;
  } else if (input.tool_choice !== undefined) {
    return { error: '`tool_choice` needs `tools`: pass the functions the model may call.' };
  }
  if (input.max_tokens !== undefined) call.maxOutputTokens = input.max_tokens;
  if (input.temperature !== undefined) call.temperature = input.temperature;
  if (input.json_schema !== undefined) {
    call.responseFormat = { type: 'json', schema: input.json_schema as JsonResponseFormat['schema'] };
  }

  const request: ChatRequest = { model: input.model, call };
  if (input.fallback_models && input.fallback_models.length > 0) {
    request.gateway = { models: input.fallback_models };
  }
  return request;
}

/** Images (already fetched) join the last user message, the one they are asked about. */
export function attachImages(request: ChatRequest, images: LanguageModelV3FilePart[]): void {
  const users = request.call.prompt.filter((message) => message.role === 'user');
  users[users.length - 1]?.content.push(...images);
}

function convertMessages(messages: ChatToolMessage[]): LanguageModelV3Message[] | { error: string } {
  const prompt: LanguageModelV3Message[] = [];
  /** Tool call id → tool name, from the assistant messages so far: a tool result must answer one. */
  const toolNames = new Map<string, string>();
  for (const [i, message] of messages.entries()) {
    const at = `messages[${i}]`;
    if (message.tool_calls !== undefined && message.role !== 'assistant') return { error: `${at}: only an assistant message has tool_calls.` };
    if (message.tool_call_id !== undefined && message.role !== 'tool') return { error: `${at}: only a tool message has a tool_call_id.` };
    const content = message.content ?? '';
    if (message.content === undefined && message.role !== 'assistant') return { error: `${at}: a ${message.role} message needs content.` };
    switch (message.role) {
      case 'system':
        prompt.push({ role: 'system', content });
        break;
      case 'user':
        prompt.push({ role: 'user', content: [{ type: 'text', text: content }] });
        break;
      case 'assistant': {
        const converted = convertAssistant(content, message.tool_calls ?? [], at, toolNames);
        if ('error' in converted) return converted;
        prompt.push(converted);
        break;
      }
      case 'tool': {
        const id = message.tool_call_id;
        const toolName = id === undefined ? undefined : toolNames.get(id);
        if (id === undefined || toolName === undefined) {
          return { error: `${at}: a tool message needs the tool_call_id of a call in an earlier assistant message's tool_calls.` };
        }
        const part = { type: 'tool-result' as const, toolCallId: id, toolName, output: { type: 'text' as const, value: content } };
        // The results of one assistant turn's calls form one V3 tool message.
        const previous = prompt.at(-1);
        if (previous?.role === 'tool') previous.content.push(part);
        else prompt.push({ role: 'tool', content: [part] });
        break;
      }
    }
  }
  return prompt;
}

function convertAssistant(text: string, calls: ChatToolCall[], at: string, toolNames: Map<string, string>): LanguageModelV3Message | { error: string } {
  const message: Extract<LanguageModelV3Message, { role: 'assistant' }> = { role: 'assistant', content: [] };
  if (text !== '') message.content.push({ type: 'text', text });
  for (const [k, call] of calls.entries()) {
    let input: unknown;
    try {
      // Tools without parameters come back with empty arguments from several providers.
      input = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
    } catch {
      return { error: `${at}.tool_calls[${k}].arguments must be the JSON text the chat tool returned.` };
    }
    toolNames.set(call.id, call.name);
    message.content.push({ type: 'tool-call', toolCallId: call.id, toolName: call.name, input });
  }
  if (message.content.length === 0) return { error: `${at}: an assistant message needs content or tool_calls.` };
  return message;
}

function toFunctionTool(tool: ChatToolFunction): LanguageModelV3FunctionTool {
  const converted: LanguageModelV3FunctionTool = {
    type: 'function',
    name: tool.name,
    // No parameters: a function without arguments, as OpenAI reads it.
    inputSchema: (tool.parameters ?? { type: 'object', properties: {} }) as JSONSchema7,
  };
  if (tool.description !== undefined) converted.description = tool.description;
  return converted;
}

/** The V3 tool choice; a message when it names no tool offered. */
function toToolChoice(choice: string | undefined, tools: LanguageModelV3FunctionTool[]): LanguageModelV3ToolChoice | undefined | string {
  if (choice === undefined) return undefined;
  if (choice === 'auto' || choice === 'none' || choice === 'required') return { type: choice };
  if (tools.some((tool) => tool.name === choice)) return { type: 'tool', toolName: choice };
  return `\`tool_choice\` is "${choice}": use auto, none, required or the name of one of \`tools\` (${tools.map((tool) => tool.name).join(', ')}).`;
}
