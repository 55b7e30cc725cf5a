/**
 * The `chat` tool's `image_urls` as V3 file parts: http(s) URLs fetched by the gateway through
 * its SSRF guard (public addresses only, images only, capped), `data:` URLs decoded, and
 * `tollgate://images/{id}` links read from the media store, for the caller that made them only.
 */
import type { LanguageModelV3FilePart } from '@ai-sdk/provider';
import { GatewayError } from '../../../core/errors.js';
import type { KeptMedia } from '../../../core/types.js';
import type { FetchedFile } from '../../../http/fetch-file.js';
import { parseDataUrl } from '../../openai/data-url.js';

export interface ImageSources {
  /** Fetches a public http(s) URL, refusing what is not an image. */
  fetch(url: string): Promise<FetchedFile>;
  /** The caller's own kept media of this id. */
  stored(id: string): Promise<KeptMedia | undefined>;
}

export const isImageType = (mediaType: string): boolean => mediaType.startsWith('image/');

export async function resolveImageUrls(urls: string[], sources: ImageSources): Promise<LanguageModelV3FilePart[]> {
  return Promise.all(urls.map((url, i) => resolveImageUrl(url, `image_urls[${i}]`, sources)));
}

async function resolveImageUrl(url: string, param: string, sources: ImageSources): Promise<LanguageModelV3FilePart> {
  const stored = /^tollgate:\/\/images\/([^/?#]+)$/.exec(url);
  if (stored) {
    const image = await sources.stored(decodeURIComponent(stored[1]!));
    if (!image || !isImageType(image.mediaType)) {
      throw new GatewayError('not_found', `${param}: no image ${url} for this caller (links expire; generate it again, or pass the image itself).`, { param });
    }
    return { type: 'file', mediaType: image.mediaType, data: image.bytes };
  }
  if (/^data:/i.test(url)) {
    const dataUrl = parseDataUrl(url);
    if (!dataUrl || !isImageType(dataUrl.mediaType)) {
      throw new GatewayError('invalid_request', `${param}: expected data:image/<type>;base64,<data>.`, { param });
    }
    return { type: 'file', mediaType: dataUrl.mediaType, data: dataUrl.base64 };
  }
  if (/^https?:\/\//i.test(url)) {
    const fetched = await sources.fetch(url);
    return { type: 'file', mediaType: fetched.mediaType, data: fetched.bytes };
  }
  throw new GatewayError('invalid_request', `${param}: use an https, data: or tollgate://images/{id} URL.`, { param });
}
