/**
 * The McpServer every session gets. Each tool registered on it runs inside `toolCall`: the hooks
 * hear that the call started and how it ended (logs and traces subscribe there), and the result
 * reports the caller's budgets. Done here once rather than in each tool, so a new tool cannot
 * forget it.
 *
 * `tools/call` is answered by `callTool` below rather than by the SDK's handler, which parses the
 * request three times, validates input and output asynchronously and parses the whole result
 * once more against the spec's schema: about a fifth of the CPU of a call outside the gateway.
 * Here the request is parsed once (by the protocol layer), the arguments and the structured
 * output once each against the tool's own schemas, with the same outcomes as the SDK's.
 */
import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { McpServer, type McpServerOptions, type RegisteredTool, type ToolCallback } from '@modelcontextprotocol/sdk/server/mcp.js';
import { getParseErrorMessage, normalizeObjectSchema, safeParse, type AnySchema, type ZodRawShapeCompat } from '@modelcontextprotocol/sdk/server/zod-compat.js';
import { Protocol } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  ErrorCode,
  McpError,
  type CallToolRequest,
  type CallToolResult,
  type Implementation,
  type JSONRPCMessage,
  type MessageExtraInfo,
  type ServerNotification,
  type ServerRequest,
  type ServerResult,
} from '@modelcontextprotocol/sdk/types.js';
import type { Gateway } from '../../core/types.js';
import { principalFrom } from './auth-info.js';
import { withBudget } from './budget-meta.js';
import type { ToolExtra } from './progress.js';
import { continueTrace } from './request-context.js';
import { toolErrorResult } from './tool-errors.js';

type ToolConfig<OutputArgs, InputArgs> = Parameters<McpServer['registerTool']>[1] & { inputSchema?: InputArgs; outputSchema?: OutputArgs };
type ToolHandler = (...args: unknown[]) => CallToolResult | Promise<CallToolResult>;

export class GatewayMcpServer extends McpServer {
  /** The tools registered, by name (they are never renamed or removed). */
  private readonly tools = new Map<string, RegisteredTool>();
  private readonly maxInputElements: number | undefined;

  constructor(
    private readonly gateway: Gateway,
    serverInfo: Implementation,
    options?: McpServerOptions,
  ) {
    super(serverInfo, options);
    const max = options?.maxToolInputElements;
    this.maxInputElements = max === Infinity ? undefined : max;
  }

  override registerTool<OutputArgs extends ZodRawShapeCompat | AnySchema, InputArgs extends undefined | ZodRawShapeCompat | AnySchema = undefined>(
    name: string,
    config: ToolConfig<OutputArgs, InputArgs>,
    callback: ToolCallback<InputArgs>,
  ): RegisteredTool {
    const first = this.tools.size === 0;
    const tool = super.registerTool(name, config, toolCall(this.gateway, name, callback));
    this.tools.set(name, tool);
    // The SDK installs its tools/call handler with the first tool; this one takes its place. Set
    // on the protocol layer itself, which parses the request once, without the server's
    // wrapper, which would parse it and the result again.
    if (first) {
      this.server.removeRequestHandler('tools/call');
      Protocol.prototype.setRequestHandler.call(this.server, CallToolRequestSchema, (request, extra) => this.callTool(request, extra) as Promise<ServerResult>);
    }
    return tool;
  }

  /**
   * The protocol layer tells a message's kind by parsing it against each kind's schema in turn,
   * responses first: a request fails two strict schemas before it matches, which costs more
   * than the rest of routing it. The transports here hand over only valid JSON-RPC messages
   * (Streamable HTTP checks each against the SDK's JSONRPCMessageSchema in http-handler.ts, the
   * SDK's stdio transport does too), whose kinds are strict objects told apart by their members,
   * so they are routed by those members.
   */
  override async connect(transport: Transport): Promise<void> {
    await super.connect(transport);
    const protocol = this.server as unknown as MessageRouting;
    transport.onmessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) => {
      if (!('method' in message)) protocol._onresponse(message);
      else if ('id' in message) protocol._onrequest(message, extra);
      else protocol._onnotification(message);
    };
  }

  private async callTool(request: CallToolRequest, extra: ToolExtra): Promise<CallToolResult> {
    const { name, arguments: args } = request.params;
    const tool = this.tools.get(name);
    // As the SDK answers them: an unknown or disabled tool, or bad arguments, is a tool error.
    if (!tool) return toolError(new McpError(ErrorCode.InvalidParams, `Tool ${name} not found`));
    if (!tool.enabled) return toolError(new McpError(ErrorCode.InvalidParams, `Tool ${name} disabled`));
    if (this.maxInputElements !== undefined && elementCount(args, this.maxInputElements) > this.maxInputElements) {
      return toolError(
        new McpError(ErrorCode.InvalidParams, `Invalid arguments for tool ${name}: arguments contain more than the maximum of ${this.maxInputElements} elements`),
      );
    }
    const handler = tool.handler as ToolHandler;
    let result: CallToolResult;
    try {
      if (tool.inputSchema) {
        const parsed = safeParse(normalizeObjectSchema(tool.inputSchema) ?? tool.inputSchema, args ?? {});
        if (!parsed.success) {
          return toolError(new McpError(ErrorCode.InvalidParams, `Input validation error: Invalid arguments for tool ${name}: ${getParseErrorMessage(parsed.error)}`));
        }
        result = await handler(parsed.data, extra);
      } else {
        result = await handler(extra);
      }
    } catch (error) {
      // What a tool throws unexpectedly is reported without its message, which may carry details.
      return toolErrorResult(error);
    }
    if (tool.outputSchema && !result.isError) {
      if (!result.structuredContent) {
        return toolError(new McpError(ErrorCode.InvalidParams, `Output validation error: Tool ${name} has an output schema but no structured content was provided`));
      }
      const checked = safeParse(normalizeObjectSchema(tool.outputSchema) ?? tool.outputSchema, result.structuredContent);
      if (!checked.success) {
        return toolError(
          new McpError(ErrorCode.InvalidParams, `Output validation error: Invalid structured content for tool ${name}: ${getParseErrorMessage(checked.error)}`),
        );
      }
    }
    return result;
  }
}

/** The protocol layer's own routing of each kind of message (private in its types, stable in the pinned SDK). */
interface MessageRouting {
  _onrequest(request: JSONRPCMessage, extra?: MessageExtraInfo): void;
  _onnotification(notification: JSONRPCMessage): void;
  _onresponse(response: JSONRPCMessage): void;
}

function toolError(error: McpError): CallToolResult {
  return { content: [{ type: 'text', text: error.message }], isError: true };
}

/** Array elements and object members in `value`, counted until the count passes `max`. */
function elementCount(value: unknown, max: number): number {
  let count = 0;
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object') continue;
    for (const child of Array.isArray(node) ? node : Object.values(node)) {
      if (++count > max) return count;
      if (child !== null && typeof child === 'object') stack.push(child);
    }
  }
  return count;
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
