/**
 * `POST /v1/audio/transcriptions` in OpenAI's shape: a multipart form with the audio as `file`,
 * answered as `json`, `text`, `verbose_json`, `srt` or `vtt`.
 */
import { z } from 'zod';
import { audioTypeOfFormat, sniffAudioType } from '../../core/audio-type.js';
import { GatewayError } from '../../core/errors.js';
import type { TranscribeRequest, TranscribeResult } from '../../core/types.js';
import { parseRequestBody } from './parse-request-body.js';

export const transcriptionFormats = ['json', 'text', 'verbose_json', 'srt', 'vtt'] as const;
export type TranscriptionFormat = (typeof transcriptionFormats)[number];

/** The text fields of the form; `file` is read on its own. Other OpenAI fields are accepted and not used. */
export const TranscriptionFieldsSchema = z.object({
  model: z.string().min(1),
  language: z.string().regex(/^[a-z]{2,3}$/i, 'language must be an ISO-639-1 code such as en').optional(),
  prompt: z.string().optional(),
  response_format: z.enum(transcriptionFormats, { error: `response_format must be one of ${transcriptionFormats.join(', ')}` }).optional(),
  stream: z.enum(['true', 'false'], { error: "stream must be 'true' or 'false'" }).optional(),
});

export interface ConvertedTranscriptionRequest {
  request: TranscribeRequest;
  responseFormat: TranscriptionFormat;
}

export async function parseTranscriptionForm(form: FormData): Promise<ConvertedTranscriptionRequest> {
  const fields: Record<string, string> = {};
  for (const [name, value] of form) if (typeof value === 'string' && !(name in fields)) fields[name] = value;
  const wire = parseRequestBody(TranscriptionFieldsSchema, fields);
  if (wire.stream === 'true') {
    throw new GatewayError('invalid_request', 'streamed transcription is not supported; leave stream unset', { param: 'stream' });
  }
  const file = form.get('file');
  if (file === null) throw new GatewayError('invalid_request', "Missing required parameter: 'file' (the audio, as a file part).", { param: 'file' });
  if (typeof file === 'string') {
    throw new GatewayError('invalid_request', "'file' must be a file part (with a filename), not a text field", { param: 'file' });
  }
  const audio = new Uint8Array(await file.arrayBuffer());
  if (audio.byteLength === 0) throw new GatewayError('invalid_request', "'file' is empty; send the audio bytes", { param: 'file' });
  const mediaType = audioMediaType(file.type, file.name, audio);
  const request: TranscribeRequest = { model: wire.model, audio, mediaType };
  if (wire.language) request.language = wire.language.toLowerCase();
  if (wire.prompt) request.prompt = wire.prompt;
  return { request, responseFormat: wire.response_format ?? 'json' };
}

/** The declared type when it names audio or video, else what the bytes or the file name say. */
function audioMediaType(declared: string, fileName: string, audio: Uint8Array): string {
  const type = declared.split(';')[0]!.trim().toLowerCase();
  if (/^(audio|video)\//.test(type)) return type;
  const known = sniffAudioType(audio) ?? audioTypeOfFormat(fileName);
  if (known) return known;
  throw new GatewayError(
    'invalid_request',
    `could not tell the audio format of '${fileName.slice(0, 80)}'; name the file with its extension (flac, mp3, mp4, mpeg, mpga, m4a, ogg, wav, webm) or send the part's content-type`,
    { param: 'file' },
  );
}

export interface RenderedTranscription {
  contentType: string;
  body: string;
}

export function renderTranscription(result: TranscribeResult, format: TranscriptionFormat): RenderedTranscription {
  switch (format) {
    case 'text':
      return { contentType: 'text/plain; charset=utf-8', body: result.text };
    case 'srt':
      return { contentType: 'text/plain; charset=utf-8', body: renderCues(result, ',', false) };
    case 'vtt':
      return { contentType: 'text/vtt; charset=utf-8', body: `WEBVTT\n\n${renderCues(result, '.', true)}` };
    case 'verbose_json':
      return {
        contentType: 'application/json',
        body: JSON.stringify({
          task: 'transcribe',
          language: result.language ?? null,
          duration: result.durationSeconds ?? null,
          text: result.text,
          segments: (result.segments ?? []).map((segment, id) => ({ id, start: segment.startSecond, end: segment.endSecond, text: segment.text })),
          usage: renderUsage(result),
          model: result.servedModel,
          provider: result.provider,
        }),
      };
    case 'json':
      return {
        contentType: 'application/json',
        body: JSON.stringify({ text: result.text, usage: renderUsage(result), model: result.servedModel, provider: result.provider }),
      };
  }
}

/** OpenAI's two usage shapes (tokens for gpt-4o-transcribe, seconds for whisper), plus Tollgate's cost. */
function renderUsage(result: TranscribeResult): Record<string, unknown> {
  const { input, output } = result.usage;
  if (input + output > 0) return { type: 'tokens', input_tokens: input, output_tokens: output, total_tokens: input + output, cost: result.cost };
  return { type: 'duration', seconds: result.durationSeconds ?? null, cost: result.cost };
}

function renderCues(result: TranscribeResult, decimal: ',' | '.', vtt: boolean): string {
  const segments = result.segments?.length
    ? result.segments
    : [{ text: result.text, startSecond: 0, endSecond: result.durationSeconds ?? 0 }];
  return segments
    .map((segment, i) => {
      const times = `${timestamp(segment.startSecond, decimal)} --> ${timestamp(segment.endSecond, decimal)}`;
      return `${vtt ? '' : `${i + 1}\n`}${times}\n${segment.text.trim()}\n`;
    })
    .join('\n');
}

function timestamp(seconds: number, decimal: string): string {
  const ms = Math.max(0, Math.round(seconds * 1000));
  const pad = (value: number, width = 2) => String(value).padStart(width, '0');
  return `${pad(Math.floor(ms / 3_600_000))}:${pad(Math.floor(ms / 60_000) % 60)}:${pad(Math.floor(ms / 1000) % 60)}${decimal}${pad(ms % 1000, 3)}`;
}
