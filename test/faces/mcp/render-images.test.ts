import { describe, expect, it } from 'vitest';
import type { ImageResult } from '../../../src/core/types.js';
import { MAX_INLINE_IMAGE_BYTES, renderImages } from '../../../src/faces/mcp/tools/generate-image.js';

const accounting = {
  requestId: 'req_1',
  servedModel: 'mock/image',
  provider: 'mock',
  usage: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 },
  cost: 0.02,
  attempts: 1,
};

describe('renderImages', () => {
  it('links an image too large to preview without inlining it', () => {
    const result: ImageResult = {
      ...accounting,
      images: [
        { id: 'small', mediaType: 'image/png', bytes: new Uint8Array(100) },
        { id: 'large', mediaType: 'image/png', bytes: new Uint8Array(MAX_INLINE_IMAGE_BYTES + 1) },
      ],
    };
    const rendered = renderImages(result);
    expect(rendered.content.filter((block) => block.type === 'image')).toHaveLength(1);
    expect(rendered.content.filter((block) => block.type === 'resource_link').map((b) => (b as { uri: string }).uri)).toEqual([
      'tollgate://images/small',
      'tollgate://images/large',
    ]);
    expect(rendered.structuredContent).toMatchObject({
      images: [
        { id: 'small', bytes: 100 },
        { id: 'large', bytes: MAX_INLINE_IMAGE_BYTES + 1 },
      ],
      cost_usd: 0.02,
    });
  });

  it('escapes ids in the resource URI', () => {
    const rendered = renderImages({ ...accounting, images: [{ id: 'a b/c', mediaType: 'image/png', bytes: new Uint8Array(1) }] });
    expect(rendered.structuredContent).toMatchObject({ images: [{ uri: 'tollgate://images/a%20b%2Fc' }] });
  });
});
