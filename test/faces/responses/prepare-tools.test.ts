import { describe, expect, it } from 'vitest';
import { GatewayError } from '../../../src/core/errors.js';
import { prepareTools } from '../../../src/faces/responses/prepare-tools.js';
import { getWeatherTool } from './fixtures.js';

describe('prepareTools', () => {
  it("turns OpenAI's flat function tool into a V3 function tool", () => {
    expect(prepareTools([getWeatherTool], 'auto')).toEqual({
      tools: [
        {
          type: 'function',
          name: 'get_weather',
          description: 'Get current temperature for a given location.',
          inputSchema: getWeatherTool.parameters,
          strict: true,
        },
      ],
      toolChoice: { type: 'auto' },
    });
  });

  it('gives a tool without parameters an empty object schema', () => {
    expect(prepareTools([{ type: 'function', name: 'now', parameters: null, strict: null }], undefined).tools).toEqual([
      { type: 'function', name: 'now', inputSchema: { type: 'object', properties: {} } },
    ]);
  });

  it('maps each tool_choice', () => {
    expect(prepareTools([getWeatherTool], 'none').toolChoice).toEqual({ type: 'none' });
    expect(prepareTools([getWeatherTool], 'required').toolChoice).toEqual({ type: 'required' });
    expect(prepareTools([getWeatherTool], { type: 'function', name: 'get_weather' }).toolChoice).toEqual({ type: 'tool', toolName: 'get_weather' });
  });

  it('ignores a tool_choice without tools, and refuses one naming a tool that is not there', () => {
    expect(prepareTools([], 'required')).toEqual({});
    expect(() => prepareTools([getWeatherTool], { type: 'function', name: 'get_time' })).toThrow(GatewayError);
  });
});
