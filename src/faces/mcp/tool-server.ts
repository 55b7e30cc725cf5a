/**
 * The McpServer every session gets. Each tool registered on it runs inside `toolCall`: the hooks
 * hear that the call started and how it ended (logs and traces subscribe there), and the result
 * reports the caller's budgets. Done here once rather than in each tool, so a new tool cannot
 * forget it.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { McpServer, type McpServerOptions, type RegisteredTool, type ToolCallback } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { AnySchema, ZodRawShapeCompat } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import type { CallToolResult, Implementation } from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../core/types.js';
import { principalFrom } from './auth-info.js';
import { withBudget } from './budget-meta.js';
import type { ToolExtra } from './progress.js';
import { continueTrace } from './request-context.js';

type ToolConfig<OutputArgs, InputArgs> = Parameters<McpServer['registerTool']>[1] & { inputSchema?: InputArgs; outputSchema?: OutputArgs };

export class GatewayMcpServer extends McpServer {
  constructor(
    private readonly gateway: Gateway,
    serverInfo: Implementation,
    options?: McpServerOptions,
  ) {
    super(serverInfo, options);
  }

  override registerTool<OutputArgs extends ZodRawShapeCompat | AnySchema, InputArgs extends undefined | ZodRawShapeCompat | AnySchema = undefined>(
    name: string,
    config: ToolConfig<OutputArgs, InputArgs>,
    callback: ToolCallback<InputArgs>,
  ): RegisteredTool {
    return super.registerTool(name, config, toolCall(this.gateway, name, callback));
  }
}

/** A tool's handler as it runs for a caller: told to the hooks, its result with the budgets. */
export function toolCall<Callback extends ToolCallback<undefined | ZodRawShapeCompat | AnySchema>>(gateway: Gateway, tool: string, handler: Callback): Callback {
  const run = handler as (...args: unknown[]) => CallToolResult | Promise<CallToolResult>;
  const wrapped = async (...args: unknown[]): Promise<CallToolResult> => {
    const extra = args[args.length - 1] as ToolExtra;
    const hooks = gateway.hooks;
    const keyName = principalFrom(extra.authInfo)?.keyName ?? null;
    const callId = randomUUID();
    const started = performance.now();
    const traceparent = extra.requestInfo?.headers.traceparent;
    const traceHeaders: Record<string, string> = {};
    hooks.emit('toolStarted', {
      callId,
      tool,
      keyId: principalFrom(extra.authInfo)?.keyId ?? null,
      keyName,
      ...(typeof traceparent === 'string' ? { traceparent } : {}),
      traceHeaders,
    });
    // The gateway requests the tool makes are children of the tool call's span.
    if (traceHeaders.traceparent) continueTrace(extra, traceHeaders.traceparent);
    let isError = true;
    try {
      const result = await withBudget(gateway, await run(...args), extra);
      isError = result.isError === true;
      return result;
    } finally {
      hooks.emit('toolEnded', { callId, tool, keyName, isError, latencyMs: performance.now() - started });
    }
  };
  return wrapped as unknown as Callback;
}
