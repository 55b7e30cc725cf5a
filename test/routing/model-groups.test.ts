import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/config/load.js';
import type { ConfigInput } from '../../src/config/schema.js';
import { manualClock, startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';

/**
 * Model groups through the real server: one name clients send, served by deployments on
 * different providers and wire formats, ordered by the group's strategy, skipping deployments
 * that are paused or at their own limits.
 */
let upstream: StartedUpstream;
const gateways: TestGateway[] = [];

beforeAll(async () => {
  upstream = await startUpstream();
});
afterAll(async () => {
  for (const gateway of gateways) await gateway.close();
  await upstream?.close();
});

function providers(url: string): ConfigInput['providers'] {
  return {
    anth: { kind: 'anthropic', baseURL: url, apiKey: 'anthropic-key' },
    host: { kind: 'openai-compatible', baseURL: `${url}/v1`, apiKey: 'host-key' },
  };
}

async function gatewayWith(config: ConfigInput, clock?: () => Date) {
  const gateway = await startGateway({ routing: { retries: 0 }, ...config }, clock ? { clock } : {});
  gateways.push(gateway);
  return { gateway, client: new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0 }) };
}

const callsTo = (model: string) => upstream.requests.filter((request) => request.model === model).length;
const ask = (client: OpenAI, model: string, extra: object = {}) =>
  client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], ...extra });

