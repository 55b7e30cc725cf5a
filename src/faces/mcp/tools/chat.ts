/** The `chat` tool: one model call through the gateway, streamed when the client wants progress. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { GatewayError, isGatewayError } from '../../../core/errors.js';
import type { Accounting, Gateway } from '../../../core/types.js';
import { createProgressReporter } from '../progress.js';
import { UsageSchema, formatCost, toUsageOutput, modelCallAnnotations } from '../results.js';
import { count, modelArgument, servedBy, toolInput, toolOutput } from '../tool-schema.js';
import { toRequestContext } from '../request-context.js';
import { gatewayErrorResult, invalidArgumentsResult, toolErrorResult } from '../tool-errors.js';
import { collectChatResult, collectChatStream, type ChatOutput } from './collect-chat-output.js';
import { convertChatInput } from './convert-chat-input.js';

const chatArguments = {
  prompt: z.string().optional().describe('One user message, or use messages.'),
  messages: z
    .array(z.object({ role: z.enum(['system', 'user', 'assistant']), content: z.string() }))
    .min(1)
    .optional()
    .describe('A conversation, oldest first.'),
  system: z.string().optional(),
  fallback_models: z.array(z.string().min(1)).max(10).optional().describe('Tried in order if `model` fails.'),
  max_tokens: z.number().int().positive().optional().describe('Caps output and cost.'),
  temperature: z.number().min(0).max(2).optional(),
  json_schema: z.record(z.string(), z.unknown()).optional().describe('A JSON Schema the answer in text must match.'),
};

export function chatInputSchema(defaultModel: string | undefined) {
  return toolInput({ model: modelArgument('language', defaultModel), ...chatArguments });
}

export const ChatOutputSchema = toolOutput({
  text: z.string(),
  reasoning: z.string().optional(),
  tool_calls: z
    .array(z.object({ id: z.string(), name: z.string(), arguments: z.string() }))
    .optional()
    .describe('Each {id, name, arguments: JSON text}.'),
  finish_reason: z.enum(['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other']),
  usage: UsageSchema,
  attempts: count,
  request_id: z.string(),
  ...servedBy,
});
export type ChatToolOutput = z.infer<typeof ChatOutputSchema>;

function description(defaultModel: string | undefined): string {
  const model = defaultModel ? `Default model ${defaultModel}.` : 'Name a model: no default is set.';
  return `Ask a language model: a prompt or messages; json_schema for a JSON answer. Returns text, usage and cost_usd. ${model}`;
}

export function registerChatTool(server: McpServer, gateway: Gateway, options: { defaultModel: string | undefined }): void {
  server.registerTool(
    'chat',
    {
      title: 'Chat with a model',
      description: description(options.defaultModel),
      inputSchema: chatInputSchema(options.defaultModel),
      outputSchema: ChatOutputSchema,
      annotations: modelCallAnnotations,
    },
    async (input, extra): Promise<CallToolResult> => {
      const request = convertChatInput(input);
      if ('error' in request) return invalidArgumentsResult(request.error);
      const context = toRequestContext(extra);
      try {
        const progress = createProgressReporter(extra);
        if (!progress) {
          const result = await gateway.chat(request, context);
          return renderChat(collectChatResult(result), result);
        }
        const stream = await gateway.chatStream(request, context);
        const outcome = await collectChatStream(stream, progress);
        if (outcome.ok) return renderChat(outcome.output, outcome.accounting);
        const error = isGatewayError(outcome.error)
          ? outcome.error
          : new GatewayError('stream_interrupted', `The answer from ${stream.servedModel} broke off.`);
        const partial = outcome.output.text;
        const result = gatewayErrorResult(error);
        if (partial) result.content.push({ type: 'text', text: `Partial answer before the failure:\n${partial}` });
        return result;
      } catch (error) {
        return toolErrorResult(error);
      }
    },
  );
}

function renderChat(output: ChatOutput, accounting: Accounting): CallToolResult {
  const structured: ChatToolOutput = {
    text: output.text,
    model: accounting.servedModel,
    provider: accounting.provider,
    finish_reason: output.finishReason,
    usage: toUsageOutput(accounting.usage),
    cost_usd: accounting.cost,
    attempts: accounting.attempts,
    request_id: accounting.requestId,
  };
  if (output.reasoning) structured.reasoning = output.reasoning;
  if (output.toolCalls.length > 0) structured.tool_calls = output.toolCalls;

  // The answer stands alone in the first block (it may be JSON to parse); facts follow apart.
  const calls = output.toolCalls.map((call) => `tool call ${call.name}(${call.arguments})`);
  const facts = `${accounting.servedModel}: ${accounting.usage.input} input / ${accounting.usage.output} output tokens, ${formatCost(accounting.cost)}, finish reason ${output.finishReason}.`;
  return {
    content: [
      { type: 'text', text: output.text },
      ...calls.map((text) => ({ type: 'text' as const, text })),
      { type: 'text', text: facts },
    ],
    structuredContent: structured,
  };
}
