/**
 * Helpers every wire format shares: replies, SSE events, ids and request-body validation.
 */
import type { z } from 'zod';
import type { Family, Reply, SseEvent, WireRequest } from './types.js';

let sequence = 0;

/** A fresh id with the provider's prefix (`chatcmpl-`, `msg_`, …); unique within the process. */
export function nextId(prefix: string): string {
  sequence += 1;
  return `${prefix}${sequence.toString(36).padStart(6, '0')}`;
}

export function json(body: unknown, status = 200, headers?: Record<string, string>): Reply {
  return { kind: 'json', status, body, ...(headers ? { headers } : {}) };
}

export function sse(events: SseEvent[], headers?: Record<string, string>): Reply {
  return { kind: 'sse', events, ...(headers ? { headers } : {}) };
}

/** A `data:` event carrying JSON (or a literal such as `[DONE]`), optionally named. */
export function dataEvent(payload: unknown, content: boolean, event?: string): SseEvent {
  const data = typeof payload === 'string' ? payload : JSON.stringify(payload);
  return event === undefined ? { data, content } : { event, data, content };
}

export function formatEvent(event: SseEvent, eventEnd: string): string {
  const lineEnd = eventEnd.startsWith('\r\n') ? '\r\n' : '\n';
  const name = event.event === undefined ? '' : `event: ${event.event}${lineEnd}`;
  return `${name}data: ${event.data}${eventEnd}`;
}

export type Parsed<T> = { ok: true; value: T } | { ok: false; reply: Reply };

/** Validate a body against the fields a format reads; a mismatch is the provider's 400. */
export function parseBody<T>(schema: z.ZodType<T>, req: WireRequest, family: Family): Parsed<T> {
  const result = schema.safeParse(req.body);
  if (result.success) return { ok: true, value: result.data };
  const issue = result.error.issues[0];
  const where = issue && issue.path.length > 0 ? `${issue.path.join('.')}: ` : '';
  const message = `${where}${issue?.message ?? 'invalid request body'}`;
  return { ok: false, reply: json(withMessage(family.errorBody(400, undefined), message), 400) };
}

/** Replace the message inside a provider error body, whatever its shape. */
export function withMessage(body: unknown, message: string): unknown {
  if (typeof body !== 'object' || body === null) return body;
  const record = body as Record<string, unknown>;
  const inner = record.error;
  if (typeof inner === 'object' && inner !== null) {
    return { ...record, error: { ...(inner as Record<string, unknown>), message } };
  }
  return { ...record, message };
}

export function bearerToken(headers: Record<string, string>): string | undefined {
  const match = /^Bearer\s+(\S+)/i.exec(headers.authorization ?? '');
  return match?.[1];
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The `model` field of a JSON body, when there is one. */
export function bodyModel(req: WireRequest): string | undefined {
  const model = (req.body as { model?: unknown } | null | undefined)?.model;
  return typeof model === 'string' ? model : undefined;
}
