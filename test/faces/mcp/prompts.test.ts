import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { periodRange } from '../../../src/faces/mcp/prompts.js';
import { MODEL_URI_TEMPLATE } from '../../../src/faces/mcp/resources.js';
import { startGateway, type TestGateway } from '../../support/gateway.js';

/**
 * The prompts agents and people start from, filled with the caller's own figures, and the
 * completion of their arguments and of the model template.
 */
const ADMIN_KEY = 'admin-prompts-4be1';
let gateway: TestGateway;
let client: Client;
let other: Client;

async function connect(key: string): Promise<Client> {
  const connected = new Client({ name: 'prompts-test', version: '1.0.0' });
  await connected.connect(new StreamableHTTPClientTransport(new URL('/mcp', gateway.url), { requestInit: { headers: { authorization: `Bearer ${key}` } } }));
  return connected;
}

beforeAll(async () => {
  gateway = await startGateway({ mockPricing: true }, { env: { TOLLGATE_ADMIN_KEY: ADMIN_KEY } });
  const keys = gateway.server.app.store.keys;
  client = await connect((await keys.create({ name: 'budgeted', budgetUsd: 2, budgetPeriod: 'total' })).key);
  other = await connect((await keys.create({ name: 'other' })).key);
});

afterAll(async () => {
  await client?.close();
  await other?.close();
  await gateway?.close();
});

const textOf = (result: { messages: Array<{ content: { type: string; text?: string } }> }) => result.messages.map((message) => message.content.text ?? '').join('\n');

describe('prompts', () => {
  it('lists the cheapest-model and spend-summary prompts with their arguments', async () => {
    const { prompts } = await client.listPrompts();
    expect(prompts.map((prompt) => [prompt.name, prompt.arguments?.map((argument) => `${argument.name}${argument.required ? '!' : ''}`)])).toEqual([
      ['cheapest_model', ['task!', 'type', 'context_tokens']],
      ['spend_summary', ['period!', 'group_by', 'model']],
    ]);
  });

  it("cheapest_model lists the models of the kind that fit the context, cheapest first, with the caller's budget", async () => {
    const result = await client.getPrompt({ name: 'cheapest_model', arguments: { task: 'Summarise a contract', type: 'language', context_tokens: '1000' } });
    const text = textOf(result);
    expect(text).toMatch(/^Task: Summarise a contract/);
    expect(text).toMatch(/about 1000 tokens at once/);
    expect(text).toMatch(/Budget: \$2\.000000 left \(key /);
    const listed = [...text.matchAll(/^- (\S+):/gm)].map((match) => match[1]);
    const catalog = (await gateway.server.gateway.catalog()).filter((model) => model.type === 'language' && (model.context_window ?? 0) >= 1000);
    expect(listed.sort()).toEqual(catalog.map((model) => model.id).sort());
    expect(text).toMatch(/about \$0\.\d+ to read the input/);
    expect(listed.every((id) => !id!.includes('embed'))).toBe(true);
  });

  it('cheapest_model refuses a kind or a context size that is not one', async () => {
    await expect(client.getPrompt({ name: 'cheapest_model', arguments: { task: 'x', type: 'video' } })).rejects.toMatchObject({ code: -32602, message: expect.stringMatching(/type must be one of language/) });
    await expect(client.getPrompt({ name: 'cheapest_model', arguments: { task: 'x', context_tokens: 'lots' } })).rejects.toMatchObject({ code: -32602, message: expect.stringMatching(/context_tokens/) });
  });

  it("spend_summary gives the caller's own spend for the period, per model, and asks for a summary", async () => {
    await client.callTool({ name: 'chat', arguments: { model: 'mock/echo', prompt: 'hello' } });
    await other.callTool({ name: 'embed', arguments: { model: 'mock/embed', texts: ['not mine'] } });
    const text = textOf(await client.getPrompt({ name: 'spend_summary', arguments: { period: 'today' } }));
    expect(text).toMatch(/^Summarise this spend through the Tollgate gateway for today/);
    expect(text).toMatch(/Total: \$0\.\d+, 1 requests/);
    expect(text).toMatch(/^- mock\/echo: \$0\.\d+, 1 requests/m);
    expect(text).not.toMatch(/mock\/embed/);
    await expect(client.getPrompt({ name: 'spend_summary', arguments: { period: 'last week' } })).rejects.toMatchObject({ code: -32602, message: expect.stringMatching(/period must be one of today/) });
  });

  it('reads named periods and explicit ranges as UTC days, both included', () => {
    expect(periodRange('today', '2026-03-01')).toEqual({ start: '2026-03-01', end: '2026-03-01' });
    expect(periodRange('yesterday', '2026-03-01')).toEqual({ start: '2026-02-28', end: '2026-02-28' });
    expect(periodRange('last_7_days', '2026-03-01')).toEqual({ start: '2026-02-23', end: '2026-03-01' });
    expect(periodRange('this_month', '2026-03-17')).toEqual({ start: '2026-03-01', end: '2026-03-17' });
    expect(periodRange('last_month', '2026-03-17')).toEqual({ start: '2026-02-01', end: '2026-02-28' });
    expect(periodRange('2026-01-05..2026-01-09', '2026-03-17')).toEqual({ start: '2026-01-05', end: '2026-01-09' });
    expect(periodRange('2026-01-09..2026-01-05', '2026-03-17')).toBeUndefined();
  });
});

describe('completion', () => {
  const complete = (name: string, argument: string, value: string) => client.complete({ ref: { type: 'ref/prompt', name }, argument: { name: argument, value } });

  it('completes prompt arguments: periods, kinds, groupings and model ids', async () => {
    expect((await complete('spend_summary', 'period', 'last')).completion.values).toEqual(['last_7_days', 'last_30_days', 'last_month']);
    expect((await complete('spend_summary', 'group_by', 'api')).completion.values).toEqual(['api_key_name']);
    expect((await complete('spend_summary', 'model', 'mock/e')).completion.values).toEqual(['mock/echo', 'mock/embed']);
    expect((await complete('cheapest_model', 'type', 'tr')).completion.values).toEqual(['transcription']);
  });

  it('completes the model template, whose form is {+id} since ids hold a slash, as the README writes it', async () => {
    const { resourceTemplates } = await client.listResourceTemplates();
    expect(resourceTemplates.map((template) => template.uriTemplate)).toContain('tollgate://models/{+id}');
    const { completion } = await client.complete({ ref: { type: 'ref/resource', uri: MODEL_URI_TEMPLATE }, argument: { name: 'id', value: 'mock/sp' } });
    expect(completion.values).toEqual(['mock/speak']);
    const readme = await import('node:fs').then((fs) => fs.readFileSync(new URL('../../../README.md', import.meta.url), 'utf8'));
    expect(readme).toContain('`tollgate://models/{+id}`');
    expect(readme).not.toMatch(/tollgate:\/\/models\/\{id\}/);
  });
});
