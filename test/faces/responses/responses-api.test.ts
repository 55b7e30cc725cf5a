import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { parseResponsesRequest } from '../../../src/faces/responses/responses-api.js';

function rejection(body: unknown): GatewayError {
  try {
    parseResponsesRequest(body);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    expect((error as GatewayError).kind).toBe('invalid_request');
    return error as GatewayError;
  }
  throw new Error('expected the request to be rejected');
}

describe('parseResponsesRequest', () => {
  it("reads OpenAI's reference requests: a string input, and message items with and without type", () => {
    expect(parseResponsesRequest({ model: 'openai/gpt-4.1', input: 'Tell me a three sentence bedtime story about a unicorn.' })).toMatchObject({
      input: 'Tell me a three sentence bedtime story about a unicorn.',
    });
    const parsed = parseResponsesRequest({
      model: 'openai/gpt-4.1',
      input: [
        { role: 'developer', content: 'Talk like a pirate.' },
        { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Are semicolons optional in JavaScript?' }] },
      ],
    });
    expect(parsed.input).toEqual([
      { type: 'message', role: 'developer', content: 'Talk like a pirate.' },
      { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'Are semicolons optional in JavaScript?' }] },
    ]);
  });

  it('ignores fields it does not read (ids and statuses of output items sent back, include, truncation)', () => {
    const parsed = parseResponsesRequest({
      model: 'openai/gpt-4.1',
      include: ['reasoning.encrypted_content'],
      truncation: 'disabled',
      input: [{ type: 'function_call', id: 'fc_1', status: 'completed', call_id: 'call_1', name: 'f', arguments: '{}' }],
    });
    expect(parsed.input).toEqual([{ type: 'function_call', call_id: 'call_1', name: 'f', arguments: '{}' }]);
  });

  it('names the missing model and input', () => {
    expect(rejection({ input: 'hi' }).details.param).toBe('model');
    expect(rejection({ model: 'mock/echo' }).details.param).toBe('input');
  });

  it('refuses items of built-in tools with the list of supported item types', () => {
    const error = rejection({ model: 'mock/echo', input: [{ type: 'web_search_call', id: 'ws_1', status: 'completed' }] });
    expect(error.details.param).toBe('input[0].type');
    expect(error.message).toMatch(/'message', 'function_call', 'function_call_output', 'reasoning'/);
  });

  it('refuses built-in tools, naming the type that was sent', () => {
    const error = rejection({ model: 'mock/echo', input: 'hi', tools: [{ type: 'file_search', vector_store_ids: ['vs_1'] }] });
    expect(error.details.param).toBe('tools[0].type');
    expect(error.message).toMatch(/'file_search'/);
  });

  it('names a bad content part by its path', () => {
    const error = rejection({ model: 'mock/echo', input: [{ role: 'user', content: [{ type: 'input_text', text: 'x' }, { type: 'input_audio' }] }] });
    expect(error.details.param).toBe('input[0].content[1].type');
  });

  it('checks text.format', () => {
    expect(rejection({ model: 'mock/echo', input: 'hi', text: { format: { type: 'json_schema', name: 'x' } } }).details.param).toBe('text.format.schema');
  });
});
