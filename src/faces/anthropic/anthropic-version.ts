import type { IncomingHttpHeaders } from 'node:http';
import { GatewayError } from '../../core/errors.js';

/**
 * Anthropic requires `anthropic-version`; Tollgate accepts requests without it (curl, scripts)
 * and answers every version the same way, but a value that is not a date is a mistake worth
 * reporting rather than ignoring.
 */
export function checkAnthropicVersion(headers: IncomingHttpHeaders): void {
  const version = headers['anthropic-version'];
  if (version === undefined) return;
  if (typeof version !== 'string' || !/^\d{4}-\d{2}-\d{2}$/.test(version.trim())) {
    throw new GatewayError('invalid_request', `anthropic-version must be a date such as 2023-06-01 (got '${String(version).slice(0, 40)}')`, {
      param: 'anthropic-version',
    });
  }
}
