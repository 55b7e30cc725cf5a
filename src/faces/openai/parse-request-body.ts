import type { z } from 'zod';
import { GatewayError } from '../../core/errors.js';

type Issue = z.core.$ZodIssue;
type PathKey = PropertyKey;

const MISSING = 'missing required parameter';

/**
 * Parses a request body with a wire schema and turns the first problem into an
 * `invalid_request` error whose message says what to fix and whose `param` names the field
 * the way OpenAI does (`messages[2].content`).
 */
export function parseRequestBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body, {
    error: (issue) =>
      issue.code === 'invalid_type' && issue.input === undefined ? MISSING : undefined,
  });
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const { issue, path } = deepestIssue(first, first.path);
  const param = formatParam(path);
  throw new GatewayError('invalid_request', describeIssue(issue, param), param ? { param } : {});
}

/** `['messages', 2, 'content']` → `messages[2].content`. */
export function formatParam(path: readonly PathKey[]): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out === '' ? String(key) : `.${String(key)}`;
  }
  return out;
}

/**
 * A union that failed reports every branch's issues. The branch that got furthest into the
 * value is the one the client meant (an array of parts with one bad part, not "not a string"),
 * so report its issue; when no branch got past the top, the union's own message is clearer.
 */
function deepestIssue(issue: Issue, path: readonly PathKey[]): { issue: Issue; path: PathKey[] } {
  if (issue.code !== 'invalid_union' || issue.errors.length === 0) {
    return { issue, path: [...path] };
  }
  let best: Issue | undefined;
  for (const branch of issue.errors) {
    const candidate = branch[0];
    if (candidate && candidate.path.length > 0 && (!best || candidate.path.length > best.path.length)) {
      best = candidate;
    }
  }
  if (best) return deepestIssue(best, [...path, ...best.path]);
  const allMissing = issue.errors.every((branch) => branch[0]?.message === MISSING);
  return { issue: allMissing ? { ...issue, message: MISSING } : issue, path: [...path] };
}

function describeIssue(issue: Issue, param: string): string {
  if (issue.message === MISSING) {
    return param ? `Missing required parameter: '${param}'.` : 'The request body must be a JSON object.';
  }
  // zod's wording, minus its generic prefix and its word for a JSON object.
  const detail = issue.message.replace(/^Invalid input: /, '').replace(/expected record/, 'expected object');
  return param ? `Invalid value for '${param}': ${detail}` : `Invalid request body: ${detail}`;
}
