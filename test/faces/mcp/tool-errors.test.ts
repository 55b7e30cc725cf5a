import { describe, expect, it } from 'vitest';
import { GatewayError, errorKinds, type ErrorKind } from '../../../src/core/errors.js';
import { gatewayErrorResult, toolErrorResult } from '../../../src/faces/mcp/tool-errors.js';

const text = (result: { content: Array<{ type: string; text?: string }> }) =>
  result.content.map((block) => block.text ?? '').join('\n');

describe('gateway errors as tool results', () => {
  it('gives every error kind a message and advice', () => {
    for (const kind of Object.keys(errorKinds) as ErrorKind[]) {
      const result = gatewayErrorResult(new GatewayError(kind, `failure of kind ${kind}`));
      expect(result.isError, kind).toBe(true);
      expect(text(result), kind).toMatch(new RegExp(`^failure of kind ${kind}\\n.{20,}`));
      expect(result._meta?.['tollgate/error']).toMatchObject({ kind });
    }
  });

  it('points an unknown model to list_models', () => {
    expect(text(gatewayErrorResult(new GatewayError('model_not_found', 'No model x/y')))).toContain('list_models');
  });

  it('points an exhausted budget to get_spend, keeping the message that says what is left', () => {
    const result = gatewayErrorResult(new GatewayError('insufficient_budget', 'Budget exhausted: $0.02 of $5.00 left.'));
    expect(text(result)).toContain('$0.02 of $5.00 left');
    expect(text(result)).toContain('get_spend');
  });

  it('says how long to wait when the upstream said', () => {
    const result = gatewayErrorResult(
      new GatewayError('upstream_rate_limited', 'Rate limited by openai', { retryAfterSeconds: 7, provider: 'openai' }),
    );
    expect(text(result)).toContain('Retry after 7 s');
    expect(result._meta?.['tollgate/error']).toMatchObject({ retry_after_seconds: 7, provider: 'openai' });
  });

  it('lists the attempts by model and kind, without the upstream messages', () => {
    const result = gatewayErrorResult(
      new GatewayError('upstream_server_error', 'All candidates failed', {
        attempts: [
          { model: 'openai/gpt-4o', provider: 'openai', kind: 'upstream_timeout', message: 'raw upstream text' },
          { model: 'anthropic/claude', provider: 'anthropic', kind: 'upstream_server_error', message: 'raw upstream text' },
        ],
      }),
    );
    expect(text(result)).toContain('openai/gpt-4o (upstream_timeout), anthropic/claude (upstream_server_error)');
    expect(JSON.stringify(result)).not.toContain('raw upstream text');
  });

  it('hides the message of an unexpected error, which may carry request details', () => {
    const result = toolErrorResult(new Error('connect ECONNREFUSED https://api.example.com/?key=sk-secret'));
    expect(result.isError).toBe(true);
    expect(JSON.stringify(result)).not.toContain('sk-secret');
    expect(result._meta?.['tollgate/error']).toMatchObject({ kind: 'internal' });
  });
});
