/**
 * Files in a prompt and the most tokens each may be billed as. Token counts of files depend on
 * the provider (and, at OpenAI, on the model), so a file is described here once and priced per
 * candidate.
 */
import type { ProviderKind } from '../../config/schema.js';
import { audioDuration } from './audio-duration.js';

export type PromptFile =
  | { kind: 'image' }
  /** A PDF; pages when they could be counted. */
  | { kind: 'document'; pages?: number }
  | { kind: 'audio'; seconds: number }
  /** Text and anything else sent as it is: at most one token a byte. */
  | { kind: 'bytes'; bytes: number }
  /** Sent by reference (a URL or file id) with no size known. */
  | { kind: 'unknown' };

/**
 * Published worst cases per image. Anthropic: about 1,600 tokens for an image at its resize
 * ceiling, and up to about 4,800 on the models that take high-resolution images. OpenAI's
 * gpt-4o-mini bills a high-detail image of 8 tiles as 2,833 + 8 × 5,667 tokens. Elsewhere (patch
 * models at OpenAI, Gemini's tiles, open models behind OpenAI-compatible servers, whose image
 * encoders take up to 16,384 tokens) the ceiling is 16,384.
 */
export function imageTokens(kind: ProviderKind, modelId: string): number {
  if (kind === 'anthropic') return 4_800;
  if (/gpt-4o-mini/.test(modelId)) return 48_169;
  return 16_384;
}

/** Text of a PDF page, on top of the page's image (providers send both). */
const PAGE_TEXT_TOKENS = 3_000;
/** Anthropic's and OpenAI's most pages per request, for a PDF whose pages cannot be counted. */
const UNCOUNTED_PAGES = 100;
/** Gemini's published rate for audio, the highest known. */
const AUDIO_TOKENS_PER_SECOND = 32;
/** A file sent by reference: as much as a large context window holds. */
const UNKNOWN_FILE_TOKENS = 1_000_000;

export function fileTokens(file: PromptFile, kind: ProviderKind, modelId: string): number {
  switch (file.kind) {
    case 'image':
      return imageTokens(kind, modelId);
    case 'document':
      return (file.pages ?? UNCOUNTED_PAGES) * (imageTokens(kind, modelId) + PAGE_TEXT_TOKENS);
    case 'audio':
      return Math.ceil(file.seconds * AUDIO_TOKENS_PER_SECOND);
    case 'bytes':
      return file.bytes;
    case 'unknown':
      return UNKNOWN_FILE_TOKENS;
  }
}

/** What a file part of this media type and data costs at most, without decoding more than needed. */
export function describeFile(mediaType: string | undefined, data: unknown): PromptFile {
  const type = (mediaType ?? '').toLowerCase();
  if (type.startsWith('image/')) return { kind: 'image' };
  const bytes = bytesOf(data);
  if (type === 'application/pdf') {
    const pages = bytes ? countPdfPages(bytes) : 0;
    return pages > 0 ? { kind: 'document', pages } : { kind: 'document' };
  }
  if (!bytes) return { kind: 'unknown' };
  if (type.startsWith('audio/')) return { kind: 'audio', seconds: audioDuration(bytes).seconds };
  return { kind: 'bytes', bytes: bytes.byteLength };
}

/** File data as bytes: base64 text (or a data: URL) is decoded; a URL has none. */
function bytesOf(data: unknown): Uint8Array | undefined {
  if (data instanceof Uint8Array) return data;
  if (typeof data !== 'string') return undefined;
  const comma = /^data:/i.test(data) ? data.indexOf(',') : -1;
  if (/^[a-z][a-z0-9+.-]*:/i.test(data) && comma < 0) return undefined;
  return Buffer.from(comma >= 0 ? data.slice(comma + 1) : data, 'base64');
}

/** Page objects in the PDF's uncompressed part; 0 when they sit in compressed object streams. */
function countPdfPages(bytes: Uint8Array): number {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('latin1');
  return text.match(/\/Type\s*\/Page(?![a-zA-Z])/g)?.length ?? 0;
}
