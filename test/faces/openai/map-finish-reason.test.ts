import { describe, expect, it } from 'vitest';
import { mapFinishReason } from '../../../src/faces/openai/map-finish-reason.js';

describe('mapFinishReason', () => {
  it.each([
    ['stop', 'stop'],
    ['length', 'length'],
    ['tool-calls', 'tool_calls'],
    ['content-filter', 'content_filter'],
    ['error', 'stop'],
    ['other', 'stop'],
  ] as const)('maps %s to %s', (unified, expected) => {
    expect(mapFinishReason({ unified, raw: 'whatever' })).toBe(expected);
  });
});
