/** The wire shapes of the gateway's API that the console reads. */

export interface ReportRow {
  day?: string;
  hour?: string;
  user?: string;
  model?: string;
  tag?: string;
  provider?: string;
  api_key_name?: string;
  total_cost: number;
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  reasoning_tokens: number;
  request_count: number;
  unpriced_request_count: number;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  cache_creation_input_tokens: number;
  reasoning_tokens: number;
}

export interface RequestSummary {
  id: string;
  created_at: string;
  face: string;
  operation: string;
  stream: boolean;
  key_id: string | null;
  key_name: string | null;
  user: string | null;
  tags: string[];
  requested_model: string;
  served_model: string | null;
  provider: string | null;
  status: 'ok' | 'error' | 'cancelled';
  error_kind: string | null;
  attempt_count: number;
  latency_ms: number;
  ttft_ms: number | null;
  usage: Usage;
  cost: number | null;
}

export interface Attempt {
  seq: number;
  created_at: string;
  model: string;
  provider: string;
  status: 'ok' | 'error';
  error_kind: string | null;
  error_message: string | null;
  upstream_status: number | null;
  latency_ms: number;
  ttft_ms: number | null;
  usage: Usage | null;
  cost: number | null;
}

export interface RequestDetail extends RequestSummary {
  fallbacks: number;
  attempts: Attempt[];
}

export interface RequestList {
  data: RequestSummary[];
  has_more: boolean;
  last_id: string | null;
}

export interface Budget {
  scope: 'key' | 'user' | 'tag' | 'global';
  scope_id: string;
  period: 'day' | 'week' | 'month' | 'total';
  limit: string;
  used: string;
  reserved: string;
  remaining: string;
  period_start: string | null;
  resets_at: string | null;
}

export interface KeyRecord {
  id: string;
  name: string;
  prefix: string;
  createdAt: string;
  revokedAt: string | null;
  expiresAt: string | null;
  user: string | null;
  tags: string[];
  budgetUsd: number | null;
  budgetPeriod: 'day' | 'week' | 'month' | 'total';
  models: string[] | null;
  providers: string[] | null;
  rpm: number | null;
  tpm: number | null;
}

export interface Live {
  now: string;
  in_flight: Array<{
    id: string;
    face: string;
    operation: string;
    stream: boolean;
    model: string;
    key_name: string | null;
    user: string | null;
    started_at: string;
    elapsed_ms: number;
  }>;
  last_minute: {
    requests: number;
    errors: number;
    cancelled: number;
    cost: number | null;
    per_second: Array<{ start: string; requests: number; errors: number }>;
  };
}

export const ERROR_KINDS = [
  'invalid_request', 'payload_too_large', 'unsupported_media_type', 'not_found', 'model_not_found', 'unauthorized',
  'forbidden', 'insufficient_budget', 'rate_limited', 'conflict', 'upstream_timeout', 'upstream_connection',
  'upstream_rate_limited', 'upstream_overloaded', 'upstream_server_error', 'upstream_auth', 'upstream_bad_request',
  'upstream_unsupported', 'context_exceeded', 'content_filter', 'stream_interrupted', 'circuit_open', 'client_closed',
  'internal',
] as const;
