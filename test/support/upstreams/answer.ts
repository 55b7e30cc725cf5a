/**
 * The provider-neutral default answer: what the upstream says and how many tokens it reports.
 * Every wire format turns its request into a `Conversation` and renders the `Decision`.
 */
import type { AnswerOptions, UsageCounts } from './types.js';

/** What a request says, reduced to what the default answer depends on. */
export interface Conversation {
  /** Every text in the request (system, messages, tool results), for the input token count. */
  texts: string[];
  /** Text of the last user message ('' when none). */
  lastUserText: string;
  /** Names of the tools the request offers, in order. */
  toolNames: string[];
  /** Text of the tool result when the last message is one. */
  toolResult?: string;
}

/** One function call of a tool answer. */
export interface ToolCallAnswer {
  name: string;
  args: Record<string, unknown>;
  argsJson: string;
}

export type Answer = { kind: 'text'; text: string } | { kind: 'tool'; calls: ToolCallAnswer[] };

export interface Decision {
  answer: Answer;
  usage: UsageCounts;
  /** The scripted `finishReason`, in the provider's own terms; unset means the default. */
  finishReason?: string;
  /** Scripted reasoning, streamed before the answer where the wire format has a field for it. */
  reasoning?: string;
}

export const TOOL_ARGS: Record<string, unknown> = { city: 'Paris' };
/** Arguments of the second call when the user asks for two tools. */
export const SECOND_TOOL_ARGS: Record<string, unknown> = { city: 'Tokyo' };

/** Number of whitespace-separated words. */
export function countWords(text: string): number {
  return text.split(/\s+/).filter((w) => w.length > 0).length;
}

/** Split text into word deltas that concatenate back to it ("Echo: hi" → ["Echo: ", "hi"]). */
export function wordChunks(text: string): string[] {
  const chunks = text.match(/\s*\S+\s*/g) ?? [];
  // A text of only whitespace still has to arrive.
  return chunks.length > 0 || text.length === 0 ? chunks : [text];
}

/** Split a string into fixed-size fragments, the way tool-call arguments arrive in a stream. */
export function fragments(text: string, size = 5): string[] {
  const out: string[] = [];
  for (let i = 0; i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** Matches the word `tool` (not `tools`, not `toolbox`). */
const TOOL_WORD = /(^|[^a-z0-9_])tool($|[^a-z0-9_])/i;
/** Matches `two tools`: asks for two calls in one assistant turn (parallel tool calls). */
const TWO_TOOLS = /(^|[^a-z0-9_])two\s+tools($|[^a-z0-9_])/i;

function toolCall(name: string, args: Record<string, unknown>, argsJson?: string): ToolCallAnswer {
  return { name, args: { ...args }, argsJson: argsJson ?? JSON.stringify(args) };
}

/**
 * Rules, in order: a scripted `text` wins; a trailing tool result gives `Tool said: <result>`;
 * offered tools plus `two tools` in the last user message give two calls in one turn, to the
 * first two tools (the only one twice when one is offered), with `{"city":"Paris"}` then
 * `{"city":"Tokyo"}`; offered tools plus the word `tool` give one call to the first tool with
 * `{"city":"Paris"}`; otherwise `Echo: <last user message>`.
 *
 * Tokens: input = words across all texts + 3; output = words of the answer text, or of
 * `<tool name> <arguments JSON>` (2) per tool call; cached, cache-write and reasoning 0.
 */
export function decide(conversation: Conversation, options: AnswerOptions): Decision {
  const answer = pickAnswer(conversation, options);
  const outputTokens =
    answer.kind === 'text'
      ? countWords(answer.text)
      : answer.calls.reduce((sum, call) => sum + countWords(`${call.name} ${call.argsJson}`), 0);
  const usage: UsageCounts = {
    inputTokens: countWords(conversation.texts.join(' ')) + 3,
    outputTokens,
    cachedInputTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    ...definedOnly(options.usage),
  };
  return {
    answer,
    usage,
    ...(options.finishReason !== undefined ? { finishReason: options.finishReason } : {}),
    ...(options.reasoning !== undefined ? { reasoning: options.reasoning } : {}),
  };
}

function pickAnswer(conversation: Conversation, options: AnswerOptions): Answer {
  if (options.text !== undefined) return { kind: 'text', text: options.text };
  if (conversation.toolResult !== undefined) {
    return { kind: 'text', text: `Tool said: ${conversation.toolResult}` };
  }
  const firstTool = conversation.toolNames[0];
  if (firstTool !== undefined && TWO_TOOLS.test(conversation.lastUserText)) {
    const secondTool = conversation.toolNames[1] ?? firstTool;
    return { kind: 'tool', calls: [toolCall(firstTool, TOOL_ARGS, options.toolArguments), toolCall(secondTool, SECOND_TOOL_ARGS, options.toolArguments)] };
  }
  if (firstTool !== undefined && TOOL_WORD.test(conversation.lastUserText)) {
    return { kind: 'tool', calls: [toolCall(firstTool, TOOL_ARGS, options.toolArguments)] };
  }
  return { kind: 'text', text: `Echo: ${conversation.lastUserText}` };
}

function definedOnly(usage: Partial<UsageCounts> | undefined): Partial<UsageCounts> {
  const out: Partial<UsageCounts> = {};
  if (!usage) return out;
  for (const key of Object.keys(usage) as (keyof UsageCounts)[]) {
    // Any defined value is sent as it is, so that tests can inject counts of the wrong type.
    const value = usage[key];
    if (value !== undefined) out[key] = value;
  }
  return out;
}

/** Text of a tool result in whatever shape a provider carries it. */
export function resultText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) {
    return value.map((part) => (isRecord(part) && typeof part.text === 'string' ? part.text : '')).join('');
  }
  if (isRecord(value)) {
    for (const key of ['content', 'result', 'output'] as const) {
      const inner = value[key];
      if (typeof inner === 'string') return inner;
    }
  }
  return JSON.stringify(value) ?? '';
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
