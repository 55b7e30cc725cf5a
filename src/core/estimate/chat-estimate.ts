/**
 * The worst case of a canonical chat call (V3 call options), whatever face it came from: every
 * text of the prompt, every tool definition with its schema, the response schema and the
 * provider options count as input; files count at their billed worst case; the output is the
 * cap plus whatever provider options add to it; web searches count up to their tools' bounds.
 */
import type { LanguageModelV3CallOptions, LanguageModelV3Message, LanguageModelV3ToolResultOutput } from '@ai-sdk/provider';
import { describeFile, type PromptFile } from './prompt-files.js';
import {
  jsonBytes,
  MESSAGE_TOKENS,
  PART_TOKENS,
  REQUEST_TOKENS,
  tokenCount,
  TOOL_PREAMBLE_TOKENS,
  TOOL_TOKENS,
  utf8Bytes,
  type RequestEstimate,
} from './request-estimate.js';
import { webSearchesOf } from './web-searches.js';

export function chatEstimate(call: LanguageModelV3CallOptions): RequestEstimate {
  const files: PromptFile[] = [];
  let input = REQUEST_TOKENS;
  for (const message of call.prompt) input += messageTokens(message, files);
  const tools = call.tools ?? [];
  if (tools.length > 0) input += TOOL_PREAMBLE_TOKENS;
  for (const tool of tools) input += TOOL_TOKENS + jsonBytes(tool);
  if (call.responseFormat?.type === 'json') input += TOOL_PREAMBLE_TOKENS + jsonBytes(call.responseFormat);
  input += jsonBytes(call.providerOptions);

  const raised = outputRaisers(call.providerOptions);
  const cap = maxOf(tokenCount(call.maxOutputTokens), raised.cap);
  const webSearches = webSearchesOf(call);
  return {
    inputTokens: input,
    ...(files.length ? { files } : {}),
    ...(cap !== undefined ? { maxOutputTokens: cap } : {}),
    ...(raised.extra > 0 ? { extraOutputTokens: raised.extra } : {}),
    ...(webSearches > 0 ? { webSearches } : {}),
  };
}

function messageTokens(message: LanguageModelV3Message, files: PromptFile[]): number {
  if (typeof message.content === 'string') return MESSAGE_TOKENS + utf8Bytes(message.content);
  let tokens = MESSAGE_TOKENS;
  for (const part of message.content as unknown as ReadonlyArray<Record<string, unknown> & { type: string }>) {
    tokens += PART_TOKENS;
    switch (part.type) {
      case 'text':
      case 'reasoning':
        tokens += utf8Bytes(String(part.text ?? '')) + jsonBytes(part.providerOptions);
        break;
      case 'file':
        files.push(describeFile(part.mediaType as string | undefined, part.data));
        break;
      case 'tool-call':
        tokens += utf8Bytes(String(part.toolName ?? '')) + jsonBytes(part.input);
        break;
      case 'tool-result':
        tokens += utf8Bytes(String(part.toolName ?? '')) + toolOutputTokens(part.output as LanguageModelV3ToolResultOutput, files);
        break;
      default:
        tokens += jsonBytes(part);
    }
  }
  return tokens;
}

function toolOutputTokens(output: LanguageModelV3ToolResultOutput | undefined, files: PromptFile[]): number {
  if (output?.type !== 'content') return jsonBytes(output);
  let tokens = 0;
  for (const item of output.value as unknown as ReadonlyArray<Record<string, unknown> & { type: string }>) {
    tokens += PART_TOKENS;
    switch (item.type) {
      case 'text':
        tokens += utf8Bytes(String(item.text ?? ''));
        break;
      case 'image-data':
      case 'image-url':
      case 'image-file-id':
        files.push({ kind: 'image' });
        break;
      case 'media':
      case 'file-data':
        files.push(describeFile(item.mediaType as string | undefined, item.data));
        break;
      case 'file-url':
      case 'file-id':
        files.push({ kind: 'unknown' });
        break;
      default:
        tokens += jsonBytes(item);
    }
  }
  return tokens;
}

/** Keys that set an output cap, in the spellings providers and their SDKs use. */
const CAP_KEYS = new Set(['maxTokens', 'max_tokens', 'maxOutputTokens', 'max_output_tokens', 'maxCompletionTokens', 'max_completion_tokens', 'max_new_tokens', 'num_predict']);
/** Keys that give thinking tokens on top of the cap. */
const BUDGET_KEYS = new Set(['budgetTokens', 'budget_tokens', 'thinkingBudget', 'thinking_budget']);
/** What Anthropic's AI SDK provider sends as the thinking budget when `enabled` names none. */
const DEFAULT_THINKING_BUDGET = 1_024;
const MAX_DEPTH = 8;

export interface OutputRaisers {
  /** The largest output cap found. */
  cap: number | undefined;
  /** Thinking budgets found, summed: each may come on top of a cap. */
  extra: number;
}

/**
 * Options that let the upstream write more than the request's own cap: output caps under any
 * provider's name (an OpenAI-compatible provider sends unknown options into the body as they
 * are), thinking budgets (Anthropic's `thinking.budgetTokens`, Gemini's `thinkingBudget`,
 * OpenRouter-style `reasoning.max_tokens`), server-side fallbacks' own caps, and predicted outputs.
 */
export function outputRaisers(options: unknown): OutputRaisers {
  const found: OutputRaisers = { cap: undefined, extra: 0 };
  const visit = (value: unknown, key: string | undefined, depth: number) => {
    if (depth > MAX_DEPTH || value === null || typeof value !== 'object') return;
    if (Array.isArray(value)) {
      for (const item of value) visit(item, key, depth + 1);
      return;
    }
    const record = value as Record<string, unknown>;
    if (key === 'thinking' && record.type === 'enabled' && record.budgetTokens === undefined && record.budget_tokens === undefined) {
      found.extra += DEFAULT_THINKING_BUDGET;
    }
    for (const [name, inner] of Object.entries(record)) {
      const count = tokenCount(inner);
      // Rejected predicted-output tokens (OpenAI's `prediction`) bill as output.
      if (name === 'prediction') found.extra += jsonBytes(inner);
      else if (count !== undefined && (BUDGET_KEYS.has(name) || (CAP_KEYS.has(name) && key === 'reasoning'))) found.extra += count;
      else if (count !== undefined && CAP_KEYS.has(name)) found.cap = maxOf(found.cap, count);
      else visit(inner, name, depth + 1);
    }
  };
  visit(options, undefined, 0);
  return found;
}

export function maxOf(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.max(a, b);
}
