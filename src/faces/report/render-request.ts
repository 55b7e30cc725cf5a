/**
 * Ledger rows of the request log in the API's snake_case shape: costs in USD (null when the
 * model has no known price), tokens with Vercel's report names.
 */
import type { TokenUsage } from '../../core/types.js';
import { fromNanos } from '../../core/usage.js';
import type { AttemptRow, RequestRow, RequestWithAttempts } from '../../store/types.js';

export interface UsageBody {
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_creation_input_tokens: number;
  reasoning_tokens: number;
}

export interface RequestBody {
  id: string;
  object: 'request';
  created_at: string;
  face: RequestRow['face'];
  operation: RequestRow['operation'];
  stream: boolean;
  key_id: string | null;
  key_name: string | null;
  user: string | null;
  tags: string[];
  requested_model: string;
  served_model: string | null;
  provider: string | null;
  status: RequestRow['status'];
  error_kind: RequestRow['errorKind'];
  attempt_count: number;
  latency_ms: number;
  ttft_ms: number | null;
  usage: UsageBody;
  cost: number | null;
  /** Answered from the response cache, with no upstream call (billed 0). */
  cache_hit: boolean;
}

export interface AttemptBody {
  seq: number;
  created_at: string;
  model: string;
  provider: string;
  status: AttemptRow['status'];
  error_kind: AttemptRow['errorKind'];
  error_message: string | null;
  upstream_status: number | null;
  latency_ms: number;
  ttft_ms: number | null;
  usage: UsageBody | null;
  cost: number | null;
}

export interface RequestDetailBody extends RequestBody {
  /** Times the request moved on to another model after a failed attempt. */
  fallbacks: number;
  attempts: AttemptBody[];
}

const round = (ms: number): number => Math.round(ms * 10) / 10;

function renderUsage(usage: TokenUsage): UsageBody {
  return {
    input_tokens: usage.input,
    output_tokens: usage.output,
    cached_input_tokens: usage.cacheRead,
    cache_creation_input_tokens: usage.cacheWrite,
    reasoning_tokens: usage.reasoning,
  };
}

export function renderRequest(row: RequestRow): RequestBody {
  return {
    id: row.id,
    object: 'request',
    created_at: row.ts,
    face: row.face,
    operation: row.operation,
    stream: row.stream,
    key_id: row.keyId,
    key_name: row.keyName,
    user: row.user,
    tags: row.tags,
    requested_model: row.requestedModel,
    served_model: row.servedModel,
    provider: row.provider,
    status: row.status,
    error_kind: row.errorKind,
    attempt_count: row.attempts,
    latency_ms: round(row.latencyMs),
    ttft_ms: row.ttftMs === null ? null : round(row.ttftMs),
    usage: renderUsage(row.usage),
    cost: fromNanos(row.costNanos),
    cache_hit: row.cacheHit === true,
  };
}

export function renderAttempt(row: AttemptRow): AttemptBody {
  return {
    seq: row.seq,
    created_at: row.ts,
    model: row.model,
    provider: row.provider,
    status: row.status,
    error_kind: row.errorKind,
    error_message: row.errorMessage,
    upstream_status: row.upstreamStatus,
    latency_ms: round(row.latencyMs),
    ttft_ms: row.ttftMs === null ? null : round(row.ttftMs),
    usage: row.usage ? renderUsage(row.usage) : null,
    cost: fromNanos(row.costNanos),
  };
}

export function renderRequestDetail({ request, attempts }: RequestWithAttempts): RequestDetailBody {
  let fallbacks = 0;
  for (let index = 1; index < attempts.length; index++) if (attempts[index]!.model !== attempts[index - 1]!.model) fallbacks += 1;
  return { ...renderRequest(request), fallbacks, attempts: attempts.map(renderAttempt) };
}
