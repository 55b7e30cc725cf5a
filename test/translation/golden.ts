/**
 * Golden pairs for the OpenAI face: what an OpenAI client sends, what each kind of upstream
 * receives in its own wire format, and what the client gets back. `golden.test.ts` drives every
 * case through the real server against the loopback upstream, non-streaming and streaming.
 *
 * The wire shapes come from the providers' API references: OpenAI chat completions (parallel
 * `tool_calls`, streamed tool-call deltas keyed by `index` with `id` on the first delta,
 * `prompt_tokens` counting cached tokens), Anthropic Messages (`tool_use` / `tool_result`
 * blocks, every result of one assistant turn in the next user turn; `stop_reason`; `usage` whose
 * `input_tokens` leaves out `cache_read_input_tokens` and `cache_creation_input_tokens`) and
 * Gemini `generateContent` (`functionCall` / `functionResponse` parts, `finishReason`,
 * `usageMetadata` whose `promptTokenCount` counts `cachedContentTokenCount` and whose
 * `candidatesTokenCount` leaves out `thoughtsTokenCount`).
 *
 * Expectations are subsets (`toMatchObject`): arrays match element by element and in length, so
 * an array in an expectation pins both order and count.
 */
import type OpenAI from 'openai';
import { expect } from 'vitest';
import type { TokenUsage } from '../../src/core/types.js';
import type { Behavior } from '../support/upstreams/index.js';

/** The upstream kinds a case can run against; each is one provider in the test gateway. */
export type UpstreamKind = 'anthropic' | 'google' | 'openai-compatible';

/**
 * `provider/model` the test gateway serves for each kind, the model the upstream sees, and the
 * `model` the client reads back: `provider/model` on every path, the piped one included.
 */
export const MODELS: Record<UpstreamKind, { id: string; upstreamModel: string; responseModel: string }> = {
  anthropic: { id: 'claude/claude-sonnet-4-5', upstreamModel: 'claude-sonnet-4-5', responseModel: 'claude/claude-sonnet-4-5' },
  google: { id: 'gem/gemini-2.5-flash', upstreamModel: 'gemini-2.5-flash', responseModel: 'gem/gemini-2.5-flash' },
  'openai-compatible': { id: 'up/gpt-4o-mini', upstreamModel: 'gpt-4o-mini', responseModel: 'up/gpt-4o-mini' },
};

/** Config prices (USD per million tokens), distinct per bucket so a wrong bucket shows in the cost. */
export const PRICES = {
  anthropic: { input: 3, output: 15, cacheRead: 0.3, cacheWrite: 3.75 },
  google: { input: 0.3, output: 2.5, cacheRead: 0.075 },
  'openai-compatible': { input: 0.15, output: 0.6, cacheRead: 0.075 },
} as const;

export interface UpstreamExpectation {
  /** What the upstream does (default: its default answer, see test/support/upstreams/README.md). */
  behavior?: Behavior;
  /** Subset of the JSON body the upstream receives, in its wire format. */
  upstream: Record<string, unknown>;
  /**
   * Subset of the `chat.completion` the client gets. A stream is folded into the same shape
   * (content joined, tool calls assembled by index, the finishing chunk's reason, the usage
   * chunk) and matched against it too.
   */
  response: Record<string, unknown>;
  /** Streams only: subsets of the tool-call deltas that carry an `id`, in the order they arrive. */
  toolCallHeaders?: Array<Record<string, unknown>>;
  /** Subset of the ledger's `requests` row. */
  ledger?: { usage: Partial<TokenUsage>; costNanos: number };
  /**
   * The expectation is right but a provider package does otherwise (we do not patch
   * node_modules): says what it does instead. The case runs as an expected failure, so it
   * fails the day the package is fixed and the mark can go.
   */
  knownGap?: string;
}

export interface GoldenCase {
  /** The behavior the case pins down; the test is named after it. */
  name: string;
  /** The client's body, without `model` (set per upstream kind) and `stream`. */
  request: Omit<OpenAI.ChatCompletionCreateParamsNonStreaming, 'model'>;
  expect: Partial<Record<UpstreamKind, UpstreamExpectation>>;
}

// ---- shared request pieces ----

const tool = (name: string, description: string): OpenAI.ChatCompletionFunctionTool => ({
  type: 'function',
  function: {
    name,
    description,
    parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
  },
});
const WEATHER = tool('get_weather', 'Weather in a city');
const TIME = tool('get_time', 'Local time in a city');

