/**
 * One info line per request, written when it settles, and one per MCP tool call: who asked for what, what served it
 * (each attempt, so fallbacks show), how long it took, the tokens and the cost. A request that
 * failed inside the gateway keeps its error with the stack.
 */
import type { Logger } from 'pino';
import { GatewayError } from '../core/errors.js';
import type { HookSubscriber, RequestFailed, RequestSettled, ToolEnded } from '../core/hooks.js';
import { fromNanos } from '../core/usage.js';

export class AccessLog implements HookSubscriber {
  /** Errors of requests not yet settled, by request id; only those worth a stack are kept. */
  private readonly errors = new Map<string, unknown>();

  /**
   * Lines without an error hold only the fields below, none of them a secret, so they skip the
   * logger's redaction: matching its wildcard paths costs as much as writing the line. A line
   * with an error goes through the redacting logger, as the error may carry anything.
   */
  private readonly unredacted: Logger;

  constructor(private readonly logger: Logger) {
    this.unredacted = logger.child({}, { redact: [] });
  }

  error({ requestId, error }: RequestFailed): void {
    if (!(error instanceof GatewayError) || error.kind === 'internal') this.errors.set(requestId, error);
  }

  settled({ request, attempts }: RequestSettled): void {
    const err = this.errors.get(request.id);
    if (err !== undefined) this.errors.delete(request.id);
    if (!this.logger.isLevelEnabled('info')) return;
    (err === undefined ? this.unredacted : this.logger).info(
      {
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
      },
      'request',
    );
  }

  /** A tool call's own line; the gateway requests it made have theirs. */
  toolEnded({ callId, tool, keyName, isError, latencyMs }: ToolEnded): void {
    if (!this.logger.isLevelEnabled('info')) return;
    this.logger.info({ callId, face: 'mcp', tool, key: keyName, status: isError ? 'error' : 'ok', latencyMs: Math.round(latencyMs) }, 'tool call');
  }
}
