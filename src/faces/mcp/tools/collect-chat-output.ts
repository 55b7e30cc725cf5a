/**
 * The `chat` tool's answer, gathered either from a finished `ChatResult` or from a `ChatStream`
 * read to the end (reporting progress as text arrives).
 */
import type {
  LanguageModelV3Content,
  LanguageModelV3FinishReason,
  LanguageModelV3StreamPart,
} from '@ai-sdk/provider';
import type { Accounting, ChatResult, ChatStream } from '../../../core/types.js';
import type { ProgressReporter } from '../progress.js';

export interface ToolCallOutput {
  id: string;
  name: string;
  /** JSON-encoded, as the model produced it. */
  arguments: string;
}

export interface ChatOutput {
  text: string;
  reasoning: string;
  toolCalls: ToolCallOutput[];
  finishReason: LanguageModelV3FinishReason['unified'];
}

export function collectChatResult(result: ChatResult): ChatOutput {
  const output: ChatOutput = { text: '', reasoning: '', toolCalls: [], finishReason: result.finishReason.unified };
  for (const part of result.content) addContent(output, part);
  return output;
}

function addContent(output: ChatOutput, part: LanguageModelV3Content): void {
  if (part.type === 'text') output.text += part.text;
  else if (part.type === 'reasoning') output.reasoning += part.text;
  else if (part.type === 'tool-call') {
    output.toolCalls.push({ id: part.toolCallId, name: part.toolName, arguments: part.input });
  }
}

export type StreamOutcome =
  | { ok: true; output: ChatOutput; accounting: Accounting }
  /** The stream failed after its first output: no fallback is possible any more. */
  | { ok: false; output: ChatOutput; error: unknown };

export async function collectChatStream(
  stream: ChatStream,
  progress: ProgressReporter | undefined,
): Promise<StreamOutcome> {
  const output: ChatOutput = { text: '', reasoning: '', toolCalls: [], finishReason: 'other' };
  let failure: { error: unknown } | undefined;
  for await (const part of stream.parts) {
    failure ??= addStreamPart(output, part);
    if (progress && (part.type === 'text-delta' || part.type === 'reasoning-delta')) {
      const chars = output.text.length + output.reasoning.length;
      await progress.update(chars, `${chars} characters from ${stream.servedModel}`);
    }
  }
  await progress?.flush();
  if (failure) {
    // Let the ledger settle; its outcome does not change what the agent is told.
    await stream.settled.catch(() => undefined);
    return { ok: false, output, error: failure.error };
  }
  return { ok: true, output, accounting: await stream.settled };
}

/** Adds one part to the output; returns the failure when the part is an error. */
function addStreamPart(output: ChatOutput, part: LanguageModelV3StreamPart): { error: unknown } | undefined {
  switch (part.type) {
    case 'text-delta':
      output.text += part.delta;
      return undefined;
    case 'reasoning-delta':
      output.reasoning += part.delta;
      return undefined;
    case 'tool-call':
      output.toolCalls.push({ id: part.toolCallId, name: part.toolName, arguments: part.input });
      return undefined;
    case 'finish':
      output.finishReason = part.finishReason.unified;
      return undefined;
    case 'error':
      return { error: part.error };
    default:
      return undefined;
  }
}
