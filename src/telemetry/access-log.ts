/**
 * One info line per request, written when it settles, and one per MCP tool call: who asked for what, what served it
 * (each attempt, so fallbacks show), how long it took, the tokens and the cost. A request that
 * failed inside the gateway keeps its error with the stack.
 */
import type { Logger } from 'pino';
import { GatewayError } from '../core/errors.js';
import type { HookSubscriber, RequestFailed, RequestSettled, ToolEnded } from '../core/hooks.js';
import { fromNanos } from '../core/usage.js';
import { jsonLines, type JsonLines } from '../logger.js';
import type { AttemptRow, RequestRow } from '../store/types.js';

/**
 * A string field as JSON; null stays null. Most are short and need no escape, and checking that
 * costs less than JSON.stringify; any other goes through it (quotes, backslashes, control
 * characters, and surrogates, so that a lone one is escaped rather than written broken).
 */
function text(value: string | null): string {
  if (value === null) return 'null';
  if (value.length > 64) return JSON.stringify(value);
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index);
    if (code < 32 || code === 34 || code === 92 || (code >= 0xd800 && code <= 0xdfff)) return JSON.stringify(value);
  }
  return `"${value}"`;
}
/** A number as pino writes it: one that is not finite becomes null. */
const num = (value: number | null): string => (value !== null && Number.isFinite(value) ? String(value) : 'null');

/**
 * The fields of a request's line between the logger's bindings and the message, as pino writes
 * `requestLine`'s object (same names, same order), without walking an object to do it.
 */
function requestFields(request: RequestRow, attempts: AttemptRow[]): string {
  let tried = '';
  for (let index = 0; index < attempts.length; index++) {
    const attempt = attempts[index]!;
    tried +=
      (index === 0 ? '{"model":' : ',{"model":') +
      text(attempt.model) +
      ',"status":' +
      text(attempt.status) +
      (attempt.errorKind ? ',"errorKind":' + text(attempt.errorKind) : '') +
      ',"latencyMs":' +
      num(Math.round(attempt.latencyMs)) +
      '}';
  }
  const usage = request.usage;
  return (
    ',"requestId":' +
    text(request.id) +
    ',"face":' +
    text(request.face) +
    ',"operation":' +
    text(request.operation) +
    ',"stream":' +
    String(request.stream) +
    ',"key":' +
    text(request.keyName) +
    ',"user":' +
    text(request.user) +
    ',"model":' +
    text(request.requestedModel) +
    ',"servedModel":' +
    text(request.servedModel) +
    ',"provider":' +
    text(request.provider) +
    ',"status":' +
    text(request.status) +
    ',"errorKind":' +
    text(request.errorKind) +
    ',"attempts":[' +
    tried +
    '],"latencyMs":' +
    num(Math.round(request.latencyMs)) +
    ',"ttftMs":' +
    (request.ttftMs === null ? 'null' : num(Math.round(request.ttftMs))) +
    ',"tokens":{"input":' +
    num(usage.input) +
    ',"output":' +
    num(usage.output) +
    ',"cached":' +
    num(usage.cacheRead) +
    ',"reasoning":' +
    num(usage.reasoning) +
    '},"costUsd":' +
    num(fromNanos(request.costNanos))
  );
}

/** The object pino writes for a request's line (with its error, when it has one worth a stack). */
function requestLine(request: RequestRow, attempts: AttemptRow[], err: unknown): Record<string, unknown> {
  return {
    requestId: request.id,
    face: request.face,
    operation: request.operation,
    stream: request.stream,
    key: request.keyName,
    user: request.user,
    model: request.requestedModel,
    servedModel: request.servedModel,
    provider: request.provider,
    status: request.status,
    errorKind: request.errorKind,
    attempts: attempts.map((attempt) => ({
      model: attempt.model,
      status: attempt.status,
      ...(attempt.errorKind ? { errorKind: attempt.errorKind } : {}),
      latencyMs: Math.round(attempt.latencyMs),
    })),
    latencyMs: Math.round(request.latencyMs),
    ttftMs: request.ttftMs === null ? null : Math.round(request.ttftMs),
    tokens: { input: request.usage.input, output: request.usage.output, cached: request.usage.cacheRead, reasoning: request.usage.reasoning },
    costUsd: fromNanos(request.costNanos),
    ...(err !== undefined ? { err } : {}),
  };
}

export class AccessLog implements HookSubscriber {
  /** Errors of requests not yet settled, by request id; only those worth a stack are kept. */
  private readonly errors = new Map<string, unknown>();

  /**
   * Lines without an error hold only the fields below, none of them a secret, so they skip the
   * logger's redaction: matching its wildcard paths costs as much as writing the line. A line
   * with an error goes through the redacting logger, as the error may carry anything.
   */
  private readonly unredacted: Logger;
  /** The unredacted logger's JSON lines, when plain: a line without an error is built by hand. */
  private readonly lines: JsonLines | null;
  private readonly info: number;
  private readonly requestEnd: string;

  constructor(private readonly logger: Logger) {
    this.unredacted = logger.child({}, { redact: [] });
    this.lines = jsonLines(this.unredacted);
    this.info = logger.levels.values.info!;
    this.requestEnd = this.lines?.end('request') ?? '';
  }

  error({ requestId, error }: RequestFailed): void {
    if (!(error instanceof GatewayError) || error.kind === 'internal') this.errors.set(requestId, error);
  }

  settled({ request, attempts }: RequestSettled): void {
    const err = this.errors.get(request.id);
    if (err !== undefined) this.errors.delete(request.id);
    if (!this.logger.isLevelEnabled('info')) return;
    if (err === undefined && this.lines) {
      const lines = this.lines;
      lines.write(lines.start(this.info) + requestFields(request, attempts) + this.requestEnd);
    } else (err === undefined ? this.unredacted : this.logger).info(requestLine(request, attempts, err), 'request');
  }

  /** A tool call's own line; the gateway requests it made have theirs. */
  toolEnded({ callId, tool, keyName, isError, latencyMs }: ToolEnded): void {
    if (!this.logger.isLevelEnabled('info')) return;
    this.logger.info({ callId, face: 'mcp', tool, key: keyName, status: isError ? 'error' : 'ok', latencyMs: Math.round(latencyMs) }, 'tool call');
  }
}