describe('a model group', () => {
  it('serves the name clients send through each deployment, and the ledger keeps both names', async () => {
    const { gateway, client } = await gatewayWith({
      providers: providers(upstream.url),
      modelGroups: {
        'anthropic/claude-sonnet-4-5': {
          strategy: 'round-robin',
          deployments: [
            { provider: 'anth', model: 'g1-claude-sonnet-4-5-20250929' },
            { provider: 'host', model: 'g1-anthropic/claude-sonnet-4.5' },
          ],
        },
      },
    });
    const first = await ask(client, 'anthropic/claude-sonnet-4-5');
    const second = await ask(client, 'anthropic/claude-sonnet-4-5');
    expect(first.choices[0]!.message.content).toBe('Echo: hi');
    expect(second.choices[0]!.message.content).toBe('Echo: hi');
    expect(callsTo('g1-claude-sonnet-4-5-20250929')).toBe(1);
    expect(callsTo('g1-anthropic/claude-sonnet-4.5')).toBe(1);
    // The Anthropic deployment got Anthropic's wire format, with its own key.
    const anthropicCall = upstream.requests.find((request) => request.model === 'g1-claude-sonnet-4-5-20250929')!;
    expect(anthropicCall.path).toBe('/v1/messages');
    expect(anthropicCall.headers['x-api-key']).toBe('anthropic-key');
    expect((await gateway.ledger.requests()).map((row) => [row.requestedModel, row.servedModel, row.provider])).toEqual([
      ['anthropic/claude-sonnet-4-5', 'anth/g1-claude-sonnet-4-5-20250929', 'anth'],
      ['anthropic/claude-sonnet-4-5', 'host/g1-anthropic/claude-sonnet-4.5', 'host'],
    ]);
  });

  it('is listed in /v1/models under the name clients send, described by its first deployment', async () => {
    const { client } = await gatewayWith({
      mock: false,
      providers: { host: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'host-key', models: { 'g0-model': { contextWindow: 32_000, pricing: { input: 1, output: 2 } } } } },
      modelGroups: { 'team/fast': { deployments: [{ provider: 'host', model: 'g0-model' }, { provider: 'host', model: 'g0-other' }] } },
    });
    const listed = (await client.models.list()).data as Array<{ id: string; owned_by: string; context_window?: number; pricing?: object }>;
    expect(listed.find((model) => model.id === 'team/fast')).toMatchObject({ owned_by: 'host', context_window: 32_000, pricing: { input: '0.000001', output: '0.000002' } });
    expect((await client.models.retrieve('team/fast')).id).toBe('team/fast');
  });

  it('sends a deployment its own key and base URL', async () => {
    const other = await startUpstream({ apiKeys: ['deployment-key'] });
    try {
      const { client } = await gatewayWith({
        providers: providers(upstream.url),
        modelGroups: { fast: { deployments: [{ provider: 'host', model: 'g2-model', apiKey: 'deployment-key', baseURL: `${other.url}/v1` }] } },
      });
      expect((await ask(client, 'fast')).choices[0]!.message.content).toBe('Echo: hi');
      expect(other.requests.map((request) => [request.model, request.headers.authorization])).toEqual([['g2-model', 'Bearer deployment-key']]);
      expect(callsTo('g2-model')).toBe(0);
    } finally {
      await other.close();
    }
  });

  it('weighted 3:1 lands within 5 % of 75 % over 2,000 requests', { timeout: 180_000 }, async () => {
    const { client } = await gatewayWith({
      providers: providers(upstream.url),
      modelGroups: {
        weighted: {
          strategy: 'weighted',
          deployments: [
            { provider: 'host', model: 'g3-heavy', weight: 3 },
            { provider: 'host', model: 'g3-light', weight: 1 },
          ],
        },
      },
    });
    const total = 2_000;
    const lanes = 16;
    await Promise.all(
      Array.from({ length: lanes }, async (_, lane) => {
        for (let index = lane; index < total; index += lanes) await ask(client, 'weighted');
      }),
    );
    const heavy = callsTo('g3-heavy');
    expect(heavy + callsTo('g3-light')).toBe(total);
    expect(Math.abs(heavy / total - 0.75)).toBeLessThan(0.05);
  });

  it('least-latency moves traffic to the faster deployment within 50 requests', async () => {
    // The gateway's clock moves 400 ms whenever the slow deployment is called, so its answers
    // take 400 ms as the gateway measures them, and the fast one's none.
    const start = Date.now();
    const clock = () => new Date(start + callsTo('g4-slow') * 400);
    const { client } = await gatewayWith(
      {
        providers: providers(upstream.url),
        modelGroups: {
          quick: {
            strategy: 'least-latency',
            deployments: [
              { provider: 'host', model: 'g4-slow' },
              { provider: 'anth', model: 'g4-fast' },
            ],
          },
        },
      },
      clock,
    );
    for (let index = 0; index < 50; index++) await ask(client, 'quick');
    expect(callsTo('g4-slow')).toBeLessThanOrEqual(2);
    expect(callsTo('g4-fast')).toBeGreaterThanOrEqual(48);
  });

  it('sends a deployment at its RPM limit no request; the others serve, and when all are full the answer is 429 with retry-after', async () => {
    const clock = manualClock(Date.UTC(2026, 0, 1, 12, 0, 0));
    const { client } = await gatewayWith(
      {
        providers: providers(upstream.url),
        modelGroups: {
          limited: {
            deployments: [
              { provider: 'host', model: 'g5-first', rpm: 2 },
              { provider: 'host', model: 'g5-second', rpm: 3 },
            ],
          },
        },
      },
      clock.now,
    );
    for (let index = 0; index < 5; index++) expect((await ask(client, 'limited')).choices[0]!.message.content).toBe('Echo: hi');
    expect([callsTo('g5-first'), callsTo('g5-second')]).toEqual([2, 3]);
    const refused = await ask(client, 'limited').catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(OpenAI.APIError);
    expect((refused as InstanceType<typeof OpenAI.APIError>).status).toBe(429);
    expect((refused as InstanceType<typeof OpenAI.APIError>).message).toMatch(/every deployment is at its own rate limit/);
    expect(Number((refused as InstanceType<typeof OpenAI.APIError>).headers?.get('retry-after'))).toBeGreaterThan(0);
    expect([callsTo('g5-first'), callsTo('g5-second')]).toEqual([2, 3]);
    // A new minute (and the sliding window's decay) gives the first deployment room again.
    clock.advance(120_000);
    await ask(client, 'limited');
    expect(callsTo('g5-first')).toBe(3);
  });

  it('falls back from a failing deployment to the next by the strategy, and skips it once its circuit opens', async () => {
    upstream.script('g6-broken', { kind: 'error', status: 500 });
    const { gateway, client } = await gatewayWith({
      routing: { retries: 0, circuitBreaker: { failureThreshold: 2, cooldownMs: 60_000 } },
      providers: providers(upstream.url),
      modelGroups: {
        sturdy: {
          deployments: [
            { provider: 'host', model: 'g6-broken' },
            { provider: 'anth', model: 'g6-spare' },
          ],
        },
      },
    });
    for (let index = 0; index < 4; index++) expect((await ask(client, 'sturdy')).choices[0]!.message.content).toBe('Echo: hi');
    expect(callsTo('g6-broken')).toBe(2);
    expect(callsTo('g6-spare')).toBe(4);
    expect((await gateway.ledger.requests()).map((row) => row.attempts)).toEqual([2, 2, 1, 1]);
  });

  it('providerOptions.gateway.only and order filter and order within the group', async () => {
    const { client } = await gatewayWith({
      providers: providers(upstream.url),
      modelGroups: {
        filtered: {
          deployments: [
            { provider: 'host', model: 'g7-host' },
            { provider: 'anth', model: 'g7-anth' },
          ],
        },
      },
    });
    await ask(client, 'filtered', { providerOptions: { gateway: { only: ['anth'] } } });
    await ask(client, 'filtered', { providerOptions: { gateway: { order: ['anth', 'host'] } } });
    await ask(client, 'filtered');
    expect([callsTo('g7-host'), callsTo('g7-anth')]).toEqual([1, 2]);
  });
});

describe('model group config', () => {
  it('names every deployment whose provider is not configured, and duplicate ids', () => {
    const attempt = () =>
      parseConfig(
        {
          providers: { host: { kind: 'openai-compatible', baseURL: 'http://127.0.0.1:9/v1' } },
          modelGroups: {
            g: {
              deployments: [
                { provider: 'nowhere', model: 'x', id: 'same' },
                { provider: 'host', model: 'y', id: 'same' },
              ],
            },
          },
        },
        {},
      );
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'modelGroups.g.deployments.0.provider: no provider "nowhere" is configured',
        'modelGroups.g.deployments.1.id: "same" names two deployments of this group',
      ]);
    }
  });

  it('refuses an unknown strategy', () => {
    expect(() => parseConfig({ modelGroups: { g: { strategy: 'fastest', deployments: [{ provider: 'mock', model: 'echo' }] } } }, {})).toThrow(/modelGroups\.g\.strategy/);
  });
});
