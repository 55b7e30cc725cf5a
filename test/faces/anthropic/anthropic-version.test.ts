import { describe, expect, it } from 'vitest';
import { checkAnthropicVersion } from '../../../src/faces/anthropic/anthropic-version.js';

describe('checkAnthropicVersion', () => {
  it('accepts a missing header and any date, and refuses anything else', () => {
    expect(() => checkAnthropicVersion({})).not.toThrow();
    expect(() => checkAnthropicVersion({ 'anthropic-version': '2023-06-01' })).not.toThrow();
    expect(() => checkAnthropicVersion({ 'anthropic-version': 'latest' })).toThrow(/anthropic-version must be a date/);
  });
});
