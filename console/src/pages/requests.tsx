import { Fragment } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { call, query } from '../api.js';
import type { Caller } from '../caller.js';
import { Field, Notice } from '../components.js';
import { count, ms, usd, when } from '../format.js';
import { ERROR_KINDS, type RequestDetail, type RequestList, type RequestSummary } from '../types.js';

interface Search {
  model: string;
  api_key_name: string;
  status: '' | 'ok' | 'error' | 'cancelled';
  error_kind: string;
}

const PAGE_SIZE = 50;

const searchQuery = (search: Search, before?: string) =>
  query({ limit: PAGE_SIZE, model: search.model.trim(), api_key_name: search.api_key_name.trim(), status: search.status, error_kind: search.error_kind, before });

export function RequestsPage({ caller }: { caller: Caller }) {
  const [form, setForm] = useState<Search>({ model: '', api_key_name: '', status: '', error_kind: '' });
  const [applied, setApplied] = useState<Search>(form);
  const [rows, setRows] = useState<RequestSummary[]>([]);
  const [hasMore, setHasMore] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);
  const [openId, setOpenId] = useState<string | null>(null);

  const load = (search: Search, before?: string) => {
    setLoading(true);
    setError(null);
    call<RequestList>(`/v1/requests${searchQuery(search, before)}`)
      .then((page) => {
        setRows((current) => (before ? [...current, ...page.data] : page.data));
        setHasMore(page.has_more);
        setApplied(search);
      })
      .catch((failure: Error) => setError(failure.message))
      .finally(() => setLoading(false));
  };
  useEffect(() => load(form), []);

  const set = (name: keyof Search) => (event: Event) => setForm({ ...form, [name]: (event.target as HTMLInputElement).value });

  return (
    <section aria-labelledby="requests-title">
      <h1 id="requests-title">Requests</h1>
      {caller.kind === 'key' && <p class="muted">This key’s own requests only.</p>}
      <form
        class="filters card"
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          setOpenId(null);
          load(form);
        }}
      >
        <Field label="Model">
          <input name="model" placeholder="provider/model" value={form.model} onInput={set('model')} />
        </Field>
        <Field label="Key name">
          <input name="api_key_name" value={form.api_key_name} onInput={set('api_key_name')} />
        </Field>
        <Field label="Status">
          <select name="status" value={form.status} onChange={set('status')}>
            <option value="">any</option>
            <option value="ok">ok</option>
            <option value="error">error</option>
            <option value="cancelled">cancelled</option>
          </select>
        </Field>
        <Field label="Error kind">
          <select name="error_kind" value={form.error_kind} onChange={set('error_kind')}>
            <option value="">any</option>
            {ERROR_KINDS.map((kind) => (
              <option key={kind} value={kind}>
                {kind}
              </option>
            ))}
          </select>
        </Field>
        <div class="actions">
          <button type="submit" disabled={loading}>
            {loading ? 'Searching…' : 'Search'}
          </button>
        </div>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      <div class="card">
        {rows.length === 0 && !loading ? (
          <p class="muted">No requests match.</p>
        ) : (
          <table class="requests" data-testid="requests-table">
            <thead>
              <tr>
                <th>Time (UTC)</th>
                <th>Model</th>
                <th>Provider</th>
                <th>Key</th>
                <th>Status</th>
                <th class="num">Latency</th>
                <th class="num">TTFT</th>
                <th class="num">Tokens in / out</th>
                <th class="num">Cost</th>
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <Fragment key={row.id}>
                  <tr
                    class={`clickable${openId === row.id ? ' open' : ''}`}
                    data-request-id={row.id}
                    tabIndex={0}
                    onClick={() => setOpenId(openId === row.id ? null : row.id)}
                    onKeyDown={(event) => {
                      if (event.key === 'Enter') setOpenId(openId === row.id ? null : row.id);
                    }}
                  >
                    <td>{when(row.created_at)}</td>
                    <td class="model">{row.served_model ?? row.requested_model}</td>
                    <td>{row.provider ?? '—'}</td>
                    <td>{row.key_name ?? '—'}</td>
                    <td>
                      <span class={`badge badge-${row.status}`}>{row.status}</span>
                      {row.error_kind && <span class="kind">{row.error_kind}</span>}
                    </td>
                    <td class="num">{ms(row.latency_ms)}</td>
                    <td class="num">{ms(row.ttft_ms)}</td>
                    <td class="num">
                      {count(row.usage.input_tokens)} / {count(row.usage.output_tokens)}
                    </td>
                    <td class="num cost">{usd(row.cost)}</td>
                  </tr>
                  {openId === row.id && (
                    <tr class="detail-row">
                      <td colSpan={9}>
                        <RequestDetails id={row.id} />
                      </td>
                    </tr>
                  )}
                </Fragment>
              ))}
            </tbody>
          </table>
        )}
        {hasMore && (
          <button type="button" class="secondary" disabled={loading} onClick={() => load(applied, rows.at(-1)?.id)}>
            Older requests
          </button>
        )}
      </div>
    </section>
  );
}

