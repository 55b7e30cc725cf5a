import { inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { createMockProvider } from '../../../src/providers/mock/index.js';

const model = createMockProvider().imageModel('image');
const baseCall = { size: undefined, aspectRatio: undefined, seed: undefined, files: undefined, mask: undefined, providerOptions: {} };

function chunks(png: Uint8Array): Array<{ type: string; data: Buffer }> {
  const buffer = Buffer.from(png);
  const out: Array<{ type: string; data: Buffer }> = [];
  for (let at = 8; at < buffer.length; ) {
    const length = buffer.readUInt32BE(at);
    out.push({ type: buffer.toString('ascii', at + 4, at + 8), data: buffer.subarray(at + 8, at + 8 + length) });
    at += 12 + length;
  }
  return out;
}

describe('mock image model', () => {
  it('draws n valid 8x8 PNGs, deterministic per prompt', async () => {
    const result = await model.doGenerate({ ...baseCall, prompt: 'a red fox', n: 2 });
    const again = await model.doGenerate({ ...baseCall, prompt: 'a red fox', n: 2 });
    expect(result.images).toHaveLength(2);
    expect(result.images).toEqual(again.images);
    expect(result.images[0]).not.toEqual(result.images[1]);

    const png = result.images[0] as Uint8Array;
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const parts = chunks(png);
    expect(parts.map((part) => part.type)).toEqual(['IHDR', 'IDAT', 'IEND']);
    const ihdr = parts[0].data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4), ihdr[8], ihdr[9]]).toEqual([8, 8, 8, 2]);
    // 8 rows of one filter byte + 8 RGB pixels
    expect(inflateSync(parts[1].data)).toHaveLength(8 * (1 + 8 * 3));
  });

  it('honours a size and warns about an aspect ratio', async () => {
    const result = await model.doGenerate({ ...baseCall, prompt: 'x', n: 1, size: '16x4', aspectRatio: '1:1' });
    const ihdr = chunks(result.images[0] as Uint8Array)[0].data;
    expect([ihdr.readUInt32BE(0), ihdr.readUInt32BE(4)]).toEqual([16, 4]);
    expect(result.warnings).toEqual([expect.objectContaining({ type: 'unsupported', feature: 'aspectRatio' })]);
  });
});
