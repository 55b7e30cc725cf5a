/**
 * `tollgate spend`: what the ledger in the data folder says was spent, as a table or JSON. It
 * reads the same SQLite file a running server writes (WAL), through the same report query as
 * `GET /v1/report`, and sees every request: whoever can read the data folder is the operator.
 */
import { parseArgs } from 'node:util';
import type { Config } from '../config/schema.js';
import type { ReportGroupBy, ReportGroupField, ReportQuery, ReportRow } from '../core/types.js';
import { usdText, usdToNanos } from '../core/usd-text.js';
import { addDays, isCalendarDate, utcDate } from '../core/utc-date.js';
import { createLogger } from '../logger.js';
import { openExistingStore } from '../store/create-store.js';

export const spendUsage = `Usage:
  tollgate spend [--by model|provider|user|tag|key|day|hour] [--since 7d|2026-11-01] [--until 2026-11-30]
                 [--user U] [--model M] [--provider P] [--tag a,b] [--key NAME] [--json]

  --by      what each row is (default: model); key = the virtual key's name
  --since   first UTC day included: a date, or Nd for N days before today (default: the first request)
  --until   last UTC day included: a date, or Nd (default: today)
  --tag     requests carrying any of these tags
  --json    print { start_date, end_date, group_by, results, total } with Vercel's report fields
`;

export interface SpendCommandOptions {
  dataDir: string;
  /** Names the store (`store.database`, or SQLite in the data folder). */
  config: Config;
  /** Defaults to the process streams. */
  stdout?: (text: string) => void;
  stderr?: (text: string) => void;
  /** "Today" for Nd and the default --until; tests pin it. */
  now?: () => Date;
}

class UsageError extends Error {}

const BY: Record<string, { groupBy: ReportGroupBy; hour?: true }> = {
  model: { groupBy: 'model' },
  provider: { groupBy: 'provider' },
  user: { groupBy: 'user' },
  tag: { groupBy: 'tag' },
  key: { groupBy: 'api_key_name' },
  api_key_name: { groupBy: 'api_key_name' },
  day: { groupBy: 'day' },
  hour: { groupBy: 'day', hour: true },
};

const HEADINGS: Record<ReportGroupField, { title: string; none: string }> = {
  model: { title: 'MODEL', none: '(none)' },
  provider: { title: 'PROVIDER', none: '(none: failed)' },
  user: { title: 'USER', none: '(no user)' },
  tag: { title: 'TAG', none: '(untagged)' },
  api_key_name: { title: 'KEY', none: '(no key)' },
  day: { title: 'DAY (UTC)', none: '' },
  hour: { title: 'HOUR (UTC)', none: '' },
};

export async function runSpendCommand(args: string[], options: SpendCommandOptions): Promise<number> {
  const out = options.stdout ?? ((text: string) => void process.stdout.write(text));
  const err = options.stderr ?? ((text: string) => void process.stderr.write(text));
  let parsed: ReturnType<typeof parseFlags>;
  try {
    parsed = parseFlags(args, (options.now ?? (() => new Date()))());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    err(`tollgate spend: ${error.message}\n\n${spendUsage}`);
    return 2;
  }
  if (parsed === 'help') {
    out(spendUsage);
    return 0;
  }
  const { query, json } = parsed;
  const field: ReportGroupField = query.datePart === 'hour' ? 'hour' : query.groupBy === 'day' ? 'day' : query.groupBy!;

  // No ledger yet: nothing was spent, and a read must not create the data folder.
  let rows: ReportRow[] = [];
  let total: ReportRow | undefined;
  const store = await openExistingStore(options.config, options.dataDir, createLogger('warn'));
  if (store) {
    try {
      rows = await store.reports.report(query, { kind: 'all' });
      total = (await store.reports.report({ ...query, groupBy: undefined, datePart: undefined }, { kind: 'all' }))[0];
    } finally {
      await store.close();
    }
  }
  total ??= emptyRow();

  if (json) {
    out(
      `${JSON.stringify(
        { start_date: query.startDate ?? null, end_date: query.endDate ?? null, group_by: query.groupBy, ...(query.datePart ? { date_part: query.datePart } : {}), results: rows, total },
        null,
        2,
      )}\n`,
    );
    return 0;
  }
  out(renderTable(field, rows, total, query));
  return 0;
}

