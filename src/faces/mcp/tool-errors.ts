/**
 * Gateway failures become tool results with `isError: true`, never protocol errors: the agent
 * reads the message and can act on it (pick another model, wait, shorten the input). The advice
 * is chosen by error kind, never by reading the message.
 */
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { isGatewayError, type ErrorKind, type GatewayError } from '../../core/errors.js';

type Advice = (error: GatewayError) => string;

const tryOtherModel = 'Try another model (call list_models) or pass fallback_models.';
const retryLater: Advice = (error) =>
  error.details.retryAfterSeconds !== undefined
    ? `Retry after ${error.details.retryAfterSeconds} s. ${tryOtherModel}`
    : `Retry in a little while. ${tryOtherModel}`;
const internalAdvice = 'The gateway failed unexpectedly. Retry once; if it fails again, report it to the operator.';

/** One entry per kind, so a new kind cannot be added without deciding what an agent should do. */
const adviceByKind: Record<ErrorKind, Advice> = {
  invalid_request: (error) =>
    `Fix the arguments${error.details.param ? ` (see \`${error.details.param}\`)` : ''} and call the tool again.`,
  payload_too_large: () => 'Send less input: fewer or shorter texts or messages.',
  unsupported_media_type: () => 'This input type is not accepted; send plain text.',
  not_found: () => 'The thing asked for does not exist (it may have expired).',
  previous_response_not_found: () => 'That earlier response is not kept (expired, deleted or never stored): send the whole conversation instead.',
  model_not_found: () =>
    'Call list_models to see the model ids this gateway serves (format `provider/model`), then call again with one of them.',
  unauthorized: () => 'The gateway did not accept the credentials of this session; ask the operator for a valid key.',
  forbidden: () => 'This key may not use that model or provider; call list_models and pick a permitted one, or ask the operator.',
  insufficient_budget: () =>
    'The spending budget is used up (the message above says what is left). Call get_spend to see where it went, use a cheaper model (list_models sorts by price), or ask the operator to raise the budget.',
  unpriced_model: () =>
    'A budget applies to this key and that model has no known price, so it cannot be held against the budget. Pick a priced model (list_models shows prices), or ask the operator to set its price.',
  rate_limited: retryLater,
  upstream_timeout: () => `The provider did not answer in time. Retry, ask for less output (max_tokens), or: ${tryOtherModel}`,
  upstream_connection: () => `The provider could not be reached. ${tryOtherModel}`,
  upstream_rate_limited: retryLater,
  upstream_overloaded: retryLater,
  upstream_server_error: () => `The provider failed. ${tryOtherModel}`,
  upstream_auth: () =>
    `The provider rejected the gateway's credentials for it; the operator must fix that provider's key. ${tryOtherModel}`,
  upstream_bad_request: (error) =>
    `The provider rejected the request${error.details.param ? ` (see \`${error.details.param}\`)` : ''}; change the arguments and call again.`,
  upstream_unsupported: () => `This model does not support what was asked. ${tryOtherModel}`,
  context_exceeded: () =>
    'The input is longer than the model accepts. Shorten it, or pick a model with a larger context window (list_models with min_context_window).',
  content_filter: () => 'The provider refused the content. Rephrase the request.',
  stream_interrupted: () => 'The answer broke off part way. Call again; the partial text (if any) is above.',
  upstream_invalid: () => `The provider sent an answer larger than the gateway accepts. Ask for less output (max_tokens, fewer or smaller images), or: ${tryOtherModel}`,
  conflict: () => 'The same request is already running. Wait for it to finish, then call again.',
  circuit_open: () => 'Every candidate model is failing right now and is paused for a short cool-down. Try again in a little while, or add fallback_models on another provider.',
  store_unavailable: () =>
    "The gateway's policy store is down, so budgets and rate limits cannot be checked and nothing was sent. Retry in a little while; if it persists, tell the operator.",
  shutting_down: () => 'The gateway is shutting down and took no new call; nothing was sent. Call again in a moment (it restarts, or another instance answers).',
  client_closed: () => 'The call was cancelled.',
  internal: () => internalAdvice,
};

/** Machine-readable error facts, under `_meta` so they never clash with a tool's output schema. */
export interface ToolErrorMeta {
  kind: ErrorKind;
  model?: string;
  provider?: string;
  retry_after_seconds?: number;
  attempts?: Array<{ model: string; provider: string; kind: ErrorKind }>;
}

export function gatewayErrorResult(error: GatewayError, prefix = ''): CallToolResult {
  const { details } = error;
  const lines = [`${prefix}${error.message}`, adviceByKind[error.kind](error)];
  if (details.attempts && details.attempts.length > 0) {
    // Attempt messages come from upstreams; kinds and names are enough to act on.
    lines.push(`Tried: ${details.attempts.map((a) => `${a.model} (${a.kind})`).join(', ')}.`);
  }
  const meta: ToolErrorMeta = { kind: error.kind };
  if (details.model) meta.model = details.model;
  if (details.provider) meta.provider = details.provider;
  if (details.retryAfterSeconds !== undefined) meta.retry_after_seconds = details.retryAfterSeconds;
  if (details.attempts) {
    meta.attempts = details.attempts.map(({ model, provider, kind }) => ({ model, provider, kind }));
  }
  return {
    isError: true,
    content: [{ type: 'text', text: lines.join('\n') }],
    _meta: { 'tollgate/error': meta },
  };
}

/** Arguments the schema could not express (e.g. "exactly one of"). */
export function invalidArgumentsResult(message: string): CallToolResult {
  return {
    isError: true,
    content: [{ type: 'text', text: message }],
    _meta: { 'tollgate/error': { kind: 'invalid_request' } satisfies ToolErrorMeta },
  };
}

/**
 * Anything else thrown inside a tool. Its message is not shown: an unknown error may carry
 * request details (URLs, headers) that must not reach the client.
 */
export function toolErrorResult(error: unknown, prefix = ''): CallToolResult {
  if (isGatewayError(error)) return gatewayErrorResult(error, prefix);
  return {
    isError: true,
    content: [{ type: 'text', text: `${prefix}${internalAdvice}` }],
    _meta: { 'tollgate/error': { kind: 'internal' } satisfies ToolErrorMeta },
  };
}
