/**
 * The most a request can be billed for, worked out before it is sent: what admission holds
 * against budgets and rate limits. Every count here is an upper bound, not a guess: text counts
 * one token per UTF-8 byte (no tokenizer makes more: byte-level BPE and SentencePiece with byte
 * fallback both spend at most one token on a byte), plus the framing each message, tool and
 * schema adds.
 */
import type { PromptFile } from './prompt-files.js';

export interface RequestEstimate {
  /** Tokens of everything sent but files: messages, tool definitions, schemas, options. */
  inputTokens: number;
  /** Files in the prompt, held at each candidate's worst case for them. */
  files?: PromptFile[];
  /**
   * The output cap the request sets. Absent: none was set, and the gateway holds (and, under a
   * budget, sends) the model's own cap.
   */
  maxOutputTokens?: number;
  /** Output a provider allows on top of the cap: thinking budgets (Anthropic adds them to max_tokens). */
  extraOutputTokens?: number;
  /** Web searches the provider may run as its own tool, each billed on top of the tokens. */
  webSearches?: number;
  /** Images to generate. */
  images?: number;
  /** Output tokens each generated image may bill, for image models priced per token. */
  imageOutputTokens?: number;
  /** Characters of text to speak (speech is priced per character). */
  characters?: number;
  /** Seconds of audio to transcribe (transcription is priced per minute). */
  audioSeconds?: number;
}

/** Framing of the request itself: template tokens around the whole conversation. */
export const REQUEST_TOKENS = 16;
/** Framing of one message: role markers and separators (OpenAI documents 3 to 4). */
export const MESSAGE_TOKENS = 8;
/** Framing of one content part inside a message. */
export const PART_TOKENS = 4;
/**
 * The system prompt a provider adds when tools (or a JSON schema, which some providers send as a
 * tool) are present: Anthropic documents up to about 530 tokens for it.
 */
export const TOOL_PREAMBLE_TOKENS = 600;
/** Framing of one tool definition besides its JSON. */
export const TOOL_TOKENS = 16;

export function utf8Bytes(text: string): number {
  return Buffer.byteLength(text, 'utf8');
}

/** Bytes of a value's JSON: how large it is when sent. */
export function jsonBytes(value: unknown): number {
  if (value === undefined) return 0;
  return utf8Bytes(JSON.stringify(value) ?? '');
}

/** Texts sent as they are (embeddings, rerank documents, prompts of media models). */
export function textEstimate(texts: readonly string[]): number {
  let tokens = REQUEST_TOKENS;
  for (const text of texts) tokens += utf8Bytes(text) + PART_TOKENS;
  return tokens;
}

/** A positive whole number, or undefined: caps sent by clients are checked before they are trusted. */
export function tokenCount(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 0 ? value : undefined;
}
