/**
 * The JSON body of `POST /v3/ai/language-model` → the core's ChatRequest. The body is already
 * the V3 call options; what the JSON trip changed is undone here:
 * - file parts: a `data:` URL string becomes base64 data with its media type, an http(s) URL is
 *   fetched by the gateway itself (`fetchFile`: public addresses only, images and PDFs, capped);
 *   a plain string is base64 already;
 * - `providerOptions.gateway` is the gateway's (routing, user, tags), not the provider's;
 * - `headers` in the body would be sent upstream by the provider adapters and could replace the
 *   gateway's own credentials, so they are dropped.
 */
import type { LanguageModelV3CallOptions, LanguageModelV3Prompt } from '@ai-sdk/provider';
import { GatewayError } from '../../core/errors.js';
import type { ChatRequest } from '../../core/types.js';
import type { FetchedFile } from '../../http/fetch-file.js';
import { parseDataUrl } from '../openai/data-url.js';
import { splitProviderOptions } from './convert-gateway-options.js';
import type { LanguageModelBody } from './wire-api.js';

export type FileFetcher = (url: string) => Promise<FetchedFile>;

/** At most this many file URLs are fetched for one request. */
export const MAX_FILE_URLS = 16;

export async function convertCallOptions(model: string, body: LanguageModelBody, fetchUrl: FileFetcher): Promise<ChatRequest> {
  const { prompt: _prompt, providerOptions: rawOptions, headers: _headers, abortSignal: _signal, ...settings } = body;
  const { gateway, providerOptions } = splitProviderOptions(rawOptions);
  const prompt = await resolveFileParts(body.prompt as unknown as LanguageModelV3Prompt, fetchUrl);
  const call = { ...settings, prompt, ...(providerOptions ? { providerOptions } : {}) } as LanguageModelV3CallOptions;
  return { model, call, ...(gateway ? { gateway } : {}) };
}

type FilePart = { type: 'file'; data: unknown; mediaType?: string; [key: string]: unknown };

async function resolveFileParts(prompt: LanguageModelV3Prompt, fetchUrl: FileFetcher): Promise<LanguageModelV3Prompt> {
  const urls = prompt.flatMap((message) =>
    typeof message.content === 'string' ? [] : (message.content as Array<{ type: string; data?: unknown }>).filter(isUrlFilePart),
  );
  if (urls.length > MAX_FILE_URLS) {
    throw new GatewayError('invalid_request', `a request may name at most ${MAX_FILE_URLS} file URLs; send the others inline`);
  }
  return Promise.all(
    prompt.map(async (message) => {
      if (typeof message.content === 'string') return message;
      const content = await Promise.all((message.content as Array<{ type: string }>).map((part) => (part.type === 'file' ? resolveFilePart(part as FilePart, fetchUrl) : part)));
      return { ...message, content } as typeof message;
    }),
  );
}

async function resolveFilePart(part: FilePart, fetchUrl: FileFetcher): Promise<FilePart> {
  if (typeof part.data !== 'string') {
    throw new GatewayError('invalid_request', 'a file part carries its data as a base64 string, a data: URL or an http(s) URL');
  }
  const dataUrl = parseDataUrl(part.data);
  if (dataUrl) {
    return { ...part, data: dataUrl.base64, mediaType: concreteType(part.mediaType, dataUrl.mediaType) };
  }
  if (/^https?:\/\//i.test(part.data)) {
    const fetched = await fetchUrl(part.data);
    return { ...part, data: fetched.bytes, mediaType: concreteType(part.mediaType, fetched.mediaType) };
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(part.data)) {
    throw new GatewayError('invalid_request', 'file URLs must be http, https or data URLs');
  }
  return part;
}

function isUrlFilePart(part: { type: string; data?: unknown }): boolean {
  return part.type === 'file' && typeof part.data === 'string' && /^https?:\/\//i.test(part.data);
}

/** The part's own media type unless it is a wildcard (`image/*`) or missing; then what the data says. */
function concreteType(declared: string | undefined, found: string): string {
  if (declared && !declared.endsWith('/*')) return declared;
  return found || declared || 'application/octet-stream';
}
