/** Where audio made by the `speak` tool can be read back: the `tollgate://audio/{id}` resource. */
export const AUDIO_URI_TEMPLATE = 'tollgate://audio/{id}';

export function audioUri(id: string): string {
  return `tollgate://audio/${encodeURIComponent(id)}`;
}

/** The stored id behind `tollgate://audio/{id}` or `tollgate://images/{id}`, or a bare id. */
export function storedIdOf(reference: string): string {
  const match = /^tollgate:\/\/(?:audio|images)\/([^/?#]+)$/.exec(reference);
  return match ? decodeURIComponent(match[1]!) : reference;
}
