import type { ImageModelV3, ImageModelV3CallOptions, SharedV3Warning } from '@ai-sdk/provider';
import { solidPng } from './png.js';
import { hash32 } from './words.js';

const defaultSide = 8;
const maxSide = 1024;

/**
 * `n` solid-colour PNGs, the colour derived from the prompt, the image's index and the seed, so
 * the same call always draws the same images. 8×8 unless a size is asked for (capped at 1024).
 */
export function createMockImageModel(modelId: string): ImageModelV3 {
  return {
    specificationVersion: 'v3',
    provider: 'mock',
    modelId,
    maxImagesPerCall: 10,

    async doGenerate(call: ImageModelV3CallOptions) {
      call.abortSignal?.throwIfAborted();
      const warnings: SharedV3Warning[] = [];
      const [width, height] = readSize(call, warnings);
      if (call.aspectRatio !== undefined) {
        warnings.push({ type: 'unsupported', feature: 'aspectRatio', details: 'use size' });
      }
      if (call.files?.length || call.mask) {
        warnings.push({ type: 'unsupported', feature: 'image editing', details: 'input files are ignored' });
      }
      const images = Array.from({ length: call.n }, (_, index) =>
        solidPng(width, height, colourOf(`${call.prompt ?? ''}#${index}#${call.seed ?? ''}`)),
      );
      return {
        images,
        warnings,
        response: { timestamp: new Date(), modelId, headers: undefined },
      };
    },
  };
}

export function colourOf(text: string): [number, number, number] {
  const hash = hash32(text);
  return [(hash >>> 16) & 0xff, (hash >>> 8) & 0xff, hash & 0xff];
}

function readSize(call: ImageModelV3CallOptions, warnings: SharedV3Warning[]): [number, number] {
  if (call.size === undefined) return [defaultSide, defaultSide];
  const [width, height] = call.size.split('x').map(Number);
  const clamp = (side: number) => Math.min(maxSide, Math.max(1, Math.floor(side) || defaultSide));
  const size: [number, number] = [clamp(width), clamp(height)];
  if (size[0] !== width || size[1] !== height) {
    warnings.push({ type: 'compatibility', feature: 'size', details: `drawn at ${size[0]}x${size[1]}` });
  }
  return size;
}
