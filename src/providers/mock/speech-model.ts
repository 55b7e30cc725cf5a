import type { SharedV3Warning, SpeechModelV3, SpeechModelV3CallOptions } from '@ai-sdk/provider';
import { toneWav } from './wav.js';
import { hash32 } from './words.js';

/** About the pace of speech: 15 characters a second at speed 1. */
const CHARACTERS_PER_SECOND = 15;
const MAX_SECONDS = 60;

/**
 * "Speaks" by playing a tone as long as the text would take to say (15 characters a second,
 * divided by `speed`, at most a minute), its pitch chosen by the voice. The WAV carries the
 * text in an INFO comment, so the mock transcriber can give it back. Always WAV: another
 * format asked for is a warning, and the result's media type says what was made.
 */
export function createMockSpeechModel(modelId: string): SpeechModelV3 {
  return {
    specificationVersion: 'v3',
    provider: 'mock',
    modelId,

    async doGenerate(call: SpeechModelV3CallOptions) {
      call.abortSignal?.throwIfAborted();
      const warnings: SharedV3Warning[] = [];
      if (call.outputFormat !== undefined && call.outputFormat !== 'wav') {
        warnings.push({ type: 'unsupported', feature: 'outputFormat', details: `the mock speaks WAV only; ${call.outputFormat} was not made` });
      }
      if (call.instructions !== undefined) warnings.push({ type: 'unsupported', feature: 'instructions', details: 'the mock has one tone of voice' });
      const speed = call.speed !== undefined && call.speed > 0 ? call.speed : 1;
      const seconds = Math.min(MAX_SECONDS, Math.max(0.1, call.text.length / (CHARACTERS_PER_SECOND * speed)));
      const voice = call.voice ?? 'alloy';
      const audio = toneWav({ seconds, frequency: 220 + (hash32(voice) % 440), comment: call.text });
      return { audio, warnings, response: { timestamp: new Date(), modelId } };
    },
  };
}