function parseFlags(args: string[], now: Date): { query: ReportQuery; json: boolean } | 'help' {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      allowPositionals: false,
      options: {
        by: { type: 'string' },
        since: { type: 'string' },
        until: { type: 'string' },
        user: { type: 'string' },
        model: { type: 'string' },
        provider: { type: 'string' },
        tag: { type: 'string' },
        key: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (values.help) return 'help';
  const by = BY[values.by ?? 'model'];
  if (!by) throw new UsageError(`--by must be one of model, provider, user, tag, key, day, hour (got "${values.by}")`);
  const query: ReportQuery = { groupBy: by.groupBy, ...(by.hour ? { datePart: 'hour' as const } : {}) };
  if (values.since !== undefined) query.startDate = dayOf('--since', values.since, now);
  query.endDate = values.until !== undefined ? dayOf('--until', values.until, now) : utcDate(now);
  if (query.startDate && query.startDate > query.endDate) throw new UsageError(`--since (${query.startDate}) is after --until (${query.endDate})`);
  if (values.user !== undefined) query.userId = values.user;
  if (values.model !== undefined) query.model = values.model;
  if (values.provider !== undefined) query.provider = values.provider;
  if (values.key !== undefined) query.apiKeyName = values.key;
  if (values.tag !== undefined) {
    const tags = values.tag.split(',').map((tag) => tag.trim()).filter(Boolean);
    if (tags.length) query.tags = tags;
  }
  return { query, json: values.json ?? false };
}

/** `2026-11-01` as is; `7d` is the UTC date seven days before today. */
function dayOf(flag: string, text: string, now: Date): string {
  const relative = /^(\d{1,5})d$/.exec(text.trim());
  if (relative) return addDays(utcDate(now), -Number(relative[1]));
  if (isCalendarDate(text.trim())) return text.trim();
  throw new UsageError(`${flag} must be a UTC date (2026-11-01) or a number of days ago (7d), not "${text}"`);
}

function renderTable(field: ReportGroupField, rows: ReportRow[], total: ReportRow, query: ReportQuery): string {
  const heading = HEADINGS[field];
  const nanos = [...rows, total].map((row) => usdToNanos(row.total_cost));
  // One number of decimals for the whole column, enough for the smallest amount to show exactly.
  const decimals = Math.max(2, ...nanos.map((value) => usdText(value).split('.')[1]?.length ?? 0));
  // A row holding requests without a price gets a mark, so its cost is not read as complete.
  const marked = total.unpriced_request_count > 0;
  // Refusals are counted by time, user and key only: a column where the rows are those, a note otherwise.
  const refusedColumn = total.refused_count !== undefined && rows.every((row) => row.refused_count !== undefined);
  const line = (row: ReportRow, label: string): string[] => [
    label,
    String(row.request_count),
    ...(refusedColumn ? [String(row.refused_count ?? 0)] : []),
    String(row.input_tokens),
    String(row.output_tokens),
    `${usdText(usdToNanos(row.total_cost), decimals)}${marked ? (row.unpriced_request_count ? '*' : ' ') : ''}`,
  ];
  const body = rows.map((row) => line(row, row[field] ?? heading.none));
  const headers = [heading.title, 'REQUESTS', ...(refusedColumn ? ['REFUSED'] : []), 'INPUT TOKENS', 'OUTPUT TOKENS', 'COST (USD)'];
  const totalLine = line(total, 'TOTAL');
  const widths = headers.map((header, column) => Math.max(header.length, totalLine[column]!.length, ...body.map((cells) => cells[column]!.length)));
  const format = (cells: string[]) =>
    cells.map((cell, column) => (column === 0 ? cell.padEnd(widths[column]!) : cell.padStart(widths[column]!))).join('  ');
  const rule = widths.map((width) => '-'.repeat(width)).join('  ');
  const window = `${query.startDate ?? 'the first request'} to ${query.endDate} (UTC, inclusive)`;
  const notes = [`Spend from ${window}.`];
  if (field === 'tag') notes.push('A request with several tags counts in each of their rows; the total counts it once.');
  if (refusedColumn && total.refused_count) notes.push('REFUSED: requests refused by a budget, rate limit or allowlist before any upstream call (not in REQUESTS).');
  if (!refusedColumn && total.refused_count) {
    notes.push(`${total.refused_count} request${total.refused_count === 1 ? ' was' : 's were'} refused by a budget, rate limit or allowlist before any upstream call (not in the rows; refusals are counted by day, hour, user and key: --by day|hour|user|key).`);
  }
  if (total.unpriced_request_count) {
    notes.push(`* ${total.unpriced_request_count} request${total.unpriced_request_count === 1 ? ' has' : 's have'} no known price and ${total.unpriced_request_count === 1 ? 'is' : 'are'} not in the cost; set models["…"].pricing in the config.`);
  }
  return [notes[0]!, '', format(headers), ...(body.length ? body.map(format) : ['(no requests)']), rule, format(totalLine), ...notes.slice(1).map((note) => `\n${note}`)].join('\n') + '\n';
}

function emptyRow(): ReportRow {
  return {
    total_cost: 0,
    market_cost: 0,
    input_tokens: 0,
    output_tokens: 0,
    cached_input_tokens: 0,
    cache_creation_input_tokens: 0,
    reasoning_tokens: 0,
    request_count: 0,
    unpriced_request_count: 0,
  };
}
