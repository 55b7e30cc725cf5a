/**
 * Is a provider reachable, and does it accept its key? Asks its model list, the cheapest call
 * that every provider authenticates and that bills nothing: OpenAI and OpenAI-compatible hosts
 * and Mistral `GET /models`, Anthropic `GET /v1/models`, Gemini `GET /v1beta/models`, Cohere
 * `GET /v1/models`, each with the provider's own auth header.
 */
import type { ProviderConfig } from '../config/schema.js';
import { modelListCall, printableUrl } from '../providers/model-list.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface ProviderCheck {
  status: CheckStatus;
  message: string;
}

/** The provider's own words from an error body, at most a line, with secrets removed. */
function upstreamMessage(body: unknown, redact: (text: string) => string): string {
  const record = (body ?? {}) as Record<string, unknown>;
  const error = record.error;
  const message =
    typeof error === 'object' && error !== null && typeof (error as Record<string, unknown>).message === 'string'
      ? (error as Record<string, string>).message
      : typeof error === 'string'
        ? error
        : typeof record.message === 'string'
          ? record.message
          : typeof record.detail === 'string'
            ? record.detail
            : '';
  const line = redact(message).replace(/\s+/g, ' ').trim();
  return line.length > 160 ? `${line.slice(0, 157)}…` : line;
}

/** Gemini answers a key it does not know with 400 INVALID_ARGUMENT, reason API_KEY_INVALID. */
function isGoogleKeyRejection(status: number, body: unknown): boolean {
  return status === 400 && /API_KEY_INVALID|API key not valid/i.test(JSON.stringify(body ?? ''));
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
};

export async function checkProvider(provider: ProviderConfig, options: { timeoutMs: number; redact: (text: string) => string }): Promise<ProviderCheck> {
  const call = modelListCall(provider);
  if (!call) return { status: 'ok', message: 'built-in, answers offline' };
  const where = printableUrl(call.url);
  let response: Response;
  try {
    response = await fetch(call.url, { headers: { accept: 'application/json', ...call.headers }, signal: AbortSignal.timeout(options.timeoutMs), redirect: 'manual' });
  } catch (error) {
    if ((error as Error).name === 'TimeoutError') return { status: 'fail', message: `unreachable: no answer within ${options.timeoutMs} ms from ${where}` };
    const cause = (error as { cause?: NodeJS.ErrnoException }).cause;
    const code = cause?.code ?? '';
    const reason = NETWORK_REASONS[code] ?? options.redact(cause?.message ?? (error as Error).message);
    return { status: 'fail', message: `unreachable: ${reason}${NETWORK_REASONS[code] ? ` (${code})` : ''} at ${where}` };
  }
  const text = await response.text().catch(() => '');
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  const status = response.status;
  const said = upstreamMessage(body, options.redact);
  const detail = `HTTP ${status}${said ? `: ${said}` : ''}`;
  if (response.ok) {
    const count = call.ids(body)?.length;
    if (count === undefined) return { status: 'warn', message: `reachable, but ${where} did not answer with a model list (HTTP ${status}); the key was not checked` };
    return { status: 'ok', message: `reachable, key accepted (${count} model${count === 1 ? '' : 's'} listed) at ${where}` };
  }
  if (status === 401 || status === 403 || isGoogleKeyRejection(status, body)) {
    const hint = provider.apiKey ? 'the key was refused' : 'no key is configured and the provider wants one';
    return { status: 'fail', message: `reachable, but ${hint} (${detail}) at ${where}` };
  }
  if (status === 429) return { status: 'warn', message: `reachable, but rate limited right now (${detail}); the key was not checked` };
  if (status === 404 || status === 405 || (status >= 300 && status < 400)) {
    return { status: 'warn', message: `reachable, but it has no model list at ${where} (${detail}); the key was not checked` };
  }
  if (status >= 500) return { status: 'warn', message: `reachable, but it is failing right now (${detail}) at ${where}` };
  return { status: 'fail', message: `the model list was refused (${detail}) at ${where}` };
}
