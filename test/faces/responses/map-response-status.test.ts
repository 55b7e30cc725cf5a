import { describe, expect, it } from 'vitest';
import { mapResponseStatus } from '../../../src/faces/responses/map-response-status.js';

describe('mapResponseStatus', () => {
  it('completes on stop and on tool calls', () => {
    expect(mapResponseStatus({ unified: 'stop', raw: 'stop' })).toEqual({ status: 'completed', incomplete_details: null });
    expect(mapResponseStatus({ unified: 'tool-calls', raw: 'tool_use' })).toEqual({ status: 'completed', incomplete_details: null });
    expect(mapResponseStatus({ unified: 'other', raw: undefined })).toEqual({ status: 'completed', incomplete_details: null });
  });

  it("is incomplete with OpenAI's reason on length and content filter", () => {
    expect(mapResponseStatus({ unified: 'length', raw: 'max_tokens' })).toEqual({ status: 'incomplete', incomplete_details: { reason: 'max_output_tokens' } });
    expect(mapResponseStatus({ unified: 'content-filter', raw: 'SAFETY' })).toEqual({ status: 'incomplete', incomplete_details: { reason: 'content_filter' } });
  });
});
