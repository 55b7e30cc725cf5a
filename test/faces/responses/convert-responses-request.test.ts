import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { convertResponsesRequest } from '../../../src/faces/responses/convert-responses-request.js';
import { parseResponsesRequest } from '../../../src/faces/responses/responses-api.js';
import { defaultEcho, getWeatherTool, resolvedInput } from './fixtures.js';

const convert = (body: Record<string, unknown>) => {
  const parsed = parseResponsesRequest({ model: 'openai/gpt-4.1', input: 'hi', ...body });
  return convertResponsesRequest(parsed, resolvedInput(parsed.input));
};

function rejection(body: Record<string, unknown>): GatewayError {
  try {
    convert(body);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).kind).toBe('invalid_request');
    return error as GatewayError;
  }
  throw new Error('expected the request to be rejected');
}

describe('convertResponsesRequest', () => {
  it("turns OpenAI's reference request into a V3 call, and repeats its defaults", () => {
    expect(convert({ input: 'Tell me a three sentence bedtime story about a unicorn.' })).toEqual({
      request: {
        model: 'openai/gpt-4.1',
        call: { prompt: [{ role: 'user', content: [{ type: 'text', text: 'Tell me a three sentence bedtime story about a unicorn.' }] }] },
      },
      stream: false,
      echo: defaultEcho(),
    });
  });

  it('maps the sampling settings, tools and stream, and repeats them back', () => {
    const converted = convert({
      instructions: 'Be brief.',
      max_output_tokens: 256,
      temperature: 0.2,
      top_p: 0.9,
      tools: [getWeatherTool],
      tool_choice: 'required',
      parallel_tool_calls: false,
      metadata: { ticket: 'T-1' },
      stream: true,
      store: true,
    });
    expect(converted.stream).toBe(true);
    expect(converted.request.call).toMatchObject({
      prompt: [{ role: 'system', content: 'Be brief.' }, { role: 'user' }],
      maxOutputTokens: 256,
      temperature: 0.2,
      topP: 0.9,
      tools: [{ type: 'function', name: 'get_weather' }],
      toolChoice: { type: 'required' },
      providerOptions: { openai: { parallelToolCalls: false } },
    });
    expect(converted.echo).toEqual(
      defaultEcho({
        instructions: 'Be brief.',
        max_output_tokens: 256,
        temperature: 0.2,
        top_p: 0.9,
        tools: [{ type: 'function', name: 'get_weather', description: getWeatherTool.description, parameters: getWeatherTool.parameters, strict: true }],
        tool_choice: 'required',
        parallel_tool_calls: false,
        metadata: { ticket: 'T-1' },
      }),
    );
  });

  it('maps text.format json_schema to a JSON response format, with strict as a provider option', () => {
    const schema = { type: 'object', properties: { steps: { type: 'array', items: { type: 'string' } } }, required: ['steps'], additionalProperties: false };
    const converted = convert({ text: { format: { type: 'json_schema', name: 'math_reasoning', schema, strict: true } } });
    expect(converted.request.call.responseFormat).toEqual({ type: 'json', name: 'math_reasoning', schema });
    expect(converted.request.call.providerOptions).toEqual({ openai: { strictJsonSchema: true }, openaiCompatible: { strictJsonSchema: true } });
    expect(converted.echo.text).toEqual({ format: { type: 'json_schema', name: 'math_reasoning', schema, strict: true } });
    expect(convert({ text: { format: { type: 'json_object' } } }).request.call.responseFormat).toEqual({ type: 'json' });
  });

  it('passes reasoning effort, verbosity and user on to the adapters that read them', () => {
    const converted = convert({ reasoning: { effort: 'low', summary: 'auto' }, text: { verbosity: 'low' }, user: 'user-1' });
    expect(converted.request.call.providerOptions).toEqual({
      openai: { reasoningEffort: 'low', textVerbosity: 'low', user: 'user-1' },
      openaiCompatible: { reasoningEffort: 'low', user: 'user-1' },
    });
    expect(converted.user).toBe('user-1');
    expect(converted.echo.reasoning).toEqual({ effort: 'low', summary: 'auto' });
  });

  it('reads providerOptions.gateway as routing options and keeps it from the upstream', () => {
    const converted = convert({
      user: 'body-user',
      providerOptions: { gateway: { models: ['anthropic/claude-sonnet-4-5'], user: 'gateway-user', tags: ['batch'] }, anthropic: { sendReasoning: false } },
    });
    expect(converted.request.gateway).toEqual({ models: ['anthropic/claude-sonnet-4-5'], user: 'gateway-user', tags: ['batch'] });
    expect(converted.request.call.providerOptions).toMatchObject({ anthropic: { sendReasoning: false } });
    expect(converted.request.call.providerOptions).not.toHaveProperty('gateway');
    expect(converted.user).toBe('gateway-user');
  });

  it('repeats store (default true) and previous_response_id back', () => {
    expect(convert({}).echo).toMatchObject({ store: true, previous_response_id: null });
    expect(convert({ store: false, previous_response_id: 'resp_1' }).echo).toMatchObject({ store: false, previous_response_id: 'resp_1' });
  });

  it('refuses what needs state Tollgate does not keep, naming the field and what to do instead', () => {
    const conversation = rejection({ conversation: 'conv_1' });
    expect(conversation.details.param).toBe('conversation');
    expect(conversation.message).toMatch(/previous_response_id/);
    expect(rejection({ background: true }).details.param).toBe('background');
    expect(rejection({ prompt: { id: 'pmpt_1' } }).details.param).toBe('prompt');
  });
});
