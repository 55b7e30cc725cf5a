/**
 * The query string of `GET /v1/report`, in Vercel AI Gateway's parameter names. Parameters it
 * does not know are ignored; Vercel's that Tollgate has no data for are refused, so a filter is
 * never silently dropped from a figure someone relies on.
 */
import { z } from 'zod';
import { GatewayError } from '../../core/errors.js';
import { reportDateParts, reportGroupBys, type ReportQuery } from '../../core/types.js';
import { isCalendarDate } from '../../core/utc-date.js';

const DateParam = z
  .string({ error: (issue) => (issue.input === undefined ? 'is required (a UTC date, YYYY-MM-DD)' : 'must be a date, YYYY-MM-DD') })
  .refine(isCalendarDate, { error: 'must be a calendar date, YYYY-MM-DD (UTC)' });

const Text = z.string().trim().min(1, { error: 'must not be empty' });

const oneOf = (values: readonly string[]) => ({ error: `must be one of ${values.join(', ')}` });

const TAGS_MATCH = ['any', 'all'] as const;

export const ReportParamsSchema = z
  .object({
    start_date: DateParam,
    end_date: DateParam,
    group_by: z.enum(reportGroupBys, oneOf(reportGroupBys)).default('day'),
    date_part: z.enum(reportDateParts, oneOf(reportDateParts)).optional(),
    user_id: Text.optional(),
    model: Text.optional(),
    provider: Text.optional(),
    api_key_name: Text.optional(),
    /** Comma-separated. */
    tags: z
      .string()
      .transform((value) => value.split(',').map((tag) => tag.trim()).filter((tag) => tag.length > 0))
      .optional(),
    tags_match: z.enum(TAGS_MATCH, oneOf(TAGS_MATCH)).optional(),
    credential_type: z.never({ error: 'is not supported: every Tollgate request uses the operator’s own provider keys' }).optional(),
    zero_data_retention: z.never({ error: 'is not supported as a report filter by Tollgate' }).optional(),
  })
  .refine((params) => params.end_date >= params.start_date, { error: 'must not be before start_date', path: ['end_date'] });
export type ReportParams = z.infer<typeof ReportParamsSchema>;

/** The query string → the core's ReportQuery; a bad value is a 400 naming its parameter. */
export function parseReportParams(search: URLSearchParams): ReportQuery {
  const raw: Record<string, string> = {};
  for (const [name, value] of search) raw[name] = value;
  // Repeated `tags=a&tags=b` means both, as one comma-separated list would.
  const tags = search.getAll('tags');
  if (tags.length > 1) raw.tags = tags.join(',');
  const parsed = ReportParamsSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const param = String(issue.path[0] ?? 'query');
    throw new GatewayError('invalid_request', `${param} ${issue.message}`, { param });
  }
  return toReportQuery(parsed.data);
}

export function toReportQuery(params: ReportParams): ReportQuery {
  const query: ReportQuery = { startDate: params.start_date, endDate: params.end_date, groupBy: params.group_by };
  if (params.group_by === 'day' && params.date_part) query.datePart = params.date_part;
  if (params.user_id !== undefined) query.userId = params.user_id;
  if (params.model !== undefined) query.model = params.model;
  if (params.provider !== undefined) query.provider = params.provider;
  if (params.api_key_name !== undefined) query.apiKeyName = params.api_key_name;
  if (params.tags?.length) query.tags = params.tags;
  if (params.tags_match !== undefined) query.tagsMatch = params.tags_match;
  return query;
}
