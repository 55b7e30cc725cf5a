import type { LanguageModelV3, LanguageModelV3CallOptions } from '@ai-sdk/provider';

/**
 * OpenAI's chat model, which every OpenAI-compatible host also speaks, except for calls that
 * carry OpenAI's own tools (web search): only its Responses API runs those. The gateway keeps
 * conversation state itself and sends every turn whole, so OpenAI is told not to keep a copy.
 */
export function openaiLanguageModel(chat: LanguageModelV3, responses: LanguageModelV3): LanguageModelV3 {
  const modelFor = (options: LanguageModelV3CallOptions) =>
    options.tools?.some((tool) => tool.type === 'provider' && tool.id.startsWith('openai.')) ? responses : chat;
  return {
    specificationVersion: 'v3',
    provider: chat.provider,
    modelId: chat.modelId,
    supportedUrls: chat.supportedUrls,
    doGenerate: (options) => (modelFor(options) === chat ? chat.doGenerate(options) : responses.doGenerate(unkept(options))),
    doStream: (options) => (modelFor(options) === chat ? chat.doStream(options) : responses.doStream(unkept(options))),
  };
}

function unkept(options: LanguageModelV3CallOptions): LanguageModelV3CallOptions {
  const openai = options.providerOptions?.openai ?? {};
  return { ...options, providerOptions: { ...options.providerOptions, openai: { ...openai, store: false } } };
}
