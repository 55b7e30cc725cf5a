/** A `data:` URL split into its media type and base64 payload (what V3 file parts carry). */
export interface DataUrl {
  /** Lowercased; empty when the URL names none. */
  mediaType: string;
  base64: string;
}

/**
 * Parses `data:[<media type>][;param=value]*[;base64],<data>` (RFC 2397). Returns undefined
 * when the string is not a data URL. Non-base64 payloads are percent-decoded and re-encoded,
 * because V3 file data as a string means base64.
 */
export function parseDataUrl(url: string): DataUrl | undefined {
  if (!/^data:/i.test(url)) return undefined;
  const comma = url.indexOf(',');
  if (comma < 0) return undefined;
  const params = url.slice(5, comma).split(';');
  const mediaType = (params[0] ?? '').trim().toLowerCase();
  const isBase64 = params.slice(1).some((p) => p.trim().toLowerCase() === 'base64');
  const payload = url.slice(comma + 1);
  if (isBase64) {
    const base64 = payload.replace(/\s+/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(base64)) return undefined;
    return { mediaType, base64 };
  }
  let text: string;
  try {
    text = decodeURIComponent(payload);
  } catch {
    return undefined;
  }
  return { mediaType, base64: Buffer.from(text, 'utf8').toString('base64') };
}
