import { describe, expect, it } from 'vitest';
import { gatewayMetadata, toV3Usage } from '../../../src/faces/aisdk-gateway/gateway-metadata.js';

describe('gatewayMetadata', () => {
  it('names cost, generation and routing the way Vercel AI Gateway does', () => {
    expect(
      gatewayMetadata({ requestId: 'req-1', requestedModel: 'up/gpt-4o', servedModel: 'claude/claude-sonnet-4-5', provider: 'claude', attempts: 3, cost: 0.000123 }),
    ).toEqual({
      generationId: 'req-1',
      cost: '0.000123',
      marketCost: '0.000123',
      routing: {
        originalModelId: 'up/gpt-4o',
        resolvedProvider: 'claude',
        resolvedProviderApiModelId: 'claude-sonnet-4-5',
        canonicalSlug: 'claude/claude-sonnet-4-5',
        finalProvider: 'claude',
        totalProviderAttemptCount: 3,
      },
    });
  });

  it('leaves cost out when the model has no known price, rather than reporting 0', () => {
    const metadata = gatewayMetadata({ requestId: 'r', requestedModel: 'x/y', servedModel: 'x/y', provider: 'x', attempts: 1, cost: null });
    expect(metadata).not.toHaveProperty('cost');
    expect(metadata).toMatchObject({ costUnknown: true });
  });
});

describe('toV3Usage', () => {
  it('splits input into uncached, cache reads and writes, and output into text and reasoning', () => {
    expect(toV3Usage({ input: 100, cacheRead: 30, cacheWrite: 10, output: 50, reasoning: 20 })).toEqual({
      inputTokens: { total: 100, noCache: 60, cacheRead: 30, cacheWrite: 10 },
      outputTokens: { total: 50, text: 30, reasoning: 20 },
    });
  });
});
