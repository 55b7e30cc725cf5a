import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { convertResponsesInput } from '../../../src/faces/responses/convert-responses-input.js';
import { parseResponsesRequest } from '../../../src/faces/responses/responses-api.js';
import { resolvedInput } from './fixtures.js';

/** Parses like the handler does, then converts. */
const convert = (input: unknown, instructions?: string) =>
  convertResponsesInput(instructions, resolvedInput(parseResponsesRequest({ model: 'openai/gpt-4.1', input }).input));

function rejection(input: unknown): GatewayError {
  try {
    convert(input);
  } catch (error) {
    expect(error).toBeInstanceOf(GatewayError);
    return error as GatewayError;
  }
  throw new Error('expected the input to be rejected');
}

const png = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==';

describe('convertResponsesInput', () => {
  it('turns instructions into a system message and a string input into a user message', () => {
    expect(convert('Are semicolons optional in JavaScript?', 'Talk like a pirate.')).toEqual([
      { role: 'system', content: 'Talk like a pirate.' },
      { role: 'user', content: [{ type: 'text', text: 'Are semicolons optional in JavaScript?' }] },
    ]);
  });

  it('maps every message role: developer and system to system, earlier assistant output to assistant text', () => {
    expect(
      convert([
        { role: 'developer', content: [{ type: 'input_text', text: 'Be brief.' }, { type: 'input_text', text: 'Be kind.' }] },
        { role: 'system', content: 'No emojis.' },
        { role: 'user', content: 'knock knock.' },
        { type: 'message', role: 'assistant', id: 'msg_1', status: 'completed', content: [{ type: 'output_text', text: "Who's there?", annotations: [] }] },
        { role: 'user', content: 'Orange.' },
      ]),
    ).toEqual([
      { role: 'system', content: 'Be brief.\nBe kind.' },
      { role: 'system', content: 'No emojis.' },
      { role: 'user', content: [{ type: 'text', text: 'knock knock.' }] },
      { role: 'assistant', content: [{ type: 'text', text: "Who's there?" }] },
      { role: 'user', content: [{ type: 'text', text: 'Orange.' }] },
    ]);
  });

  it("reads OpenAI's image input example: data URLs become base64 file parts, http URLs stay URLs", () => {
    const prompt = convert([
      {
        role: 'user',
        content: [
          { type: 'input_text', text: 'what is in this image?' },
          { type: 'input_image', image_url: `data:image/png;base64,${png}`, detail: 'auto' },
          { type: 'input_image', image_url: 'https://upload.wikimedia.org/wikipedia/commons/a/a7/Example.jpg' },
        ],
      },
    ]);
    expect(prompt).toEqual([
      {
        role: 'user',
        content: [
          { type: 'text', text: 'what is in this image?' },
          { type: 'file', mediaType: 'image/png', data: png },
          { type: 'file', mediaType: 'image/*', data: new URL('https://upload.wikimedia.org/wikipedia/commons/a/a7/Example.jpg') },
        ],
      },
    ]);
  });

  it('reads input_file parts from file_data (data URL or bare base64 PDF) and file_url', () => {
    const [message] = convert([
      {
        role: 'user',
        content: [
          { type: 'input_file', filename: 'notes.txt', file_data: 'data:text/plain;base64,aGVsbG8=' },
          { type: 'input_file', filename: 'draconomicon.pdf', file_data: 'JVBERi0xLjQ=' },
          { type: 'input_file', file_url: 'https://www.berkshirehathaway.com/letters/2024ltr.pdf' },
        ],
      },
    ]);
    expect(message!.content).toEqual([
      { type: 'file', mediaType: 'text/plain', data: 'aGVsbG8=', filename: 'notes.txt' },
      { type: 'file', mediaType: 'application/pdf', data: 'JVBERi0xLjQ=', filename: 'draconomicon.pdf' },
      { type: 'file', mediaType: 'application/pdf', data: new URL('https://www.berkshirehathaway.com/letters/2024ltr.pdf') },
    ]);
  });

  it("follows OpenAI's function-calling round trip: the call joins an assistant turn, its output follows as a tool result", () => {
    expect(
      convert([
        { role: 'user', content: 'What is the weather like in Paris today?' },
        { type: 'function_call', id: 'fc_12345xyz', call_id: 'call_12345xyz', name: 'get_weather', arguments: '{"location":"Paris, France"}' },
        { type: 'function_call_output', call_id: 'call_12345xyz', output: '14' },
      ]),
    ).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'What is the weather like in Paris today?' }] },
      { role: 'assistant', content: [{ type: 'tool-call', toolCallId: 'call_12345xyz', toolName: 'get_weather', input: { location: 'Paris, France' } }] },
      { role: 'tool', content: [{ type: 'tool-result', toolCallId: 'call_12345xyz', toolName: 'get_weather', output: { type: 'text', value: '14' } }] },
    ]);
  });

  it('keeps reasoning, text and parallel calls of one turn in one assistant message, and their outputs in one tool message', () => {
    const prompt = convert([
      { role: 'user', content: 'weather in Paris and Bogotá?' },
      { type: 'reasoning', id: 'rs_1', summary: [{ type: 'summary_text', text: 'Two cities: two calls.' }] },
      { role: 'assistant', content: 'Checking both.' },
      { type: 'function_call', call_id: 'a', name: 'get_weather', arguments: '{"location":"Paris"}' },
      { type: 'function_call', call_id: 'b', name: 'get_weather', arguments: '{"location":"Bogotá"}' },
      { type: 'function_call_output', call_id: 'a', output: '14' },
      { type: 'function_call_output', call_id: 'b', output: '18' },
    ]);
    expect(prompt.map((message) => message.role)).toEqual(['user', 'assistant', 'tool']);
    expect(prompt[1]!.content).toMatchObject([
      { type: 'reasoning', text: 'Two cities: two calls.' },
      { type: 'text', text: 'Checking both.' },
      { type: 'tool-call', toolCallId: 'a' },
      { type: 'tool-call', toolCallId: 'b' },
    ]);
    expect(prompt[2]!.content).toMatchObject([{ toolCallId: 'a' }, { toolCallId: 'b' }]);
  });

  it('places a function_call_output right after its call even when it comes later in the input', () => {
    const prompt = convert([
      { role: 'user', content: 'go' },
      { type: 'function_call', call_id: 'a', name: 'f', arguments: '' },
      { role: 'user', content: 'and hurry' },
      { type: 'function_call_output', call_id: 'a', output: 'done' },
    ]);
    expect(prompt.map((message) => message.role)).toEqual(['user', 'assistant', 'tool', 'user']);
    // Empty arguments (a tool without parameters) are an empty object.
    expect(prompt[1]!.content[0]).toMatchObject({ type: 'tool-call', input: {} });
  });

  it('turns function_call_output parts into tool-result content', () => {
    const [, , tool] = convert([
      { role: 'user', content: 'look' },
      { type: 'function_call', call_id: 'a', name: 'screenshot', arguments: '{}' },
      {
        type: 'function_call_output',
        call_id: 'a',
        output: [
          { type: 'input_text', text: 'here it is' },
          { type: 'input_image', image_url: `data:image/png;base64,${png}` },
          { type: 'input_image', image_url: 'https://example.com/a.png' },
        ],
      },
    ]);
    expect(tool!.content[0]).toMatchObject({
      output: {
        type: 'content',
        value: [
          { type: 'text', text: 'here it is' },
          { type: 'image-data', data: png, mediaType: 'image/png' },
          { type: 'image-url', url: 'https://example.com/a.png' },
        ],
      },
    });
  });

  it('refuses an output whose call is not in the input, saying no state is kept', () => {
    const error = rejection([{ type: 'function_call_output', call_id: 'call_x', output: '1' }]);
    expect(error.details.param).toBe('input[0].call_id');
    expect(error.message).toMatch(/previous_response_id/);
  });

  it('refuses uploaded file ids and non-http URLs, naming the field', () => {
    expect(rejection([{ role: 'user', content: [{ type: 'input_image', file_id: 'file-1', detail: 'auto' }] }]).details.param).toBe('input[0].content[0].image_url');
    expect(rejection([{ role: 'user', content: [{ type: 'input_file', file_id: 'file-1' }] }]).message).toMatch(/file ids are not supported/);
    expect(rejection([{ role: 'user', content: [{ type: 'input_image', image_url: 'file:///etc/passwd' }] }]).message).toMatch(/not 'file'/);
    expect(rejection([{ role: 'system', content: [{ type: 'input_image', image_url: 'https://example.com/a.png' }] }]).details.param).toBe('input[0].content[0].type');
  });

  it('refuses malformed arguments and duplicate call ids', () => {
    expect(rejection([{ type: 'function_call', call_id: 'a', name: 'f', arguments: '{oops' }]).details.param).toBe('input[0].arguments');
    expect(
      rejection([
        { type: 'function_call', call_id: 'a', name: 'f', arguments: '{}' },
        { type: 'function_call', call_id: 'a', name: 'f', arguments: '{}' },
      ]).details.param,
    ).toBe('input[1].call_id');
  });

  it('drops reasoning items with nothing readable (encrypted only)', () => {
    expect(convert([{ type: 'reasoning', id: 'rs_1', summary: [], encrypted_content: 'gAAAA' }, { role: 'user', content: 'hi' }])).toEqual([
      { role: 'user', content: [{ type: 'text', text: 'hi' }] },
    ]);
  });
});
