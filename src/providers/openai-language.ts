import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';

/**
 * OpenAI's chat model, which every OpenAI-compatible host also speaks, except for calls that
 * carry OpenAI's own tools (web search): only its Responses API runs those.
 */
export function openaiLanguageModel(chat: LanguageModelV3, responses: LanguageModelV3): LanguageModelV3 {
  const modelFor = (options: LanguageModelV3CallOptions) =>
    options.tools?.some((tool) => tool.type === 'provider' && tool.id.startsWith('openai.')) ? responses : chat;
  return {
    specificationVersion: 'v3',
    provider: chat.provider,
    modelId: chat.modelId,
    supportedUrls: chat.supportedUrls,
    doGenerate: (options) => modelFor(options).doGenerate(options),
    doStream: (options) => modelFor(options).doStream(options),
  };
}
