import type { LanguageModelV3CallOptions, LanguageModelV3Prompt, LanguageModelV3StreamPart } from '@ai-sdk/provider';
import { describe, expect, it } from 'vitest';
import { createMockProvider } from '../../../src/providers/mock/index.js';
import { readAll } from './read-stream.js';

const model = createMockProvider().languageModel('echo');

function user(text: string): LanguageModelV3Prompt[number] {
  return { role: 'user', content: [{ type: 'text', text }] };
}

const weatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Weather in a city',
  inputSchema: { type: 'object' as const, properties: { city: { type: 'string' as const } } },
};

function textOf(parts: LanguageModelV3StreamPart[]): string {
  return parts.flatMap((part) => (part.type === 'text-delta' ? [part.delta] : [])).join('');
}

describe('mock echo model: doGenerate', () => {
  it('echoes the last user message', async () => {
    const result = await model.doGenerate({
      prompt: [{ role: 'system', content: 'Be brief.' }, user('first'), { role: 'assistant', content: [{ type: 'text', text: 'ok' }] }, user('Hello there, world')],
    });
    expect(result.content).toEqual([{ type: 'text', text: 'Echo: Hello there, world' }]);
    expect(result.finishReason).toEqual({ unified: 'stop', raw: 'stop' });
    expect(result.warnings).toEqual([]);
    expect(result.response?.modelId).toBe('echo');
  });

  it('counts usage as prompt words + 3 per message in, words answered out', async () => {
    // system "Be brief." = 2 words, "Hello there, world" = 3 words, 2 messages → 2 + 3 + 6 = 11
    const result = await model.doGenerate({ prompt: [{ role: 'system', content: 'Be brief.' }, user('Hello there, world')] });
    expect(result.usage).toEqual({
      inputTokens: { total: 11, noCache: 11, cacheRead: 0, cacheWrite: 0 },
      outputTokens: { total: 4, text: 4, reasoning: 0 },
    });
  });

  it('truncates to maxOutputTokens words and finishes with length', async () => {
    const result = await model.doGenerate({ prompt: [user('one two three four')], maxOutputTokens: 3 });
    expect(result.content).toEqual([{ type: 'text', text: 'Echo: one two' }]);
    expect(result.finishReason.unified).toBe('length');
    expect(result.usage.outputTokens.total).toBe(3);
  });

  it('answers a JSON object when the response format is json', async () => {
    const result = await model.doGenerate({ prompt: [user('make it json')], responseFormat: { type: 'json' } });
    const [content] = result.content;
    expect(content.type === 'text' && JSON.parse(content.text)).toEqual({ echo: 'make it json' });
  });

  it('calls the first function tool when the user mentions a tool', async () => {
    const result = await model.doGenerate({
      prompt: [user('Use the tool please')],
      tools: [weatherTool, { ...weatherTool, name: 'other' }],
    });
    expect(result.content).toEqual([
      { type: 'tool-call', toolCallId: 'call_mock_1', toolName: 'get_weather', input: '{"city":"Paris"}' },
    ]);
    expect(result.finishReason.unified).toBe('tool-calls');
  });

  it('does not call tools when the user does not ask, or tool choice is none', async () => {
    const noWord = await model.doGenerate({ prompt: [user('weather in Paris?')], tools: [weatherTool] });
    expect(noWord.content[0]).toMatchObject({ type: 'text', text: 'Echo: weather in Paris?' });
    const none = await model.doGenerate({ prompt: [user('use a tool')], tools: [weatherTool], toolChoice: { type: 'none' } });
    expect(none.content[0].type).toBe('text');
  });

  it('reports the tool result when the last message is one', async () => {
    const result = await model.doGenerate({
      prompt: [
        user('use the tool'),
        { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'call_mock_1', toolName: 'get_weather', input: { city: 'Paris' } }] },
        {
          role: 'tool',
          content: [{ type: 'tool-result', toolCallId: 'call_mock_1', toolName: 'get_weather', output: { type: 'json', value: { temp: 21 } } }],
        },
      ],
      tools: [weatherTool],
    });
    expect(result.content).toEqual([{ type: 'text', text: 'Tool said: {"temp":21}' }]);
    expect(result.finishReason.unified).toBe('stop');
  });

  it('warns about provider tools it cannot use', async () => {
    const result = await model.doGenerate({
      prompt: [user('hi')],
      tools: [{ type: 'provider', id: 'openai.web_search', name: 'web_search', args: {} }],
    });
    expect(result.warnings).toEqual([expect.objectContaining({ type: 'unsupported' })]);
  });

  it('rejects an aborted call', async () => {
    const controller = new AbortController();
    controller.abort();
    await expect(model.doGenerate({ prompt: [user('hi')], abortSignal: controller.signal })).rejects.toThrow(/abort/i);
  });
});

