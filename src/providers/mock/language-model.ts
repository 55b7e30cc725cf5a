import type {
  LanguageModelV3,
  LanguageModelV3CallOptions,
  LanguageModelV3Content,
  LanguageModelV3GenerateResult,
  LanguageModelV3StreamPart,
  LanguageModelV3StreamResult,
  SharedV3Warning,
} from '@ai-sdk/provider';
import { countPromptTokens, mockUsage } from './count-usage.js';
import { type MockAnswer, mockToolCallId, planAnswer } from './plan-answer.js';
import { hash32 } from './words.js';

const providerName = 'mock';

/** The deterministic echo model: no network, same answer for the same call. */
export function createMockLanguageModel(modelId: string): LanguageModelV3 {
  return {
    specificationVersion: 'v3',
    provider: providerName,
    modelId,
    supportedUrls: {},

    async doGenerate(call: LanguageModelV3CallOptions): Promise<LanguageModelV3GenerateResult> {
      call.abortSignal?.throwIfAborted();
      const answer = planAnswer(call);
      return {
        content: [answerContent(answer)],
        finishReason: answer.finishReason,
        usage: mockUsage(countPromptTokens(call.prompt), answer.outputTokens),
        response: { ...responseMetadata(call, modelId), headers: {} },
        warnings: warningsFor(call),
      };
    },

    async doStream(call: LanguageModelV3CallOptions): Promise<LanguageModelV3StreamResult> {
      call.abortSignal?.throwIfAborted();
      const answer = planAnswer(call);
      const parts: LanguageModelV3StreamPart[] = [
        { type: 'stream-start', warnings: warningsFor(call) },
        { type: 'response-metadata', ...responseMetadata(call, modelId) },
        ...answerParts(answer),
        {
          type: 'finish',
          usage: mockUsage(countPromptTokens(call.prompt), answer.outputTokens),
          finishReason: answer.finishReason,
        },
      ];
      return { stream: partStream(parts, call.abortSignal), response: { headers: {} } };
    },
  };
}

function answerContent(answer: MockAnswer): LanguageModelV3Content {
  return answer.kind === 'text'
    ? { type: 'text', text: answer.text }
    : { type: 'tool-call', toolCallId: mockToolCallId, toolName: answer.toolName, input: answer.input };
}

function answerParts(answer: MockAnswer): LanguageModelV3StreamPart[] {
  if (answer.kind === 'tool-call') {
    const id = mockToolCallId;
    return [
      { type: 'tool-input-start', id, toolName: answer.toolName },
      ...(answer.input.match(/.{1,8}/gs) ?? []).map((delta): LanguageModelV3StreamPart => ({ type: 'tool-input-delta', id, delta })),
      { type: 'tool-input-end', id },
      { type: 'tool-call', toolCallId: id, toolName: answer.toolName, input: answer.input },
    ];
  }
  const id = 'txt-0';
  return [
    { type: 'text-start', id },
    ...chunks(answer.text).map((delta): LanguageModelV3StreamPart => ({ type: 'text-delta', id, delta })),
    { type: 'text-end', id },
  ];
}

/** Word by word, each chunk keeping its leading space so the deltas concatenate to the text. */
function chunks(text: string): string[] {
  return text.match(/\s*\S+/g) ?? [];
}

function responseMetadata(call: LanguageModelV3CallOptions, modelId: string) {
  return {
    id: `mock-${hash32(JSON.stringify(call.prompt)).toString(16).padStart(8, '0')}`,
    timestamp: new Date(),
    modelId,
  };
}

/** Settings the echo model cannot honour become warnings, never errors. */
function warningsFor(call: LanguageModelV3CallOptions): SharedV3Warning[] {
  const warnings: SharedV3Warning[] = [];
  for (const tool of call.tools ?? []) {
    if (tool.type === 'provider') {
      warnings.push({ type: 'unsupported', feature: `provider tool ${tool.id}`, details: 'the mock model only calls function tools' });
    }
  }
  if (call.stopSequences?.length) {
    warnings.push({ type: 'unsupported', feature: 'stopSequences' });
  }
  return warnings;
}

/** One part per pull, so an abort between parts stops the stream. */
function partStream(parts: LanguageModelV3StreamPart[], signal: AbortSignal | undefined): ReadableStream<LanguageModelV3StreamPart> {
  let next = 0;
  let onAbort: (() => void) | undefined;
  return new ReadableStream<LanguageModelV3StreamPart>({
    start(controller) {
      if (!signal) return;
      onAbort = () => controller.error(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    },
    pull(controller) {
      if (signal?.aborted) {
        controller.error(signal.reason);
        return;
      }
      const part = parts[next++];
      if (part) controller.enqueue(part);
      if (next >= parts.length) {
        if (onAbort) signal?.removeEventListener('abort', onAbort);
        controller.close();
      }
    },
    cancel() {
      if (onAbort) signal?.removeEventListener('abort', onAbort);
    },
  });
}
