import type { LanguageModelV3FinishReason } from '@ai-sdk/provider';
import type { StopReason } from './messages-api.js';

export interface MappedStop {
  stop_reason: StopReason;
  stop_sequence: string | null;
}

/**
 * V3 finish reason → Anthropic's `stop_reason` and `stop_sequence`. V3's unified `stop` covers
 * both a natural end and a matched stop sequence; only the raw value (Anthropic upstreams say
 * `stop_sequence`) tells them apart, so other upstreams always end with `end_turn`. The matched
 * sequence comes from the provider's metadata when it gave one, else it is the only sequence
 * the client sent, else unknown (null).
 */
export function mapStopReason(
  reason: LanguageModelV3FinishReason,
  context: { stopSequences?: readonly string[] | undefined; matchedSequence?: string | null | undefined } = {},
): MappedStop {
  switch (reason.unified) {
    case 'stop':
      if (reason.raw === 'stop_sequence') {
        const only = context.stopSequences?.length === 1 ? context.stopSequences[0]! : null;
        return { stop_reason: 'stop_sequence', stop_sequence: context.matchedSequence ?? only };
      }
      return { stop_reason: reason.raw === 'pause_turn' ? 'pause_turn' : 'end_turn', stop_sequence: null };
    case 'length':
      return { stop_reason: 'max_tokens', stop_sequence: null };
    case 'tool-calls':
      return { stop_reason: 'tool_use', stop_sequence: null };
    case 'content-filter':
      return { stop_reason: 'refusal', stop_sequence: null };
    case 'error':
    case 'other':
      // Anthropic has no value for these; end_turn is what its clients handle without surprise.
      return { stop_reason: 'end_turn', stop_sequence: null };
  }
}

/** The stop sequence an Anthropic upstream reported (`providerMetadata.anthropic.stopSequence`). */
export function reportedStopSequence(metadata: Record<string, Record<string, unknown> | undefined> | undefined): string | null {
  const value = metadata?.anthropic?.stopSequence;
  return typeof value === 'string' ? value : null;
}
