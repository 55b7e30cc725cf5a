/**
 * The JSON answer of `POST /v3/ai/language-model` without streaming: a V3 generate result. The
 * client spreads it into its own result (`{ ...responseBody, request, response, warnings }`), so
 * `content`, `finishReason`, `usage`, `providerMetadata` and `warnings` are read as V3 values.
 */
import type { LanguageModelV3Content, LanguageModelV3FinishReason, LanguageModelV3Usage, SharedV3ProviderMetadata, SharedV3Warning } from '@ai-sdk/provider';
import type { ChatResult } from '../../core/types.js';
import { accountingMetadata, toV3Usage } from './gateway-metadata.js';

export interface GenerateResultWire {
  content: LanguageModelV3Content[];
  finishReason: LanguageModelV3FinishReason;
  usage: LanguageModelV3Usage;
  providerMetadata: SharedV3ProviderMetadata;
  warnings: SharedV3Warning[];
  response: { id: string; modelId: string };
}

export function renderGenerateResult(result: ChatResult, requestedModel: string): GenerateResultWire {
  return {
    content: result.content.map(contentToWire),
    finishReason: result.finishReason,
    usage: toV3Usage(result.usage),
    providerMetadata: accountingMetadata(result, requestedModel),
    warnings: result.warnings,
    response: { id: result.requestId, modelId: result.servedModel },
  };
}

/** V3 file data may be bytes; on the wire it is base64 (a string means base64 in V3). */
export function contentToWire<T extends { type: string }>(part: T): T {
  if (part.type === 'file') {
    const file = part as T & { data: unknown };
    if (file.data instanceof Uint8Array) return { ...file, data: Buffer.from(file.data).toString('base64') };
  }
  return part;
}
