import type { InputItem, ResolvedInputItem, ResponseEcho } from '../../../src/faces/responses/responses-api.js';

/** The settings a request with no options repeats back (OpenAI's defaults, Tollgate's nulls). */
export function defaultEcho(overrides: Partial<ResponseEcho> = {}): ResponseEcho {
  return {
    instructions: null,
    max_output_tokens: null,
    metadata: {},
    parallel_tool_calls: true,
    reasoning: { effort: null, summary: null },
    temperature: null,
    text: { format: { type: 'text' } },
    tool_choice: 'auto',
    tools: [],
    top_p: null,
    user: null,
    store: true,
    previous_response_id: null,
    ...overrides,
  };
}

/** The function tool of OpenAI's function-calling guide. */
export const getWeatherTool = {
  type: 'function' as const,
  name: 'get_weather',
  description: 'Get current temperature for a given location.',
  parameters: {
    type: 'object',
    properties: { location: { type: 'string', description: 'City and country e.g. Bogotá, Colombia' } },
    required: ['location'],
    additionalProperties: false,
  },
  strict: true,
};

/** Parsed input as the handler hands it on once no `item_reference` is left (resolving them needs the store). */
export function resolvedInput(input: string | InputItem[]): string | ResolvedInputItem[] {
  if (typeof input === 'string') return input;
  return input.map((item) => {
    if (item.type === 'item_reference') throw new Error('item references are resolved from the store, before conversion');
    return item;
  });
}
