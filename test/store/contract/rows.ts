import type { AttemptRow, RequestRow } from '../../../src/store/types.js';

/** A ledger row with plausible defaults; `fields` set what a test looks at. */
export function requestRow(fields: Partial<RequestRow> & { id: string; ts: string }): RequestRow {
  return {
    face: 'openai',
    operation: 'chat',
    stream: false,
    keyId: null,
    keyName: null,
    user: null,
    tags: [],
    requestedModel: 'mock/echo',
    servedModel: 'mock/echo',
    provider: 'mock',
    status: 'ok',
    errorKind: null,
    attempts: 1,
    latencyMs: 5,
    ttftMs: null,
    usage: { input: 10, cacheRead: 0, cacheWrite: 0, output: 20, reasoning: 0 },
    costNanos: 100,
    byok: false,
    cacheHit: false,
    ...fields,
  };
}

export function attemptRow(fields: Partial<AttemptRow> & { requestId: string; seq: number }): AttemptRow {
  return {
    ts: '2026-11-01T10:00:00.000Z',
    model: 'mock/echo',
    provider: 'mock',
    status: 'ok',
    errorKind: null,
    errorMessage: null,
    upstreamStatus: null,
    latencyMs: 4,
    ttftMs: 2,
    usage: { input: 10, cacheRead: 0, cacheWrite: 0, output: 20, reasoning: 0 },
    costNanos: 100,
    ...fields,
  };
}
