/**
 * Vercel AI Gateway's reporting headers: `ai-reporting-user` and `ai-reporting-tags` attribute
 * a request for spend reports without touching its body, so a proxy layer can stamp them.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { MAX_TAG_LENGTH, MAX_TAGS, MAX_USER_LENGTH } from '../core/attribution.js';
import { GatewayError } from '../core/errors.js';
import type { RequestContext } from '../core/types.js';

export interface ReportingAttribution {
  user?: string;
  tags?: string[];
}

/** Reads both headers; an invalid value is a 400 naming the header. */
export function readReportingHeaders(headers: IncomingHttpHeaders): ReportingAttribution {
  const attribution: ReportingAttribution = {};
  const user = single(headers['ai-reporting-user'])?.trim();
  if (user) {
    if (user.length > MAX_USER_LENGTH) {
      throw new GatewayError('invalid_request', `the ai-reporting-user header is longer than ${MAX_USER_LENGTH} characters`, { param: 'ai-reporting-user' });
    }
    attribution.user = user;
  }
  const tagList = single(headers['ai-reporting-tags']);
  if (tagList !== undefined) {
    const tags = [...new Set(tagList.split(',').map((tag) => tag.trim()).filter((tag) => tag.length > 0))];
    const long = tags.find((tag) => tag.length > MAX_TAG_LENGTH);
    if (long !== undefined) {
      throw new GatewayError('invalid_request', `the ai-reporting-tags header has a tag longer than ${MAX_TAG_LENGTH} characters`, { param: 'ai-reporting-tags' });
    }
    if (tags.length > MAX_TAGS) {
      throw new GatewayError('invalid_request', `the ai-reporting-tags header lists ${tags.length} tags; at most ${MAX_TAGS} are allowed`, { param: 'ai-reporting-tags' });
    }
    if (tags.length) attribution.tags = tags;
  }
  return attribution;
}

/**
 * Adds the headers' attribution to a request context: the header user stands in for the body's
 * (whether the caller may name a user at all, the core decides); header tags join the context's.
 */
export function applyReportingHeaders(context: RequestContext, headers: IncomingHttpHeaders): void {
  const { user, tags } = readReportingHeaders(headers);
  if (user !== undefined && context.user == null) context.user = user;
  if (tags) context.tags = [...new Set([...(context.tags ?? []), ...tags])];
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(',') : value;
}
