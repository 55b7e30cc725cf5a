import type { ImageModelV3, LanguageModelV3 } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { createMockProvider } from '../../src/providers/mock/index.js';
import { LazyImageModel, LazyLanguageModel } from '../../src/providers/lazy-models.js';

/**
 * A lazy model stands in for an AI SDK model until its first call imports the package: the
 * calls reach the real model unchanged, and the real model is created once.
 */
const mock = createMockProvider();

describe('lazy models', () => {
  it('creates the real model on the first call, once, and answers with it', async () => {
    const created: string[] = [];
    const model = new LazyLanguageModel('acme', 'echo', async (modelId): Promise<LanguageModelV3> => {
      created.push(modelId);
      return mock.languageModel(modelId);
    });
    expect(created).toEqual([]);
    expect(model.provider).toBe('acme');
    const call = { prompt: [{ role: 'user' as const, content: [{ type: 'text' as const, text: 'hello there' }] }] };
    const [first, second] = await Promise.all([model.doGenerate(call), model.doGenerate(call)]);
    const direct = await mock.languageModel('echo').doGenerate(call);
    expect(first.content).toEqual(direct.content);
    expect(second.content).toEqual(direct.content);
    expect(created).toEqual(['echo']);
    expect(model.provider).toBe(mock.languageModel('echo').provider);
    expect(await model.supportedUrls).toEqual(mock.languageModel('echo').supportedUrls);
  });

  it('passes a failure to create the model to the call', async () => {
    const model = new LazyLanguageModel('acme', 'm', () => Promise.reject(new Error('no package')));
    await expect(model.doStream({ prompt: [] })).rejects.toThrow('no package');
  });

  it('answers the image limit of the real model', async () => {
    const real = mock.imageModel('image');
    const model: ImageModelV3 = new LazyImageModel('acme', 'image', async () => real);
    const limit = model.maxImagesPerCall;
    expect(typeof limit).toBe('function');
    const expected = typeof real.maxImagesPerCall === 'function' ? await real.maxImagesPerCall({ modelId: 'image' }) : real.maxImagesPerCall;
    expect(typeof limit === 'function' ? await limit({ modelId: 'image' }) : limit).toBe(expected);
  });
});
