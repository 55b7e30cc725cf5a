import { useEffect, useMemo, useState } from 'preact/hooks';
import { call, query } from '../api.js';
import type { Caller } from '../caller.js';
import { bucketsOf } from '../chart.js';
import { Field, Notice, Stat, TimeChart } from '../components.js';
import { count, daysAgo, percent, usd, utcDay } from '../format.js';
import type { ReportRow } from '../types.js';

/** The filters of `GET /v1/report`, as the form holds them. */
interface Filters {
  start_date: string;
  end_date: string;
  bucket: 'day' | 'hour';
  user_id: string;
  model: string;
  provider: string;
  api_key_name: string;
  tags: string;
  tags_match: 'any' | 'all';
}

const GROUPS = [
  { by: 'model', field: 'model', title: 'By model' },
  { by: 'provider', field: 'provider', title: 'By provider' },
  { by: 'user', field: 'user', title: 'By user' },
  { by: 'tag', field: 'tag', title: 'By tag' },
  { by: 'api_key_name', field: 'api_key_name', title: 'By key' },
] as const;

interface Report {
  filters: Filters;
  time: ReportRow[];
  groups: Record<(typeof GROUPS)[number]['by'], ReportRow[]>;
}

const initialFilters = (): Filters => ({
  start_date: daysAgo(6),
  end_date: utcDay(new Date()),
  bucket: 'day',
  user_id: '',
  model: '',
  provider: '',
  api_key_name: '',
  tags: '',
  tags_match: 'any',
});

function reportQuery(filters: Filters, groupBy: string): string {
  return query({
    start_date: filters.start_date,
    end_date: filters.end_date,
    group_by: groupBy,
    date_part: groupBy === 'day' ? filters.bucket : undefined,
    user_id: filters.user_id.trim(),
    model: filters.model.trim(),
    provider: filters.provider.trim(),
    api_key_name: filters.api_key_name.trim(),
    tags: filters.tags.trim(),
    tags_match: filters.tags.trim() ? filters.tags_match : undefined,
  });
}

async function loadReport(filters: Filters): Promise<Report> {
  const fetchRows = (groupBy: string) => call<{ results: ReportRow[] }>(`/v1/report${reportQuery(filters, groupBy)}`).then((body) => body.results);
  const [time, ...grouped] = await Promise.all([fetchRows('day'), ...GROUPS.map((group) => fetchRows(group.by))]);
  const groups = Object.fromEntries(GROUPS.map((group, index) => [group.by, grouped[index]!])) as Report['groups'];
  return { filters, time: time!, groups };
}