function RequestDetails({ id }: { id: string }) {
  const [detail, setDetail] = useState<RequestDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    call<RequestDetail>(`/v1/requests/${encodeURIComponent(id)}`)
      .then(setDetail)
      .catch((failure: Error) => setError(failure.message));
  }, [id]);
  if (error) return <Notice kind="error">{error}</Notice>;
  if (!detail) return <p class="muted">Loading…</p>;
  return (
    <div class="detail" data-testid="request-detail">
      <dl class="facts">
        <dt>Request id</dt>
        <dd class="mono">{detail.id}</dd>
        <dt>Face / operation</dt>
        <dd>
          {detail.face} · {detail.operation}
          {detail.stream ? ' · stream' : ''}
        </dd>
        <dt>Requested → served</dt>
        <dd>
          {detail.requested_model} → {detail.served_model ?? '(none)'}
        </dd>
        <dt>User / tags</dt>
        <dd>
          {detail.user ?? '—'} {detail.tags.length > 0 && <span class="muted">[{detail.tags.join(', ')}]</span>}
        </dd>
        <dt>Latency / TTFT</dt>
        <dd data-testid="detail-latency">
          {ms(detail.latency_ms)} / {ms(detail.ttft_ms)}
        </dd>
        <dt>Tokens</dt>
        <dd data-testid="detail-tokens">
          {count(detail.usage.input_tokens)} in ({count(detail.usage.cached_input_tokens)} cached), {count(detail.usage.output_tokens)} out (
          {count(detail.usage.reasoning_tokens)} reasoning)
        </dd>
        <dt>Cost</dt>
        <dd data-testid="detail-cost">{detail.cost === null ? 'unknown (no price)' : usd(detail.cost)}</dd>
        <dt>Attempts / fallbacks</dt>
        <dd data-testid="detail-attempts">
          {detail.attempt_count} / {detail.fallbacks}
        </dd>
      </dl>
      <table class="attempts" data-testid="attempts">
        <thead>
          <tr>
            <th>#</th>
            <th>Model</th>
            <th>Provider</th>
            <th>Outcome</th>
            <th class="num">Latency</th>
            <th class="num">TTFT</th>
            <th class="num">Tokens in / out</th>
            <th class="num">Cost</th>
          </tr>
        </thead>
        <tbody>
          {detail.attempts.map((attempt, index) => (
            <tr key={attempt.seq}>
              <td>
                {attempt.seq}
                {index > 0 && attempt.model !== detail.attempts[index - 1]!.model && <span class="kind">fallback</span>}
              </td>
              <td class="model">{attempt.model}</td>
              <td>{attempt.provider}</td>
              <td>
                <span class={`badge badge-${attempt.status}`}>{attempt.status}</span>
                {attempt.error_kind && <span class="kind">{attempt.error_kind}</span>}
                {attempt.upstream_status !== null && <span class="muted"> HTTP {attempt.upstream_status}</span>}
                {attempt.error_message && <div class="muted small">{attempt.error_message}</div>}
              </td>
              <td class="num">{ms(attempt.latency_ms)}</td>
              <td class="num">{ms(attempt.ttft_ms)}</td>
              <td class="num">{attempt.usage ? `${count(attempt.usage.input_tokens)} / ${count(attempt.usage.output_tokens)}` : '—'}</td>
              <td class="num">{usd(attempt.cost)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
