import type {
  LanguageModelV3CallOptions,
  LanguageModelV3FinishReason,
  LanguageModelV3FunctionTool,
  LanguageModelV3Message,
  LanguageModelV3ToolResultOutput,
} from '@ai-sdk/provider';
import { words } from './words.js';

export const mockToolCallId = 'call_mock_1';
export const mockToolInput = { city: 'Paris' };

/** What the echo model answers, decided once and then either returned whole or streamed. */
export type MockAnswer =
  | { kind: 'text'; text: string; outputTokens: number; finishReason: LanguageModelV3FinishReason }
  | {
      kind: 'tool-call';
      toolName: string;
      input: string;
      outputTokens: number;
      finishReason: LanguageModelV3FinishReason;
    };

const stop: LanguageModelV3FinishReason = { unified: 'stop', raw: 'stop' };
const length: LanguageModelV3FinishReason = { unified: 'length', raw: 'length' };
const toolCalls: LanguageModelV3FinishReason = { unified: 'tool-calls', raw: 'tool_calls' };

/**
 * The echo model's rules, in order:
 * 1. the last message carries tool results → `Tool said: <json of the result>`;
 * 2. function tools are offered and the last user message says "tool" (or the tool choice
 *    requires one) → one call of the first (or the chosen) tool with `{"city":"Paris"}`;
 * 3. a JSON response format → `{"echo":"<last user text>"}`;
 * 4. otherwise → `Echo: <last user text>`.
 * Text answers are cut to `maxOutputTokens` words (finish reason `length`).
 */
export function planAnswer(call: LanguageModelV3CallOptions): MockAnswer {
  const last = call.prompt.at(-1);
  if (last?.role === 'tool') {
    return textAnswer(`Tool said: ${JSON.stringify(toolResultValue(last))}`, call.maxOutputTokens);
  }

  const userText = lastUserText(call.prompt);
  const tool = chooseTool(call, userText);
  if (tool) {
    const input = JSON.stringify(mockToolInput);
    return { kind: 'tool-call', toolName: tool.name, input, outputTokens: words(input).length, finishReason: toolCalls };
  }

  if (call.responseFormat?.type === 'json') {
    const max = call.maxOutputTokens;
    const echoed = words(userText);
    // Truncate inside the value so that the answer stays valid JSON.
    const kept = max === undefined ? echoed : echoed.slice(0, Math.max(0, max));
    const text = JSON.stringify({ echo: kept.join(' ') });
    return { kind: 'text', text, outputTokens: words(text).length, finishReason: kept.length < echoed.length ? length : stop };
  }

  return textAnswer(`Echo: ${userText}`, call.maxOutputTokens);
}

function textAnswer(text: string, maxOutputTokens: number | undefined): MockAnswer {
  const all = words(text);
  const kept = maxOutputTokens === undefined ? all : all.slice(0, Math.max(0, maxOutputTokens));
  return {
    kind: 'text',
    text: kept.join(' '),
    outputTokens: kept.length,
    finishReason: kept.length < all.length ? length : stop,
  };
}

function lastUserText(prompt: LanguageModelV3Message[]): string {
  for (let i = prompt.length - 1; i >= 0; i--) {
    const message = prompt[i];
    if (message.role === 'user') {
      return message.content
        .flatMap((part) => (part.type === 'text' ? [part.text] : []))
        .join(' ');
    }
  }
  return '';
}

function chooseTool(call: LanguageModelV3CallOptions, userText: string): LanguageModelV3FunctionTool | undefined {
  const tools = (call.tools ?? []).filter((tool): tool is LanguageModelV3FunctionTool => tool.type === 'function');
  const choice = call.toolChoice ?? { type: 'auto' };
  if (tools.length === 0 || choice.type === 'none') return undefined;
  if (choice.type === 'tool') return tools.find((tool) => tool.name === choice.toolName);
  if (choice.type === 'required' || /\btool\b/i.test(userText)) return tools[0];
  return undefined;
}

function toolResultValue(message: Extract<LanguageModelV3Message, { role: 'tool' }>): unknown {
  const values = message.content.flatMap((part) => (part.type === 'tool-result' ? [outputValue(part.output)] : []));
  return values.length === 1 ? values[0] : values;
}

function outputValue(output: LanguageModelV3ToolResultOutput): unknown {
  switch (output.type) {
    case 'execution-denied':
      return { denied: true, reason: output.reason ?? null };
    default:
      return output.value;
  }
}