const CITY_SCHEMA = { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] };
const anthropicTool = (name: string, description: string) => ({ name, description, input_schema: CITY_SCHEMA });
const geminiFunction = (name: string, description: string) => ({
  name,
  description,
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] },
});

/** A 1×1 PNG. */
const PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

const textChoice = (content: string, finishReason: string) => ({
  choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: finishReason }],
});
const toolCall = (id: unknown, name: string, args: string) => ({ id, type: 'function', function: { name, arguments: args } });

/** An assistant turn that called both tools, and the two tool messages answering it in order. */
const ANSWERED_TWO_TOOLS: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'user', content: 'weather and time in Paris' },
  {
    role: 'assistant',
    content: null,
    tool_calls: [
      { id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } },
      { id: 'call_t', type: 'function', function: { name: 'get_time', arguments: '{"city":"Paris"}' } },
    ],
  },
  { role: 'tool', tool_call_id: 'call_w', content: 'sunny' },
  { role: 'tool', tool_call_id: 'call_t', content: '9am' },
];

const JSON_SCHEMA_FORMAT: OpenAI.ResponseFormatJSONSchema = {
  type: 'json_schema',
  json_schema: {
    name: 'forecast',
    schema: {
      type: 'object',
      properties: { city: { type: 'string' }, celsius: { type: 'number' } },
      required: ['city', 'celsius'],
      additionalProperties: false,
    },
  },
};

// ---- the table ----