export function SpendPage({ caller }: { caller: Caller }) {
  const [form, setForm] = useState<Filters>(initialFilters);
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  const run = (filters: Filters) => {
    setLoading(true);
    setError(null);
    loadReport(filters)
      .then(setReport)
      .catch((failure: Error) => setError(failure.message))
      .finally(() => setLoading(false));
  };
  useEffect(() => run(form), []);

  const set = (name: keyof Filters) => (event: Event) => setForm({ ...form, [name]: (event.target as HTMLInputElement).value });

  const totals = useMemo(() => {
    const rows = report?.time ?? [];
    return {
      cost: rows.reduce((sum, row) => sum + row.total_cost, 0),
      requests: rows.reduce((sum, row) => sum + row.request_count, 0),
      input: rows.reduce((sum, row) => sum + row.input_tokens, 0),
      output: rows.reduce((sum, row) => sum + row.output_tokens, 0),
      unpriced: rows.reduce((sum, row) => sum + row.unpriced_request_count, 0),
    };
  }, [report]);

  const series = useMemo(() => {
    if (!report) return null;
    const hourly = report.filters.bucket === 'hour';
    const range = { start: report.filters.start_date, end: report.filters.end_date, hourly };
    const key = (row: ReportRow) => (hourly ? row.hour : row.day);
    const cost = bucketsOf(report.time, key, range, (row) => row?.total_cost ?? 0);
    const requests = bucketsOf(report.time, key, range, (row) => row?.request_count ?? 0);
    return {
      x: cost.x,
      bars: { label: 'Cost (USD)', values: cost.values, format: (value: number) => usd(value) },
      line: { label: 'Requests', values: requests.values, format: (value: number) => count(Math.round(value)), whole: true },
    };
  }, [report]);

  return (
    <section aria-labelledby="spend-title">
      <h1 id="spend-title">Spend</h1>
      {caller.kind === 'key' && <p class="muted">This key’s own requests only.</p>}
      <form
        class="filters card"
        onSubmit={(event) => {
          event.preventDefault();
          run(form);
        }}
      >
        <Field label="From (UTC)">
          <input type="date" name="start_date" value={form.start_date} onInput={set('start_date')} required />
        </Field>
        <Field label="To (UTC)">
          <input type="date" name="end_date" value={form.end_date} onInput={set('end_date')} required />
        </Field>
        <Field label="Buckets">
          <select name="bucket" value={form.bucket} onChange={set('bucket')}>
            <option value="day">day</option>
            <option value="hour">hour</option>
          </select>
        </Field>
        <Field label="Model">
          <input name="model" placeholder="provider/model" value={form.model} onInput={set('model')} />
        </Field>
        <Field label="Provider">
          <input name="provider" value={form.provider} onInput={set('provider')} />
        </Field>
        <Field label="User">
          <input name="user_id" value={form.user_id} onInput={set('user_id')} />
        </Field>
        <Field label="Key name">
          <input name="api_key_name" value={form.api_key_name} onInput={set('api_key_name')} />
        </Field>
        <Field label="Tags">
          <input name="tags" placeholder="a,b" value={form.tags} onInput={set('tags')} />
        </Field>
        <Field label="Tags match">
          <select name="tags_match" value={form.tags_match} onChange={set('tags_match')}>
            <option value="any">any</option>
            <option value="all">all</option>
          </select>
        </Field>
        <div class="actions">
          <button type="submit" disabled={loading}>
            {loading ? 'Loading…' : 'Show'}
          </button>
        </div>
      </form>
      {error && <Notice kind="error">{error}</Notice>}
      {report && series && (
        <>
          <div class="stats">
            <Stat label="Cost" value={usd(totals.cost)} testId="spend-total" />
            <Stat label="Requests" value={count(totals.requests)} testId="spend-requests" />
            <Stat label="Input tokens" value={count(totals.input)} />
            <Stat label="Output tokens" value={count(totals.output)} />
            {totals.unpriced > 0 && <Stat label="Without a price" value={count(totals.unpriced)} />}
          </div>
          <div class="card" data-testid="spend-chart">
            <h2>
              Cost per {report.filters.bucket} <span class="muted">({report.filters.start_date} to {report.filters.end_date}, UTC)</span>
            </h2>
            <TimeChart series={series} label={`Cost per ${report.filters.bucket}`} />
          </div>
          <div class="groups">
            {GROUPS.map((group) => (
              <GroupTable key={group.by} title={group.title} field={group.field} rows={report.groups[group.by]} total={totals.cost} />
            ))}
          </div>
        </>
      )}
    </section>
  );
}

function GroupTable({ title, field, rows, total }: { title: string; field: keyof ReportRow; rows: ReportRow[]; total: number }) {
  return (
    <div class="card group" data-testid={`spend-by-${field}`}>
      <h2>{title}</h2>
      {rows.length === 0 ? (
        <p class="muted">No requests.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th>{field === 'api_key_name' ? 'key' : field}</th>
              <th class="num">Requests</th>
              <th class="num">Tokens in / out</th>
              <th class="num">Cost</th>
              <th class="share">Share</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((row, index) => (
              <tr key={index}>
                <td>{(row[field] as string | undefined) ?? <span class="muted">(none)</span>}</td>
                <td class="num">{count(row.request_count)}</td>
                <td class="num">
                  {count(row.input_tokens)} / {count(row.output_tokens)}
                </td>
                <td class="num">{usd(row.total_cost)}</td>
                <td class="share">
                  <span class="share-bar" style={{ width: `${percent(row.total_cost, total)}%` }} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}
