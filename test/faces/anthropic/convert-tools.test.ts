import { describe, expect, it } from 'vitest';
import { convertToolChoice, convertTools } from '../../../src/faces/anthropic/convert-tools.js';

describe('convertTools / convertToolChoice', () => {
  const tools = convertTools([{ name: 'get_weather', input_schema: { type: 'object' } }])!;
  it('maps auto, any, tool and none', () => {
    expect(convertToolChoice({ type: 'auto' }, tools)).toEqual({ type: 'auto' });
    expect(convertToolChoice({ type: 'any' }, tools)).toEqual({ type: 'required' });
    expect(convertToolChoice({ type: 'tool', name: 'get_weather' }, tools)).toEqual({ type: 'tool', toolName: 'get_weather' });
    expect(convertToolChoice({ type: 'none' }, tools)).toEqual({ type: 'none' });
    expect(convertToolChoice({ type: 'any' }, undefined)).toBeUndefined();
  });
  it('refuses a tool choice naming a tool that is not offered', () => {
    expect(() => convertToolChoice({ type: 'tool', name: 'nope' }, tools)).toThrow(/not in tools/);
  });
  it('adds providerOptions only to tools with cache_control', () => {
    expect(tools[0]).not.toHaveProperty('providerOptions');
  });
});
