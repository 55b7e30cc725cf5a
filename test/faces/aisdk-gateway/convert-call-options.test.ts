import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { convertCallOptions, MAX_FILE_URLS } from '../../../src/faces/aisdk-gateway/convert-call-options.js';
import { LanguageModelBodySchema, type LanguageModelBody } from '../../../src/faces/aisdk-gateway/wire-api.js';

const noFetch = async (): Promise<never> => {
  throw new Error('no URL should be fetched');
};
const body = (value: unknown): LanguageModelBody => LanguageModelBodySchema.parse(value);
const userParts = (content: unknown[]) => body({ prompt: [{ role: 'user', content }] });

describe('convertCallOptions', () => {
  it('passes V3 call options through, moving providerOptions.gateway to the routing options', async () => {
    const request = await convertCallOptions(
      'openai/gpt-4o-mini',
      body({
        prompt: [{ role: 'system', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'hi' }] }],
        maxOutputTokens: 50,
        temperature: 0.2,
        tools: [{ type: 'function', name: 'weather', inputSchema: { type: 'object' } }],
        providerOptions: { gateway: { models: ['anthropic/claude-sonnet-4-5'], order: ['openai'], user: 'ada', tags: ['t1'] }, openai: { store: false } },
      }),
      noFetch,
    );
    expect(request).toEqual({
      model: 'openai/gpt-4o-mini',
      call: {
        prompt: [{ role: 'system', content: 'be brief' }, { role: 'user', content: [{ type: 'text', text: 'hi' }] }],
        maxOutputTokens: 50,
        temperature: 0.2,
        tools: [{ type: 'function', name: 'weather', inputSchema: { type: 'object' } }],
        providerOptions: { openai: { store: false } },
      },
      gateway: { models: ['anthropic/claude-sonnet-4-5'], order: ['openai'], user: 'ada', tags: ['t1'] },
    });
  });

  it('drops headers from the body: the provider adapters would send them upstream over our credentials', async () => {
    const request = await convertCallOptions('mock/echo', body({ prompt: [], headers: { authorization: 'Bearer theirs' } }), noFetch);
    expect(request.call).not.toHaveProperty('headers');
  });

  it('turns a data: URL file part (how the client sends bytes) into base64 data with its media type', async () => {
    const request = await convertCallOptions('mock/echo', userParts([{ type: 'file', data: 'data:image/png;base64,iVBORw0KGgo=', mediaType: 'image/png' }]), noFetch);
    expect(request.call.prompt[0]).toEqual({ role: 'user', content: [{ type: 'file', data: 'iVBORw0KGgo=', mediaType: 'image/png' }] });
  });

  it('fetches an http(s) URL file part itself and takes the served media type over a wildcard', async () => {
    const fetched: string[] = [];
    const request = await convertCallOptions('mock/echo', userParts([{ type: 'file', data: 'https://example.com/cat.png', mediaType: 'image/*' }]), async (url) => {
      fetched.push(url);
      return { bytes: new Uint8Array([1, 2, 3]), mediaType: 'image/png' };
    });
    expect(fetched).toEqual(['https://example.com/cat.png']);
    expect(request.call.prompt[0]).toEqual({ role: 'user', content: [{ type: 'file', data: new Uint8Array([1, 2, 3]), mediaType: 'image/png' }] });
  });

  it('keeps a plain base64 string as it is, and refuses other URL schemes', async () => {
    const request = await convertCallOptions('mock/echo', userParts([{ type: 'file', data: 'JVBERi0=', mediaType: 'application/pdf' }]), noFetch);
    expect(request.call.prompt[0]).toMatchObject({ content: [{ data: 'JVBERi0=' }] });
    await expect(convertCallOptions('mock/echo', userParts([{ type: 'file', data: 'file:///etc/passwd', mediaType: 'image/png' }]), noFetch)).rejects.toThrow(/http, https or data/);
  });

  it(`refuses more than ${MAX_FILE_URLS} file URLs in one request before fetching any`, async () => {
    const parts = Array.from({ length: MAX_FILE_URLS + 1 }, (_, i) => ({ type: 'file', data: `https://example.com/${i}.png`, mediaType: 'image/png' }));
    const error = await convertCallOptions('mock/echo', userParts(parts), noFetch).catch((reason: unknown) => reason);
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).kind).toBe('invalid_request');
  });
});
