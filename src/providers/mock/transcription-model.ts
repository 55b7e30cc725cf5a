import type { TranscriptionModelV3, TranscriptionModelV3CallOptions } from '@ai-sdk/provider';
import { readWav } from './wav.js';

/** What the mock assumes of audio it cannot measure: a 128 kbit/s stream. */
const ASSUMED_BYTES_PER_SECOND = 16_000;

/**
 * "Hears" the text the mock speech model wrote into its WAV, and otherwise answers
 * `Transcribed <n> bytes of <media type>`. The duration is the WAV's own, or the byte count at
 * 128 kbit/s for any other audio; the language is `providerOptions.mock.language`, else `en`.
 */
export function createMockTranscriptionModel(modelId: string): TranscriptionModelV3 {
  return {
    specificationVersion: 'v3',
    provider: 'mock',
    modelId,

    async doGenerate(call: TranscriptionModelV3CallOptions) {
      call.abortSignal?.throwIfAborted();
      const bytes = typeof call.audio === 'string' ? new Uint8Array(Buffer.from(call.audio, 'base64')) : call.audio;
      const wav = readWav(bytes);
      const durationInSeconds = round(wav?.durationSeconds ?? bytes.byteLength / ASSUMED_BYTES_PER_SECOND);
      const text = wav?.comment ?? `Transcribed ${bytes.byteLength} bytes of ${call.mediaType}`;
      const language = call.providerOptions?.mock?.language;
      return {
        text,
        segments: [{ text, startSecond: 0, endSecond: durationInSeconds }],
        language: typeof language === 'string' ? language : 'en',
        durationInSeconds,
        warnings: [],
        response: { timestamp: new Date(), modelId },
      };
    },
  };
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
