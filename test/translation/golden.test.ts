import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { RequestRow } from '../../src/store/types.js';
import { eventually, startGateway, type TestGateway } from '../support/gateway.js';
import { startUpstream, type StartedUpstream } from '../support/upstreams/index.js';
import { GOLDEN, MODELS, PRICES, type UpstreamExpectation, type UpstreamKind } from './golden.js';

/**
 * Every golden pair (golden.ts) through the real server and the official `openai` client, against
 * Anthropic, Gemini and OpenAI-compatible upstreams on loopback, as a JSON answer and as a stream.
 */
let upstream: StartedUpstream;
let gateway: TestGateway;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startUpstream();
  gateway = await startGateway({
    routing: { retries: 0, backoffMs: 1, maxBackoffMs: 10 },
    providers: {
      claude: { kind: 'anthropic', baseURL: upstream.url, apiKey: 'claude-key', models: { 'claude-sonnet-4-5': { pricing: PRICES.anthropic } } },
      gem: { kind: 'google', baseURL: `${upstream.url}/v1beta`, apiKey: 'gem-key', models: { 'gemini-2.5-flash': { pricing: PRICES.google } } },
      up: { kind: 'openai-compatible', baseURL: `${upstream.url}/v1`, apiKey: 'up-key', models: { 'gpt-4o-mini': { pricing: PRICES['openai-compatible'] } } },
    },
  });
  client = new OpenAI({ baseURL: `${gateway.url}/v1`, apiKey: 'unused', maxRetries: 0, timeout: 10_000 });
});

afterAll(async () => {
  await gateway?.close();
  await upstream?.close();
});

beforeEach(() => upstream.reset());

const UPSTREAM_PATHS: Record<UpstreamKind, (stream: boolean) => string> = {
  anthropic: () => '/v1/messages',
  google: (stream) => `/v1beta/models/gemini-2.5-flash:${stream ? 'streamGenerateContent' : 'generateContent'}`,
  'openai-compatible': () => '/v1/chat/completions',
};

type ToolCallDelta = OpenAI.ChatCompletionChunk.Choice.Delta.ToolCall;

interface FoldedStream {
  completion: Record<string, unknown>;
  toolCallDeltas: ToolCallDelta[];
  finishChunks: number;
}

/** Folds a chunk stream into a `chat.completion`-shaped object, keeping the tool-call deltas. */
function fold(chunks: OpenAI.ChatCompletionChunk[]): FoldedStream {
  let role: string | undefined;
  let content = '';
  let finishReason: string | null = null;
  let finishChunks = 0;
  let usage: unknown;
  const toolCallDeltas: ToolCallDelta[] = [];
  const calls: Array<{ id?: string; type?: string; function: { name: string; arguments: string } }> = [];
  for (const chunk of chunks) {
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    role ??= choice.delta.role ?? undefined;
    content += choice.delta.content ?? '';
    for (const delta of choice.delta.tool_calls ?? []) {
      toolCallDeltas.push(delta);
      const call = (calls[delta.index] ??= { function: { name: '', arguments: '' } });
      if (delta.id) call.id = delta.id;
      if (delta.type) call.type = delta.type;
      call.function.name += delta.function?.name ?? '';
      call.function.arguments += delta.function?.arguments ?? '';
    }
    if (choice.finish_reason) {
      finishReason = choice.finish_reason;
      finishChunks++;
    }
  }
  const message: Record<string, unknown> = { role, content: content === '' && calls.length > 0 ? null : content };
  if (calls.length > 0) message.tool_calls = calls;
  return {
    completion: { model: chunks[0]?.model, choices: [{ index: 0, message, finish_reason: finishReason }], usage },
    toolCallDeltas,
    finishChunks,
  };
}

async function ledgerRowAfter(count: number): Promise<RequestRow> {
  return eventually(async () => {
    const rows = await gateway.ledger.requests();
    expect(rows.length).toBeGreaterThan(count);
    return rows.at(-1)!;
  });
}

function checkUpstream(kind: UpstreamKind, expected: UpstreamExpectation, stream: boolean): void {
  // One attempt: a translation mistake the upstream rejects must not hide behind a retry.
  expect(upstream.requests).toHaveLength(1);
  const seen = upstream.requests[0]!;
  expect(seen.path).toBe(UPSTREAM_PATHS[kind](stream));
  expect(seen.body).toMatchObject(expected.upstream);
}

for (const golden of GOLDEN) {
  describe(golden.name, () => {
    for (const [kind, expected] of Object.entries(golden.expect) as Array<[UpstreamKind, UpstreamExpectation]>) {
      const model = MODELS[kind];
      // A known gap in a provider package runs as an expected failure (see `knownGap`).
      const test = expected.knownGap ? it.fails : it;

      test(`${kind}, JSON`, async () => {
        if (expected.behavior) upstream.script(model.upstreamModel, expected.behavior);
        const before = (await gateway.ledger.requests()).length;
        const completion = await client.chat.completions.create({ ...golden.request, model: model.id });

        checkUpstream(kind, expected, false);
        expect(completion).toMatchObject({ object: 'chat.completion', model: model.responseModel, ...expected.response });
        const row = await ledgerRowAfter(before);
        expect(row).toMatchObject({ servedModel: model.id, status: 'ok', stream: false, ...expected.ledger });
      });

      test(`${kind}, stream`, async () => {
        if (expected.behavior) upstream.script(model.upstreamModel, expected.behavior);
        const before = (await gateway.ledger.requests()).length;
        const stream = await client.chat.completions.create({
          ...golden.request,
          model: model.id,
          stream: true,
          stream_options: { include_usage: true },
        });
        const chunks: OpenAI.ChatCompletionChunk[] = [];
        for await (const chunk of stream) chunks.push(chunk);

        checkUpstream(kind, expected, true);
        const folded = fold(chunks);
        expect(chunks[0]?.choices[0]?.delta.role).toBe('assistant');
        expect(folded.finishChunks).toBe(1);
        expect(chunks.at(-1)?.choices).toEqual([]);
        expect(folded.completion).toMatchObject({ model: model.responseModel, ...expected.response });

        // Each call's id arrives once, on its first delta, and each call keeps one index.
        const headers = folded.toolCallDeltas.filter((delta) => delta.id !== undefined);
        const firstDeltaOf = new Map<number, ToolCallDelta>();
        for (const delta of folded.toolCallDeltas) if (!firstDeltaOf.has(delta.index)) firstDeltaOf.set(delta.index, delta);
        expect(headers).toEqual([...firstDeltaOf.values()]);
        expect(new Set(headers.map((delta) => delta.id)).size).toBe(headers.length);
        if (expected.toolCallHeaders) expect(headers).toMatchObject(expected.toolCallHeaders);

        const row = await ledgerRowAfter(before);
        expect(row).toMatchObject({ servedModel: model.id, status: 'ok', stream: true, ...expected.ledger });
      });
    }
  });
}
