import type { LanguageModelV3FinishReason } from '@ai-sdk/provider';
import type { ResponseObject } from './responses-api.js';

export interface ResponseOutcome {
  status: 'completed' | 'incomplete';
  incomplete_details: ResponseObject['incomplete_details'];
}

/**
 * V3 finish reason → a response's status. A length or content-filter stop is `incomplete` with
 * OpenAI's reason; everything else (tool calls included) completed the response.
 */
export function mapResponseStatus(reason: LanguageModelV3FinishReason): ResponseOutcome {
  switch (reason.unified) {
    case 'length':
      return { status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } };
    case 'content-filter':
      return { status: 'incomplete', incomplete_details: { reason: 'content_filter' } };
    case 'stop':
    case 'tool-calls':
    case 'error':
    case 'other':
      return { status: 'completed', incomplete_details: null };
  }
}
