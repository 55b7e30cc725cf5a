import type { LanguageModelV3CallOptions, LanguageModelV3GenerateResult, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { streamAnswer, type CallAttempt, type StreamAnswer, type StreamRules, type WholeAnswer } from './routed-call.js';
import { readToCommit, type StreamItemFacts } from './stream-commit.js';
import { fromV3Usage } from './usage.js';

/**
 * A chat attempt in the canonical language: the candidate's AI SDK language model, called with
 * V3 call options. Faces that translate use it as their attempt; so does one that pipes its own
 * wire format, for the candidates that do not speak it.
 */
export async function canonicalChat(attempt: CallAttempt, call: LanguageModelV3CallOptions): Promise<WholeAnswer<LanguageModelV3GenerateResult>> {
  const { provider, modelId } = attempt.candidate;
  const value = await provider.language(modelId).doGenerate({ ...withOutputCap(call, attempt.outputCap), abortSignal: attempt.signal });
  return { kind: 'whole', value, served: { usage: fromV3Usage(value.usage), finishReasons: [value.finishReason.raw ?? value.finishReason.unified] } };
}

/** A streaming attempt read up to its commit point; `wrap` turns the followed parts into the caller's value. */
export async function canonicalChatStream<V>(
  attempt: CallAttempt,
  call: LanguageModelV3CallOptions,
  wrap: (parts: AsyncGenerator<LanguageModelV3StreamPart>) => V,
): Promise<StreamAnswer<V>> {
  const { provider, modelId } = attempt.candidate;
  const { stream } = await provider.language(modelId).doStream({ ...withOutputCap(call, attempt.outputCap), abortSignal: attempt.signal });
  const committed = await readToCommit(readerIterator(stream.getReader()), partFacts, attempt.requestStartedAt);
  return streamAnswer(committed, partRules, wrap);
}

/** The call with the output cap admission holds, when the request set none. */
function withOutputCap(call: LanguageModelV3CallOptions, cap: number | undefined): LanguageModelV3CallOptions {
  return cap === undefined ? call : { ...call, maxOutputTokens: cap };
}

const partRules: StreamRules<LanguageModelV3StreamPart> = {
  facts: partFacts,
  errorItem: (error) => ({ type: 'error', error }),
};

async function* readerIterator<T>(reader: ReadableStreamDefaultReader<T>): AsyncGenerator<T> {
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    await reader.cancel().catch(() => undefined);
  }
}

/** Every part that carries generated output counts toward a cut stream's bill; a whole tool call may repeat its deltas, which only counts more. */
function partFacts(part: LanguageModelV3StreamPart): StreamItemFacts {
  switch (part.type) {
    case 'text-delta':
      return { commit: part.delta.length > 0, terminal: false, text: part.delta };
    case 'reasoning-delta':
      return { commit: part.delta.length > 0, terminal: false, text: part.delta };
    case 'tool-input-start':
      return { commit: true, terminal: false, text: part.toolName };
    case 'tool-call':
      return { commit: true, terminal: false, text: part.toolName + part.input };
    case 'file':
      return { commit: true, terminal: false, text: typeof part.data === 'string' ? part.data : '' };
    case 'tool-input-delta':
      return { commit: true, terminal: false, text: part.delta };
    case 'finish': {
      const usage = fromV3Usage(part.usage);
      return { commit: true, terminal: true, ...(usage ? { usage } : {}), text: '' };
    }
    case 'error':
      return { commit: false, terminal: false, error: part.error, text: '' };
    default:
      return { commit: false, terminal: false, text: '' };
  }
}
