import { describe, expect, it } from 'vitest';
import type { TranscribeResult } from '../../../src/core/types.js';
import { parseTranscriptionForm, renderTranscription } from '../../../src/faces/openai/transcription-api.js';

const result = (over: Partial<TranscribeResult> = {}): TranscribeResult => ({
  requestId: 'r1',
  servedModel: 'mock/transcribe',
  provider: 'mock',
  usage: { input: 0, cacheRead: 0, cacheWrite: 0, output: 0, reasoning: 0 },
  cost: 0.0001,
  attempts: 1,
  text: 'Hello there. General Kenobi.',
  segments: [
    { text: ' Hello there.', startSecond: 0, endSecond: 1.25 },
    { text: ' General Kenobi.', startSecond: 1.25, endSecond: 3723.5 },
  ],
  language: 'en',
  durationSeconds: 3723.5,
  warnings: [],
  ...over,
});

describe('rendering a transcription', () => {
  it('writes SRT cues numbered from 1 with comma milliseconds', () => {
    expect(renderTranscription(result(), 'srt').body).toBe(
      '1\n00:00:00,000 --> 00:00:01,250\nHello there.\n\n2\n00:00:01,250 --> 01:02:03,500\nGeneral Kenobi.\n',
    );
  });

  it('writes WebVTT with a header and dot milliseconds', () => {
    const rendered = renderTranscription(result(), 'vtt');
    expect(rendered.contentType).toMatch(/^text\/vtt/);
    expect(rendered.body.startsWith('WEBVTT\n\n00:00:00.000 --> 00:00:01.250\nHello there.\n')).toBe(true);
  });

  it('reports duration usage with cost, or token usage when the provider counted tokens', () => {
    expect(JSON.parse(renderTranscription(result(), 'json').body)).toEqual({
      text: 'Hello there. General Kenobi.',
      usage: { type: 'duration', seconds: 3723.5, cost: 0.0001 },
      model: 'mock/transcribe',
      provider: 'mock',
    });
    const tokens = result({ usage: { input: 30, cacheRead: 0, cacheWrite: 0, output: 5, reasoning: 0 }, cost: null });
    expect(JSON.parse(renderTranscription(tokens, 'json').body).usage).toEqual({ type: 'tokens', input_tokens: 30, output_tokens: 5, total_tokens: 35, cost: null });
  });

  it('makes one cue of the whole text when there are no segments', () => {
    expect(renderTranscription(result({ segments: undefined, durationSeconds: 2 }), 'srt').body).toBe('1\n00:00:00,000 --> 00:00:02,000\nHello there. General Kenobi.\n');
  });
});

describe('reading the transcription form', () => {
  const form = (file: Blob | string | undefined, fields: Record<string, string> = { model: 'mock/transcribe' }, name = 'clip.bin') => {
    const data = new FormData();
    for (const [key, value] of Object.entries(fields)) data.append(key, value);
    if (typeof file === 'string') data.append('file', file);
    else if (file) data.append('file', file, name);
    return data;
  };

  it('takes the declared audio type, lower-cased, and the language and prompt', async () => {
    const converted = await parseTranscriptionForm(
      form(new Blob([new Uint8Array([1, 2])], { type: 'Audio/OGG; codecs=opus' }), { model: 'm/x', language: 'EN', prompt: 'names', response_format: 'text' }),
    );
    expect(converted.request).toMatchObject({ model: 'm/x', mediaType: 'audio/ogg', language: 'en', prompt: 'names' });
    expect(converted.responseFormat).toBe('text');
  });

  it('sniffs the bytes before trusting the file name when the part has no audio type', async () => {
    const converted = await parseTranscriptionForm(form(new Blob([Buffer.from('fLaC....')]), undefined, 'mislabelled.mp3'));
    expect(converted.request.mediaType).toBe('audio/flac');
  });

  it('names the field to fix', async () => {
    await expect(parseTranscriptionForm(form(undefined))).rejects.toMatchObject({ kind: 'invalid_request', details: { param: 'file' } });
    await expect(parseTranscriptionForm(form('text'))).rejects.toMatchObject({ details: { param: 'file' } });
    await expect(parseTranscriptionForm(form(new Blob([Buffer.from('ID3')]), {}))).rejects.toMatchObject({ details: { param: 'model' } });
  });
});