export const GOLDEN: GoldenCase[] = [
  {
    name: 'two tool calls in one assistant turn get one index and one id each',
    request: { messages: [{ role: 'user', content: 'use two tools for Paris' }], tools: [WEATHER, TIME] },
    expect: {
      anthropic: {
        upstream: {
          model: 'claude-sonnet-4-5',
          tools: [anthropicTool('get_weather', 'Weather in a city'), anthropicTool('get_time', 'Local time in a city')],
          messages: [{ role: 'user', content: [{ type: 'text', text: 'use two tools for Paris' }] }],
        },
        response: {
          choices: [
            {
              message: {
                content: null,
                tool_calls: [
                  toolCall('toolu_1', 'get_weather', '{"city":"Paris"}'),
                  toolCall('toolu_2', 'get_time', '{"city":"Tokyo"}'),
                ],
              },
              finish_reason: 'tool_calls',
            },
          ],
        },
        toolCallHeaders: [
          { index: 0, id: 'toolu_1', type: 'function', function: { name: 'get_weather' } },
          { index: 1, id: 'toolu_2', type: 'function', function: { name: 'get_time' } },
        ],
      },
      google: {
        upstream: {
          tools: [{ functionDeclarations: [geminiFunction('get_weather', 'Weather in a city'), geminiFunction('get_time', 'Local time in a city')] }],
          contents: [{ role: 'user', parts: [{ text: 'use two tools for Paris' }] }],
        },
        // Gemini function calls carry no id: the adapter makes one per call.
        response: {
          choices: [
            {
              message: {
                content: null,
                tool_calls: [
                  toolCall(expect.any(String), 'get_weather', '{"city":"Paris"}'),
                  toolCall(expect.any(String), 'get_time', '{"city":"Tokyo"}'),
                ],
              },
              finish_reason: 'tool_calls',
            },
          ],
        },
        toolCallHeaders: [
          { index: 0, id: expect.any(String), function: { name: 'get_weather' } },
          { index: 1, id: expect.any(String), function: { name: 'get_time' } },
        ],
      },
      'openai-compatible': {
        upstream: { model: 'gpt-4o-mini', tools: [WEATHER, TIME], messages: [{ role: 'user', content: 'use two tools for Paris' }] },
        response: {
          choices: [
            {
              message: {
                content: null,
                tool_calls: [toolCall('call_1', 'get_weather', '{"city":"Paris"}'), toolCall('call_2', 'get_time', '{"city":"Tokyo"}')],
              },
              finish_reason: 'tool_calls',
            },
          ],
        },
        toolCallHeaders: [
          { index: 0, id: 'call_1', function: { name: 'get_weather' } },
          { index: 1, id: 'call_2', function: { name: 'get_time' } },
        ],
      },
    },
  },
  {
    name: 'tool results go right after their calls, in order, in one turn',
    request: { messages: ANSWERED_TWO_TOOLS, tools: [WEATHER, TIME] },
    expect: {
      anthropic: {
        upstream: {
          messages: [
            { role: 'user', content: [{ type: 'text', text: 'weather and time in Paris' }] },
            {
              role: 'assistant',
              content: [
                { type: 'tool_use', id: 'call_w', name: 'get_weather', input: { city: 'Paris' } },
                { type: 'tool_use', id: 'call_t', name: 'get_time', input: { city: 'Paris' } },
              ],
            },
            {
              role: 'user',
              content: [
                { type: 'tool_result', tool_use_id: 'call_w', content: 'sunny' },
                { type: 'tool_result', tool_use_id: 'call_t', content: '9am' },
              ],
            },
          ],
        },
        response: textChoice('Tool said: sunny; 9am', 'stop'),
      },
      google: {
        upstream: {
          contents: [
            { role: 'user', parts: [{ text: 'weather and time in Paris' }] },
            {
              role: 'model',
              parts: [
                { functionCall: { name: 'get_weather', args: { city: 'Paris' } } },
                { functionCall: { name: 'get_time', args: { city: 'Paris' } } },
              ],
            },
            {
              role: 'user',
              parts: [
                { functionResponse: { name: 'get_weather', response: { content: 'sunny' } } },
                { functionResponse: { name: 'get_time', response: { content: '9am' } } },
              ],
            },
          ],
        },
        response: textChoice('Tool said: sunny; 9am', 'stop'),
      },
      'openai-compatible': {
        upstream: { messages: ANSWERED_TWO_TOOLS },
        response: textChoice('Tool said: sunny; 9am', 'stop'),
      },
    },
  },
  {
    name: 'a natural end of turn finishes with stop',
    request: { messages: [{ role: 'user', content: 'hello there' }] },
    expect: {
      anthropic: { upstream: {}, response: textChoice('Echo: hello there', 'stop') },
      google: { upstream: {}, response: textChoice('Echo: hello there', 'stop') },
    },
  },
  {
    name: 'running out of output tokens finishes with length, and max_tokens reaches the upstream',
    request: { messages: [{ role: 'user', content: 'write a long story' }], max_tokens: 5 },
    expect: {
      anthropic: {
        behavior: { kind: 'text', text: 'Once upon a time', finishReason: 'max_tokens' },
        upstream: { max_tokens: 5 },
        response: textChoice('Once upon a time', 'length'),
      },
      google: {
        behavior: { kind: 'text', text: 'Once upon a time', finishReason: 'MAX_TOKENS' },
        upstream: { generationConfig: { maxOutputTokens: 5 } },
        response: textChoice('Once upon a time', 'length'),
      },
      'openai-compatible': {
        behavior: { kind: 'text', text: 'Once upon a time', finishReason: 'length' },
        upstream: { max_tokens: 5 },
        response: textChoice('Once upon a time', 'length'),
      },
    },
  },
  {
    name: 'a matched stop sequence finishes with stop, and stop reaches the upstream',
    request: { messages: [{ role: 'user', content: 'count to ten' }], stop: ['seven', 'END'] },
    expect: {
      anthropic: {
        behavior: { kind: 'text', text: 'one two three four five six', finishReason: 'stop_sequence' },
        upstream: { stop_sequences: ['seven', 'END'] },
        response: textChoice('one two three four five six', 'stop'),
      },
      google: {
        upstream: { generationConfig: { stopSequences: ['seven', 'END'] } },
        behavior: { kind: 'text', text: 'one two three four five six', finishReason: 'STOP' },
        response: textChoice('one two three four five six', 'stop'),
      },
    },
  },
  {
    name: 'a safety block or refusal finishes with content_filter',
    request: { messages: [{ role: 'user', content: 'something unsafe' }] },
    expect: {
      anthropic: {
        behavior: { kind: 'text', text: 'I cannot help', finishReason: 'refusal' },
        upstream: {},
        response: textChoice('I cannot help', 'content_filter'),
      },
      google: {
        behavior: { kind: 'text', text: 'partial answer', finishReason: 'SAFETY' },
        upstream: {},
        response: textChoice('partial answer', 'content_filter'),
      },
      'openai-compatible': {
        behavior: { kind: 'text', text: 'partial answer', finishReason: 'content_filter' },
        upstream: {},
        response: textChoice('partial answer', 'content_filter'),
      },
    },
  },
  {
    name: 'a data: image URL becomes inline base64 image data',
    request: {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this' },
            { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
          ],
        },
      ],
    },
    expect: {
      anthropic: {
        upstream: {
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'what is this' },
                { type: 'image', source: { type: 'base64', media_type: 'image/png', data: PNG_BASE64 } },
              ],
            },
          ],
        },
        response: textChoice('Echo: what is this', 'stop'),
      },
      google: {
        upstream: {
          contents: [{ role: 'user', parts: [{ text: 'what is this' }, { inlineData: { mimeType: 'image/png', data: PNG_BASE64 } }] }],
        },
        response: textChoice('Echo: what is this', 'stop'),
      },
      'openai-compatible': {
        upstream: {
          messages: [
            {
              role: 'user',
              content: [
                { type: 'text', text: 'what is this' },
                { type: 'image_url', image_url: { url: `data:image/png;base64,${PNG_BASE64}` } },
              ],
            },
          ],
        },
        response: textChoice('Echo: what is this', 'stop'),
      },
    },
  },
  {
    name: 'prompt_tokens counts cache reads and writes, and each bucket is priced at its own rate',
    request: { messages: [{ role: 'user', content: 'long cached prompt' }] },
    expect: {
      // Anthropic reports input_tokens 100 (uncached), cache_read 50, cache_creation 20.
      anthropic: {
        behavior: { kind: 'usage', usage: { inputTokens: 170, cachedInputTokens: 50, cacheWriteTokens: 20, outputTokens: 10 } },
        upstream: {},
        response: {
          usage: {
            prompt_tokens: 170,
            completion_tokens: 10,
            total_tokens: 180,
            prompt_tokens_details: { cached_tokens: 50, cache_write_tokens: 20 },
            // (100 × 3 + 50 × 0.3 + 20 × 3.75 + 10 × 15) / 1e6
            cost: 0.00054,
          },
        },
        ledger: { usage: { input: 170, cacheRead: 50, cacheWrite: 20, output: 10 }, costNanos: 540_000 },
      },
      // Gemini reports promptTokenCount 200 with cachedContentTokenCount 80, and
      // candidatesTokenCount 18 beside thoughtsTokenCount 12.
      google: {
        behavior: { kind: 'usage', usage: { inputTokens: 200, cachedInputTokens: 80, outputTokens: 30, reasoningTokens: 12 } },
        upstream: {},
        response: {
          usage: {
            prompt_tokens: 200,
            completion_tokens: 30,
            total_tokens: 230,
            prompt_tokens_details: { cached_tokens: 80 },
            completion_tokens_details: { reasoning_tokens: 12 },
            // (120 × 0.3 + 80 × 0.075 + 30 × 2.5) / 1e6
            cost: 0.000117,
          },
        },
        ledger: { usage: { input: 200, cacheRead: 80, cacheWrite: 0, output: 30, reasoning: 12 }, costNanos: 117_000 },
      },
      'openai-compatible': {
        behavior: { kind: 'usage', usage: { inputTokens: 1000, cachedInputTokens: 200, outputTokens: 50, reasoningTokens: 20 } },
        upstream: {},
        response: {
          usage: {
            prompt_tokens: 1000,
            completion_tokens: 50,
            prompt_tokens_details: { cached_tokens: 200 },
            completion_tokens_details: { reasoning_tokens: 20 },
            // (800 × 0.15 + 200 × 0.075 + 50 × 0.6) / 1e6
            cost: 0.000165,
          },
        },
        ledger: { usage: { input: 1000, cacheRead: 200, output: 50, reasoning: 20 }, costNanos: 165_000 },
      },
    },
  },
  {
    name: 'a system message becomes the system prompt',
    request: {
      messages: [
        { role: 'system', content: 'be brief' },
        { role: 'user', content: 'hi there' },
      ],
    },
    expect: {
      anthropic: {
        upstream: { system: [{ type: 'text', text: 'be brief' }], messages: [{ role: 'user', content: [{ type: 'text', text: 'hi there' }] }] },
        response: textChoice('Echo: hi there', 'stop'),
      },
      google: {
        upstream: { systemInstruction: { parts: [{ text: 'be brief' }] }, contents: [{ role: 'user', parts: [{ text: 'hi there' }] }] },
        response: textChoice('Echo: hi there', 'stop'),
      },
    },
  },
  {
    name: 'several system and developer messages become system prompt parts in order',
    request: {
      messages: [
        { role: 'system', content: 'rule one' },
        { role: 'developer', content: [{ type: 'text', text: 'rule two' }] },
        { role: 'system', content: 'rule three' },
        { role: 'user', content: 'hi there' },
      ],
    },
    expect: {
      anthropic: {
        upstream: {
          system: [
            { type: 'text', text: 'rule one' },
            { type: 'text', text: 'rule two' },
            { type: 'text', text: 'rule three' },
          ],
          messages: [{ role: 'user', content: [{ type: 'text', text: 'hi there' }] }],
        },
        response: textChoice('Echo: hi there', 'stop'),
      },
      google: {
        upstream: {
          systemInstruction: { parts: [{ text: 'rule one' }, { text: 'rule two' }, { text: 'rule three' }] },
          contents: [{ role: 'user', parts: [{ text: 'hi there' }] }],
        },
        response: textChoice('Echo: hi there', 'stop'),
      },
      'openai-compatible': {
        // Passed through: the developer role reaches an OpenAI-compatible host as the client sent it.
        upstream: {
          messages: [
            { role: 'system', content: 'rule one' },
            { role: 'developer', content: [{ type: 'text', text: 'rule two' }] },
            { role: 'system', content: 'rule three' },
            { role: 'user', content: 'hi there' },
          ],
        },
        response: textChoice('Echo: hi there', 'stop'),
      },
    },
  },
  {
    name: 'a json_schema response format reaches the upstream as its structured-output setting',
    request: { messages: [{ role: 'user', content: 'forecast for Paris' }], response_format: JSON_SCHEMA_FORMAT },
    expect: {
      anthropic: {
        behavior: { kind: 'text', text: '{"city":"Paris","celsius":21}' },
        upstream: { output_config: { format: { type: 'json_schema', schema: JSON_SCHEMA_FORMAT.json_schema.schema } } },
        response: textChoice('{"city":"Paris","celsius":21}', 'stop'),
      },
      google: {
        behavior: { kind: 'text', text: '{"city":"Paris","celsius":21}' },
        upstream: {
          generationConfig: {
            responseMimeType: 'application/json',
            responseSchema: { type: 'object', properties: { city: { type: 'string' }, celsius: { type: 'number' } }, required: ['city', 'celsius'] },
          },
        },
        response: textChoice('{"city":"Paris","celsius":21}', 'stop'),
      },
      'openai-compatible': {
        behavior: { kind: 'text', text: '{"city":"Paris","celsius":21}' },
        upstream: { response_format: JSON_SCHEMA_FORMAT },
        response: textChoice('{"city":"Paris","celsius":21}', 'stop'),
      },
    },
  },
  {
    name: 'a named tool_choice forces that tool in the upstream terms',
    request: {
      messages: [{ role: 'user', content: 'use the tool' }],
      tools: [WEATHER, TIME],
      tool_choice: { type: 'function', function: { name: 'get_weather' } },
    },
    expect: {
      anthropic: {
        upstream: { tool_choice: { type: 'tool', name: 'get_weather' } },
        response: { choices: [{ message: { tool_calls: [toolCall('toolu_1', 'get_weather', '{"city":"Paris"}')] }, finish_reason: 'tool_calls' }] },
      },
      google: {
        upstream: { toolConfig: { functionCallingConfig: { mode: 'ANY', allowedFunctionNames: ['get_weather'] } } },
        response: { choices: [{ message: { tool_calls: [toolCall(expect.any(String), 'get_weather', '{"city":"Paris"}')] }, finish_reason: 'tool_calls' }] },
      },
    },
  },
  {
    name: 'parallel_tool_calls false asks Anthropic for one tool call at a time',
    request: { messages: [{ role: 'user', content: 'use the tool' }], tools: [WEATHER], parallel_tool_calls: false },
    expect: {
      anthropic: {
        upstream: { tool_choice: { type: 'auto', disable_parallel_tool_use: true } },
        response: { choices: [{ message: { tool_calls: [toolCall('toolu_1', 'get_weather', '{"city":"Paris"}')] }, finish_reason: 'tool_calls' }] },
      },
      'openai-compatible': {
        upstream: { parallel_tool_calls: false },
        response: { choices: [{ message: { tool_calls: [toolCall('call_1', 'get_weather', '{"city":"Paris"}')] }, finish_reason: 'tool_calls' }] },
      },
    },
  },
  {
    name: 'OpenAI user reaches Anthropic as metadata.user_id',
    request: { messages: [{ role: 'user', content: 'hi there' }], user: 'end-user-7' },
    expect: {
      anthropic: { upstream: { metadata: { user_id: 'end-user-7' } }, response: textChoice('Echo: hi there', 'stop') },
      'openai-compatible': { upstream: { user: 'end-user-7' }, response: textChoice('Echo: hi there', 'stop') },
    },
  },
  {
    name: 'tool_choice required reaches the upstream as any / ANY',
    request: { messages: [{ role: 'user', content: 'use the tool' }], tools: [WEATHER], tool_choice: 'required' },
    expect: {
      anthropic: {
        upstream: { tool_choice: { type: 'any' } },
        response: { choices: [{ message: { tool_calls: [toolCall('toolu_1', 'get_weather', '{"city":"Paris"}')] }, finish_reason: 'tool_calls' }] },
      },
      google: {
        upstream: { toolConfig: { functionCallingConfig: { mode: 'ANY' } } },
        response: { choices: [{ message: { tool_calls: [toolCall(expect.any(String), 'get_weather', '{"city":"Paris"}')] }, finish_reason: 'tool_calls' }] },
      },
    },
  },
  {
    name: 'tool_choice none reaches the upstream as none / NONE',
    request: { messages: [{ role: 'user', content: 'weather in Paris' }], tools: [WEATHER], tool_choice: 'none' },
    expect: {
      anthropic: { upstream: { tool_choice: { type: 'none' } }, response: textChoice('Echo: weather in Paris', 'stop') },
      google: { upstream: { toolConfig: { functionCallingConfig: { mode: 'NONE' } } }, response: textChoice('Echo: weather in Paris', 'stop') },
    },
  },
  {
    name: 'an assistant turn with text and a tool call keeps both, text first, and tool text parts are joined',
    request: {
      tools: [WEATHER],
      messages: [
        { role: 'user', content: 'weather in Paris' },
        {
          role: 'assistant',
          content: 'let me check',
          tool_calls: [{ id: 'call_w', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' } }],
        },
        { role: 'tool', tool_call_id: 'call_w', content: [{ type: 'text', text: 'sunny' }, { type: 'text', text: '21C' }] },
      ],
    },
    expect: {
      anthropic: {
        upstream: {
          messages: [
            { role: 'user' },
            {
              role: 'assistant',
              content: [
                { type: 'text', text: 'let me check' },
                { type: 'tool_use', id: 'call_w', name: 'get_weather', input: { city: 'Paris' } },
              ],
            },
            { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_w', content: 'sunny\n21C' }] },
          ],
        },
        response: textChoice('Tool said: sunny\n21C', 'stop'),
      },
      google: {
        upstream: {
          contents: [
            { role: 'user' },
            { role: 'model', parts: [{ text: 'let me check' }, { functionCall: { name: 'get_weather', args: { city: 'Paris' } } }] },
            { role: 'user', parts: [{ functionResponse: { name: 'get_weather', response: { content: 'sunny\n21C' } } }] },
          ],
        },
        response: textChoice('Tool said: sunny\n21C', 'stop'),
      },
    },
  },
  {
    name: 'an https image URL is passed by reference with its media type',
    request: {
      messages: [
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this' },
            { type: 'image_url', image_url: { url: 'https://example.com/cat.png' } },
          ],
        },
      ],
    },
    expect: {
      anthropic: {
        upstream: {
          messages: [
            { role: 'user', content: [{ type: 'text', text: 'what is this' }, { type: 'image', source: { type: 'url', url: 'https://example.com/cat.png' } }] },
          ],
        },
        response: textChoice('Echo: what is this', 'stop'),
      },
      google: {
        knownGap:
          '@ai-sdk/google sends fileData.mimeType image/jpeg for any image URL: the OpenAI face knows no media type for a URL (image/*) and the package turns image/* into image/jpeg, so a PNG is announced as JPEG.',
        upstream: {
          contents: [{ role: 'user', parts: [{ text: 'what is this' }, { fileData: { fileUri: 'https://example.com/cat.png', mimeType: 'image/png' } }] }],
        },
        response: textChoice('Echo: what is this', 'stop'),
      },
    },
  },
  {
    name: 'a json_object response format asks the upstream for JSON',
    request: { messages: [{ role: 'user', content: 'forecast as JSON' }], response_format: { type: 'json_object' } },
    expect: {
      google: {
        behavior: { kind: 'text', text: '{"city":"Paris"}' },
        upstream: { generationConfig: { responseMimeType: 'application/json' } },
        response: textChoice('{"city":"Paris"}', 'stop'),
      },
      'openai-compatible': {
        behavior: { kind: 'text', text: '{"city":"Paris"}' },
        upstream: { response_format: { type: 'json_object' } },
        response: textChoice('{"city":"Paris"}', 'stop'),
      },
    },
  },
];
