/** Where a generated image can be read back: the `tollgate://images/{id}` resource. */
export const IMAGE_URI_TEMPLATE = 'tollgate://images/{id}';

export function imageUri(id: string): string {
  return `tollgate://images/${encodeURIComponent(id)}`;
}
