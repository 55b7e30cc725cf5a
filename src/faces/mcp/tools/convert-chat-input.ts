/** Turns the `chat` tool's arguments into the core's V3 `ChatRequest`. */
import type { LanguageModelV3CallOptions, LanguageModelV3Message } from '@ai-sdk/provider';
import type { ChatRequest } from '../../../core/types.js';

export interface ChatToolMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatToolInput {
  model: string;
  prompt?: string;
  messages?: ChatToolMessage[];
  system?: string;
  fallback_models?: string[];
  max_tokens?: number;
  temperature?: number;
  json_schema?: Record<string, unknown>;
}

type JsonResponseFormat = Extract<NonNullable<LanguageModelV3CallOptions['responseFormat']>, { type: 'json' }>;

export const exactlyOneInputMessage =
  'Pass exactly one of `prompt` (a single user message, the simple case) or `messages` (a whole conversation: [{ role: "system" | "user" | "assistant", content }]).';

/** Returns the request, or a message for the agent when the arguments cannot make one. */
export function convertChatInput(input: ChatToolInput): ChatRequest | { error: string } {
  const hasPrompt = input.prompt !== undefined;
  const hasMessages = input.messages !== undefined;
  if (hasPrompt === hasMessages) return { error: exactlyOneInputMessage };

  const prompt: LanguageModelV3Message[] = [];
  if (input.system !== undefined) prompt.push({ role: 'system', content: input.system });
  const messages = input.messages ?? [{ role: 'user', content: input.prompt ?? '' }];
  for (const message of messages) prompt.push(toV3Message(message));
  if (!prompt.some((message) => message.role === 'user')) {
    return { error: '`messages` needs at least one message with role "user".' };
  }

  const call: LanguageModelV3CallOptions = { prompt };
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

function toV3Message(message: ChatToolMessage): LanguageModelV3Message {
  switch (message.role) {
    case 'system':
      return { role: 'system', content: message.content };
    case 'user':
      return { role: 'user', content: [{ type: 'text', text: message.content }] };
    case 'assistant':
      return { role: 'assistant', content: [{ type: 'text', text: message.content }] };
  }
}
