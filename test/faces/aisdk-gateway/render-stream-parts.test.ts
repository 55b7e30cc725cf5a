import type { LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import type { Accounting, ChatStream } from '../../../src/core/types.js';
import { renderStreamEvents } from '../../../src/faces/aisdk-gateway/render-stream-parts.js';

const accounting: Accounting = {
  requestId: 'req-1',
  servedModel: 'mock/echo',
  provider: 'mock',
  usage: { input: 3, cacheRead: 0, cacheWrite: 0, output: 2, reasoning: 0 },
  cost: 0.000007,
  attempts: 1,
};

function streamOf(parts: LanguageModelV3StreamPart[]): { stream: ChatStream; settle: () => void } {
  let settle!: () => void;
  const settled = new Promise<Accounting>((resolve) => {
    settle = () => resolve(accounting);
  });
  async function* iterate() {
    yield* parts;
    settle();
  }
  return { stream: { requestId: 'req-1', servedModel: 'mock/echo', provider: 'mock', attempts: 1, parts: iterate(), settled }, settle };
}

async function events(stream: ChatStream): Promise<unknown[]> {
  const out: unknown[] = [];
  for await (const event of renderStreamEvents(stream, 'mock/echo')) {
    expect(event).toMatch(/^data: .*\n\n$/s);
    out.push(JSON.parse(event.slice('data: '.length)));
  }
  return out;
}

const usage = { inputTokens: { total: 3, noCache: 3, cacheRead: 0, cacheWrite: 0 }, outputTokens: { total: 2, text: 2, reasoning: 0 } };

describe('renderStreamEvents', () => {
  it('sends each V3 part as one data event, the finish last with the settled cost in providerMetadata.gateway', async () => {
    const { stream } = streamOf([
      { type: 'stream-start', warnings: [] },
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'Echo: hi' },
      { type: 'text-end', id: 't' },
      { type: 'finish', finishReason: { unified: 'stop', raw: 'stop' }, usage, providerMetadata: { mock: { note: 'kept' } } },
    ]);
    const sent = await events(stream);
    expect(sent.map((part) => (part as { type: string }).type)).toEqual(['stream-start', 'text-start', 'text-delta', 'text-end', 'finish']);
    expect(sent.at(-1)).toEqual({
      type: 'finish',
      finishReason: { unified: 'stop', raw: 'stop' },
      usage,
      providerMetadata: {
        mock: { note: 'kept' },
        gateway: expect.objectContaining({ generationId: 'req-1', cost: '0.000007', routing: expect.objectContaining({ finalProvider: 'mock' }) }),
      },
    });
  });

  it('sends a failure after the start as an error part with the client error shape, and no finish', async () => {
    const { stream } = streamOf([
      { type: 'text-start', id: 't' },
      { type: 'text-delta', id: 't', delta: 'partial' },
      { type: 'error', error: new GatewayError('stream_interrupted', 'the upstream broke off') },
    ]);
    const sent = await events(stream);
    expect(sent.at(-1)).toEqual({
      type: 'error',
      error: { message: 'the upstream broke off', type: 'failed_dependency', param: null, code: 'stream_interrupted', statusCode: 502 },
    });
  });

  it('sends file bytes as base64', async () => {
    const { stream } = streamOf([{ type: 'file', mediaType: 'image/png', data: new Uint8Array([1, 2, 3]) }]);
    expect(await events(stream)).toEqual([{ type: 'file', mediaType: 'image/png', data: 'AQID' }]);
  });
});
