/**
 * OpenAI `POST /v1/audio/speech` (JSON in, audio bytes out) and `POST /v1/audio/transcriptions`
 * (a multipart form in; `json`, `verbose_json`, `text`, `srt` or `vtt` out).
 *
 * Speech: `wav` is a valid 8 kHz 8-bit mono WAV of silence, 100 samples per input character;
 * other formats are that format's magic bytes (`ID3` for mp3, `OggS` for opus, `fLaC`, an ADTS
 * header for aac, nothing for pcm) followed by `model|voice|input` in UTF-8.
 * Transcription: the text is `Heard <n> bytes of <file type>` (a scripted `text` wins); the
 * duration is the file's bytes / 16 000, in seconds to 2 decimals. `gpt-4o*`/`gpt-transcribe*`
 * models answer `json` with token usage (input = ceil(duration × 10) audio tokens, output =
 * words of the text; overridable), the others `usage: {type: 'duration', seconds}` (whole
 * seconds, rounded up), and `verbose_json` adds language `english` and one segment.
 */
import { z } from 'zod';
import { countWords } from './answer.js';
import { openaiFamily } from './openai-family.js';
import type { Reply, Route, WireRequest } from './types.js';
import { bodyModel, json, parseBody, withMessage } from './wire.js';

const SpeechBody = z.looseObject({
  model: z.string(),
  input: z.string().min(1).max(4096),
  voice: z.string(),
  response_format: z.enum(['mp3', 'opus', 'aac', 'flac', 'wav', 'pcm']).nullish(),
  speed: z.number().min(0.25).max(4).nullish(),
  instructions: z.string().nullish(),
});

const speechTypes: Record<string, { contentType: string; magic: number[] }> = {
  mp3: { contentType: 'audio/mpeg', magic: [0x49, 0x44, 0x33, 0x04, 0, 0, 0, 0, 0, 0] },
  opus: { contentType: 'audio/ogg', magic: [0x4f, 0x67, 0x67, 0x53] },
  aac: { contentType: 'audio/aac', magic: [0xff, 0xf1, 0x50, 0x80] },
  flac: { contentType: 'audio/flac', magic: [0x66, 0x4c, 0x61, 0x43] },
  pcm: { contentType: 'audio/pcm', magic: [] },
};

export function silentWav(samples: number): Uint8Array {
  const out = Buffer.alloc(44 + samples, 128);
  out.write('RIFF', 0, 'ascii');
  out.writeUInt32LE(36 + samples, 4);
  out.write('WAVEfmt ', 8, 'ascii');
  out.writeUInt32LE(16, 16);
  out.writeUInt16LE(1, 20); // PCM
  out.writeUInt16LE(1, 22); // mono
  out.writeUInt32LE(8000, 24);
  out.writeUInt32LE(8000, 28);
  out.writeUInt16LE(1, 32);
  out.writeUInt16LE(8, 34);
  out.write('data', 36, 'ascii');
  out.writeUInt32LE(samples, 40);
  return new Uint8Array(out);
}

export const speechRoute: Route = {
  method: 'POST',
  pattern: /^\/v1\/audio\/speech$/,
  family: openaiFamily,
  model: bodyModel,
  render(req) {
    const parsed = parseBody(SpeechBody, req, openaiFamily);
    if (!parsed.ok) return parsed.reply;
    const { model, input, voice, response_format } = parsed.value;
    const format = response_format ?? 'mp3';
    if (format === 'wav') return { kind: 'bytes', status: 200, body: silentWav(input.length * 100), contentType: 'audio/wav' };
    const { contentType, magic } = speechTypes[format]!;
    const body = Buffer.concat([Buffer.from(magic), Buffer.from(`${model}|${voice}|${input}`, 'utf8')]);
    return { kind: 'bytes', status: 200, body: new Uint8Array(body), contentType };
  },
};

const TranscriptionFields = z.object({
  model: z.string(),
  response_format: z.enum(['json', 'text', 'srt', 'verbose_json', 'vtt']).optional(),
  language: z.string().optional(),
  prompt: z.string().optional(),
});

function formModel(req: WireRequest): string | undefined {
  const model = req.form?.get('model');
  return typeof model === 'string' ? model : undefined;
}

function badRequest(message: string): Reply {
  return json(withMessage(openaiFamily.errorBody(400, undefined), message), 400);
}

export const transcriptionsRoute: Route = {
  method: 'POST',
  pattern: /^\/v1\/audio\/transcriptions$/,
  family: openaiFamily,
  model: formModel,
  render(req, options) {
    if (!req.form) return badRequest('Expected a multipart/form-data body.');
    const fields: Record<string, string> = {};
    for (const [name, value] of req.form) if (typeof value === 'string') fields[name] = value;
    const parsed = TranscriptionFields.safeParse(fields);
    if (!parsed.success) return badRequest(`${parsed.error.issues[0]?.path.join('.') ?? 'body'}: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    const file = req.form.get('file');
    if (file === null || typeof file === 'string') return badRequest("Missing required parameter: 'file'.");
    const { model, response_format } = parsed.data;
    const bytes = file.size;
    const text = options.text ?? `Heard ${bytes} bytes of ${file.type || 'unknown'}`;
    const duration = Math.round((bytes / 16_000) * 100) / 100;
    const format = response_format ?? 'json';
    const tokenBilled = /^gpt-4o|^gpt-transcribe/.test(model);
    if (tokenBilled && format === 'verbose_json') return badRequest(`response_format 'verbose_json' is not compatible with model '${model}'.`);
    const cue = `00:00:00,000 --> 00:00:${String(Math.min(59, Math.ceil(duration))).padStart(2, '0')},000`;
    switch (format) {
      case 'text':
        return { kind: 'bytes', status: 200, body: new Uint8Array(Buffer.from(text)), contentType: 'text/plain; charset=utf-8' };
      case 'srt':
        return { kind: 'bytes', status: 200, body: new Uint8Array(Buffer.from(`1\n${cue}\n${text}\n`)), contentType: 'text/plain; charset=utf-8' };
      case 'vtt':
        return { kind: 'bytes', status: 200, body: new Uint8Array(Buffer.from(`WEBVTT\n\n${cue.replace(/,/g, '.')}\n${text}\n`)), contentType: 'text/vtt' };
      case 'verbose_json':
        return json({
          task: 'transcribe',
          language: 'english',
          duration,
          text,
          segments: [
            { id: 0, seek: 0, start: 0, end: duration, text, tokens: [1, 2, 3], temperature: 0, avg_logprob: -0.1, compression_ratio: 1, no_speech_prob: 0 },
          ],
          usage: { type: 'duration', seconds: Math.ceil(duration) },
        });
      case 'json': {
        if (!tokenBilled) return json({ text, usage: { type: 'duration', seconds: Math.ceil(duration) } });
        const input = options.usage?.inputTokens ?? Math.ceil(duration * 10);
        const output = options.usage?.outputTokens ?? countWords(text);
        return json({
          text,
          usage: { type: 'tokens', input_tokens: input, input_token_details: { text_tokens: 0, audio_tokens: input }, output_tokens: output, total_tokens: input + output },
        });
      }
    }
  },
};
