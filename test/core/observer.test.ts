/**
 * The core tells its observer about every request exactly twice (received, then settled with
 * the ledger row), whatever way the request goes; and an observer that throws neither fails a
 * request nor costs it its ledger row.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { createGateway } from '../../src/core/gateway.js';
import type { RequestObserver, RequestStarted } from '../../src/core/observer.js';
import type { ChatRequest } from '../../src/core/types.js';
import { createPolicyState } from '../../src/policy/state/create.js';
import { createPricing } from '../../src/core/pricing.js';
import { createLogger } from '../../src/logger.js';
import { createProviderRegistry } from '../../src/providers/registry.js';
import { openStore } from '../support/store.js';
import type { RequestRow, Store } from '../../src/store/types.js';

const opened: Array<{ store: Store; dir: string }> = [];
afterEach(async () => {
  for (const { store, dir } of opened.splice(0)) {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

async function gatewayWith(observer: RequestObserver, warnings: unknown[] = []) {
  const dir = mkdtempSync(join(tmpdir(), 'tollgate-observer-'));
  const store = await openStore(dir);
  opened.push({ store, dir });
  const config = parseConfig({}, {});
  const logger = createLogger('silent');
  logger.warn = ((...args: unknown[]) => void warnings.push(args)) as typeof logger.warn;
  const gateway = createGateway({ config, registry: createProviderRegistry(config), pricing: createPricing(config), store, logger, observer, state: createPolicyState(config) });
  return { gateway, store };
}

const chat = (text: string, model = 'mock/echo'): ChatRequest => ({ model, call: { prompt: [{ role: 'user', content: [{ type: 'text', text }] }] } });

describe('the request observer', () => {
  it('hears received then settled, once each and with the same id, for answers, streams, embeddings and refusals', async () => {
    const heard: Array<['received', RequestStarted] | ['settled', RequestRow]> = [];
    const { gateway } = await gatewayWith({ received: (request) => void heard.push(['received', request]), settled: (row) => void heard.push(['settled', row]) });

    await gateway.chat(chat('one'), { face: 'openai', user: 'alice' });
    const stream = await gateway.chatStream(chat('two'), { face: 'anthropic' });
    for await (const part of stream.parts) void part;
    await stream.settled;
    await gateway.embed({ model: 'mock/embed', values: ['three'] }, { face: 'mcp' });
    await expect(gateway.chat(chat('four', 'nowhere/none'), { face: 'openai' })).rejects.toMatchObject({ kind: 'model_not_found' });

    expect(heard.map(([event, request]) => `${event} ${'model' in request ? request.model : request.requestedModel}`)).toEqual([
      'received mock/echo',
      'settled mock/echo',
      'received mock/echo',
      'settled mock/echo',
      'received mock/embed',
      'settled mock/embed',
      'received nowhere/none',
      'settled nowhere/none',
    ]);
    for (let index = 0; index < heard.length; index += 2) expect(heard[index]![1].id).toBe(heard[index + 1]![1].id);
    expect(heard[0]![1]).toMatchObject({ face: 'openai', operation: 'chat', stream: false, user: 'alice' });
    expect(heard[2]![1]).toMatchObject({ face: 'anthropic', stream: true });
    expect(heard[7]![1]).toMatchObject({ status: 'error', errorKind: 'model_not_found' });
  });

  it('cannot fail a request or lose its ledger row by throwing; the failure is logged', async () => {
    const warnings: unknown[] = [];
    const { gateway, store } = await gatewayWith(
      {
        received: () => {
          throw new Error('observer broke on received');
        },
        settled: () => {
          throw new Error('observer broke on settled');
        },
      },
      warnings,
    );
    const result = await gateway.chat(chat('still answered'), { face: 'openai' });
    expect(result.servedModel).toBe('mock/echo');
    const found = await store.reports.getRequest(result.requestId, { kind: 'all' });
    expect(found?.request).toMatchObject({ status: 'ok', servedModel: 'mock/echo' });
    expect(warnings).toHaveLength(2);
  });
});
