/** The `chat` tool: one model call through the gateway, streamed when the client wants progress. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { GatewayError, isGatewayError } from '../../../core/errors.js';
import type { Accounting, Gateway } from '../../../core/types.js';
import { createProgressReporter } from '../progress.js';
import { CostSchema, UsageSchema, formatCost, toUsageOutput, modelCallAnnotations } from '../results.js';
import { toRequestContext } from '../request-context.js';
import { gatewayErrorResult, invalidArgumentsResult, toolErrorResult } from '../tool-errors.js';
import { collectChatResult, collectChatStream, type ChatOutput } from './collect-chat-output.js';
import { convertChatInput } from './convert-chat-input.js';

/** The `model` argument: defaulted when the operator set a default model, else required. */
function modelArgument(defaultModel: string | undefined) {
  const model = z.string().min(1);
  return defaultModel
    ? model.default(defaultModel).describe(`\`provider/model\` (list_models has the ids); default \`${defaultModel}\`.`)
    : model.describe('`provider/model` (list_models has the ids); required: this gateway sets no default model.');
}

const chatArguments = {
  prompt: z.string().optional().describe('A single user message. Use this or `messages`, not both.'),
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'user', 'assistant']),
        content: z.string(),
      }),
    )
    .min(1)
    .optional()
    .describe('A whole conversation, oldest first. Use this or `prompt`, not both.'),
  system: z.string().optional().describe('System instructions placed before the conversation.'),
  fallback_models: z
    .array(z.string().min(1))
    .max(10)
    .optional()
    .describe('Models to try in order if `model` fails or is unavailable.'),
  max_tokens: z.number().int().positive().optional().describe('Upper limit on output tokens (limits cost too).'),
  temperature: z.number().min(0).max(2).optional(),
  json_schema: z
    .record(z.string(), z.unknown())
    .optional()
    .describe('A JSON Schema object: the model is asked to answer with JSON matching it; `text` then holds that JSON.'),
};

export function chatInputSchema(defaultModel: string | undefined) {
  return z.object({ model: modelArgument(defaultModel), ...chatArguments });
}

export const ChatOutputSchema = z.object({
  text: z.string().describe("The model's answer."),
  reasoning: z.string().optional().describe('Reasoning text, when the model exposes it.'),
  tool_calls: z
    .array(z.object({ id: z.string(), name: z.string(), arguments: z.string().describe('JSON-encoded arguments.') }))
    .optional(),
  model: z.string().describe('The `provider/model` that actually answered (may be a fallback).'),
  provider: z.string(),
  finish_reason: z.enum(['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other']),
  usage: UsageSchema,
  cost_usd: CostSchema,
  attempts: z.number().int().positive().describe('Upstream attempts made, including the one that answered.'),
  request_id: z.string(),
});
export type ChatToolOutput = z.infer<typeof ChatOutputSchema>;

const description = `Send a prompt or a conversation to a language model through the Tollgate gateway and get its answer back.
Use it to ask another model (a cheaper, larger, or specialised one) for text, or for JSON matching a schema (json_schema).
Pass \`prompt\` for a single question, or \`messages\` for a conversation; \`model\` is \`provider/model\` (call list_models first to see the ids and prices).
Returns the answer text plus the model that served it, token usage and cost. Costs money on paid models (cost_usd tells how much).
If the client sends a progress token, progress notifications report characters received so far.`;

export function registerChatTool(server: McpServer, gateway: Gateway, options: { defaultModel: string | undefined }): void {
  server.registerTool(
    'chat',
    {
      title: 'Chat with a model',
      description,
      inputSchema: chatInputSchema(options.defaultModel),
      outputSchema: ChatOutputSchema,
      annotations: { title: 'Chat with a model', ...modelCallAnnotations },
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
