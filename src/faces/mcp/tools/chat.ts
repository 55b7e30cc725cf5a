/** The `chat` tool: one model call through the gateway, streamed when the client wants progress. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { GatewayError, isGatewayError } from '../../../core/errors.js';
import type { Accounting, Gateway, RequestContext } from '../../../core/types.js';
import { fetchFile, type FetchFileOptions } from '../../../http/fetch-file.js';
import { createProgressReporter } from '../progress.js';
import { UsageSchema, formatCost, toUsageOutput, modelCallAnnotations } from '../results.js';
import { count, modelArgument, oncePerDefault, servedBy, toolInput, toolOutput } from '../tool-schema.js';
import { toRequestContext } from '../request-context.js';
import { gatewayErrorResult, invalidArgumentsResult, toolErrorResult } from '../tool-errors.js';
import { collectChatResult, collectChatStream, type ChatOutput } from './collect-chat-output.js';
import { resolveImageUrls, isImageType, type ImageSources } from './chat-images.js';
import { attachImages, convertChatInput } from './convert-chat-input.js';

const ToolCallSchema = z.object({ id: z.string(), name: z.string(), arguments: z.string() });

const chatArguments = {
  prompt: z.string().optional().describe('One user message, or use messages.'),
  messages: z
    .array(
      z.object({
        role: z.enum(['system', 'user', 'assistant', 'tool']),
        content: z.string().optional(),
        tool_calls: z.array(ToolCallSchema).optional(),
        tool_call_id: z.string().optional(),
      }),
    )
    .min(1)
    .optional()
    .describe('Oldest first; answer tool_calls with one tool message each.'),
  system: z.string().optional(),
  tools: z
    .array(z.object({ name: z.string().min(1), description: z.string().optional(), parameters: z.record(z.string(), z.unknown()).optional() }))
    .max(128)
    .optional()
    .describe('Functions the model may call (parameters: JSON Schema).'),
  tool_choice: z.string().optional().describe('auto, none, required or a tool name.'),
  // As many as a request may name file URLs on the other faces.
  image_urls: z.array(z.string()).max(16).optional().describe('https, data: or tollgate://images/{id}; for the last user message.'),
  fallback_models: z.array(z.string().min(1)).max(10).optional().describe('Tried in order if `model` fails.'),
  max_tokens: z.number().int().positive().optional().describe('Caps output and cost.'),
  temperature: z.number().min(0).max(2).optional(),
  json_schema: z.record(z.string(), z.unknown()).optional().describe('A JSON Schema the answer in text must match.'),
};

const chatInputSchema = oncePerDefault((defaultModel) => toolInput({ model: modelArgument('language', defaultModel), ...chatArguments }));

export const ChatOutputSchema = toolOutput({
  text: z.string(),
  reasoning: z.string().optional(),
  tool_calls: z.array(ToolCallSchema).optional().describe('Each {id, name, arguments: JSON text}; pass back in messages.'),
  finish_reason: z.enum(['stop', 'length', 'content-filter', 'tool-calls', 'error', 'other']),
  usage: UsageSchema,
  attempts: count,
  request_id: z.string(),
  ...servedBy,
});
export type ChatToolOutput = z.infer<typeof ChatOutputSchema>;

function description(defaultModel: string | undefined): string {
  const model = defaultModel ? `Default model ${defaultModel}.` : 'Name a model: no default is set.';
  return `Ask a language model: prompt or messages, with image_urls, function tools (a tool loop) or json_schema. Returns text, tool_calls, usage and cost_usd. ${model}`;
}

export interface ChatToolOptions {
  defaultModel: string | undefined;
  fileFetch: Omit<FetchFileOptions, 'accept' | 'signal' | 'resolve'>;
}

export function registerChatTool(server: McpServer, gateway: Gateway, options: ChatToolOptions): void {
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
      const context = toRequestContext(extra);
      try {
        const request = convertChatInput(input);
        if ('error' in request) return invalidArgumentsResult(request.error);
        if (input.image_urls?.length) attachImages(request, await resolveImageUrls(input.image_urls, imageSources(gateway, options, context)));
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

function imageSources(gateway: Gateway, options: ChatToolOptions, context: RequestContext): ImageSources {
  return {
    fetch: (url) => fetchFile(url, { ...options.fileFetch, accept: isImageType, ...(context.signal ? { signal: context.signal } : {}) }),
    stored: (id) => gateway.getImage(id, context.principal),
  };
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