describe('mock echo model: doStream', () => {
  it('streams stream-start, metadata, text word by word, then finish with usage', async () => {
    const { stream } = await model.doStream({ prompt: [user('Hello streaming world')] });
    const parts = await readAll(stream);
    expect(parts.map((part) => part.type)).toEqual([
      'stream-start',
      'response-metadata',
      'text-start',
      'text-delta',
      'text-delta',
      'text-delta',
      'text-delta',
      'text-end',
      'finish',
    ]);
    expect(parts.filter((p) => p.type === 'text-delta').map((p) => p.type === 'text-delta' && p.delta)).toEqual([
      'Echo:',
      ' Hello',
      ' streaming',
      ' world',
    ]);
    expect(textOf(parts)).toBe('Echo: Hello streaming world');
    expect(parts.at(-1)).toEqual({
      type: 'finish',
      finishReason: { unified: 'stop', raw: 'stop' },
      usage: {
        inputTokens: { total: 6, noCache: 6, cacheRead: 0, cacheWrite: 0 },
        outputTokens: { total: 4, text: 4, reasoning: 0 },
      },
    });
  });

  it('streams a tool call as tool-input-start/delta/end then tool-call', async () => {
    const { stream } = await model.doStream({ prompt: [user('call a tool')], tools: [weatherTool] });
    const parts = await readAll(stream);
    const types = parts.map((part) => part.type).filter((type) => type !== 'tool-input-delta');
    expect(types).toEqual(['stream-start', 'response-metadata', 'tool-input-start', 'tool-input-end', 'tool-call', 'finish']);
    const input = parts.flatMap((part) => (part.type === 'tool-input-delta' ? [part.delta] : [])).join('');
    expect(input).toBe('{"city":"Paris"}');
    expect(parts.find((part) => part.type === 'tool-call')).toEqual({
      type: 'tool-call',
      toolCallId: 'call_mock_1',
      toolName: 'get_weather',
      input: '{"city":"Paris"}',
    });
    expect(parts.at(-1)).toMatchObject({ type: 'finish', finishReason: { unified: 'tool-calls' } });
  });

  it('matches doGenerate for the same call', async () => {
    const call: LanguageModelV3CallOptions = { prompt: [user('same answer both ways')], maxOutputTokens: 3 };
    const generated = await model.doGenerate(call);
    const parts = await readAll((await model.doStream(call)).stream);
    expect(generated.content).toEqual([{ type: 'text', text: textOf(parts) }]);
    expect(parts.at(-1)).toMatchObject({ usage: generated.usage, finishReason: generated.finishReason });
  });

  it('errors the stream when the call is aborted midway', async () => {
    const controller = new AbortController();
    const { stream } = await model.doStream({ prompt: [user('a b c d e f')], abortSignal: controller.signal });
    const reader = stream.getReader();
    await reader.read();
    controller.abort();
    await expect(
      (async () => {
        for (;;) if ((await reader.read()).done) return;
      })(),
    ).rejects.toThrow(/abort/i);
  });
});
