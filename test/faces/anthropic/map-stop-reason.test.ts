import { describe, expect, it } from 'vitest';
import { mapStopReason } from '../../../src/faces/anthropic/map-stop-reason.js';

describe('mapStopReason', () => {
  it.each([
    [{ unified: 'stop', raw: 'end_turn' }, 'end_turn'],
    [{ unified: 'stop', raw: 'stop' }, 'end_turn'],
    [{ unified: 'stop', raw: 'pause_turn' }, 'pause_turn'],
    [{ unified: 'length', raw: 'length' }, 'max_tokens'],
    [{ unified: 'tool-calls', raw: 'tool_calls' }, 'tool_use'],
    [{ unified: 'content-filter', raw: 'content_filter' }, 'refusal'],
    [{ unified: 'error', raw: undefined }, 'end_turn'],
    [{ unified: 'other', raw: 'weird' }, 'end_turn'],
  ] as const)('%o → %s', (reason, stop) => {
    expect(mapStopReason(reason)).toEqual({ stop_reason: stop, stop_sequence: null });
  });

  it('tells a matched stop sequence apart only when the upstream said so', () => {
    const reason = { unified: 'stop', raw: 'stop_sequence' } as const;
    expect(mapStopReason(reason, { stopSequences: ['a', 'b'], matchedSequence: 'b' })).toEqual({ stop_reason: 'stop_sequence', stop_sequence: 'b' });
    expect(mapStopReason(reason, { stopSequences: ['a'] })).toEqual({ stop_reason: 'stop_sequence', stop_sequence: 'a' });
    expect(mapStopReason(reason, { stopSequences: ['a', 'b'] })).toEqual({ stop_reason: 'stop_sequence', stop_sequence: null });
  });
});
