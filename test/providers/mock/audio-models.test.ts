import { describe, expect, it } from 'vitest';
import { createMockProvider } from '../../../src/providers/mock/index.js';
import { readWav, toneWav } from '../../../src/providers/mock/wav.js';

const provider = createMockProvider();
const speech = provider.speechModel('speak');
const transcription = provider.transcriptionModel('transcribe');

describe('mock WAV files', () => {
  it('are valid 8 kHz 8-bit mono PCM whose duration and comment read back', () => {
    const wav = Buffer.from(toneWav({ seconds: 0.5, frequency: 440, comment: 'héllo' }));
    expect(wav.toString('ascii', 0, 4)).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.toString('ascii', 8, 16)).toBe('WAVEfmt ');
    expect(wav.readUInt32LE(24)).toBe(8000);
    expect(readWav(wav)).toEqual({ durationSeconds: 0.5, comment: 'héllo' });
  });

  it('read as null when the bytes are not a WAV', () => {
    expect(readWav(new Uint8Array([1, 2, 3]))).toBeNull();
    expect(readWav(Buffer.from('RIFF\x04\x00\x00\x00WAVE', 'latin1'))).toBeNull();
  });
});

describe('mock speech model', () => {
  it('makes the same WAV for the same call, as long as the text takes to say (15 characters a second)', async () => {
    const a = await speech.doGenerate({ text: 'fifteen chars!!' });
    const b = await speech.doGenerate({ text: 'fifteen chars!!' });
    expect(Buffer.from(a.audio as Uint8Array).equals(Buffer.from(b.audio as Uint8Array))).toBe(true);
    expect(readWav(a.audio as Uint8Array)?.durationSeconds).toBe(1);
    const fast = await speech.doGenerate({ text: 'fifteen chars!!', speed: 2 });
    expect(readWav(fast.audio as Uint8Array)?.durationSeconds).toBe(0.5);
  });

  it('changes pitch with the voice, and warns about formats and instructions it cannot honour', async () => {
    const alloy = await speech.doGenerate({ text: 'hi', voice: 'alloy' });
    const nova = await speech.doGenerate({ text: 'hi', voice: 'nova', outputFormat: 'mp3', instructions: 'calm' });
    expect(Buffer.from(alloy.audio as Uint8Array).equals(Buffer.from(nova.audio as Uint8Array))).toBe(false);
    expect(nova.warnings.map((warning) => warning.type === 'unsupported' && warning.feature)).toEqual(['outputFormat', 'instructions']);
    expect(alloy.warnings).toEqual([]);
  });

  it('is only known under its own id', () => {
    expect(() => provider.speechModel('echo')).toThrow(/echo/);
    expect(() => provider.transcriptionModel('speak')).toThrow(/speak/);
  });
});

describe('mock transcription model', () => {
  it('hears the text the mock speech model wrote, with its duration', async () => {
    const { audio } = await speech.doGenerate({ text: 'round trip' });
    const result = await transcription.doGenerate({ audio, mediaType: 'audio/wav' });
    expect(result).toMatchObject({ text: 'round trip', language: 'en', segments: [{ text: 'round trip', startSecond: 0 }] });
    expect(result.durationInSeconds).toBeCloseTo(10 / 15, 3);
  });

  it('describes other audio by size and type, at 128 kbit/s, in the language it is told', async () => {
    const result = await transcription.doGenerate({
      audio: Buffer.alloc(24_000).toString('base64'),
      mediaType: 'audio/mpeg',
      providerOptions: { mock: { language: 'fr' } },
    });
    expect(result).toMatchObject({ text: 'Transcribed 24000 bytes of audio/mpeg', durationInSeconds: 1.5, language: 'fr' });
  });
});
