/**
 * One chat request through each face, with its unmodified official client: the OpenAI SDK
 * (chat completions and Responses), the Anthropic SDK, the AI SDK's gateway provider and the MCP
 * SDK's client (the `chat` tool). Each can carry a tool with a long description (MCP: a JSON
 * schema with one), a thinking budget, and an output cap; the answer reports whether the request
 * was served, refused for budget, or refused for another reason.
 */
import Anthropic from '@anthropic-ai/sdk';
import { createGateway } from '@ai-sdk/gateway';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { generateText, jsonSchema, streamText, tool } from 'ai';
import OpenAI from 'openai';

export type BudgetFace = 'openai' | 'anthropic' | 'responses' | 'aisdk' | 'mcp';

export interface BudgetAsk {
  model: string;
  prompt: string;
  maxTokens: number;
  stream: boolean;
  /** A tool offered with this description (MCP: the description of the answer's JSON schema). */
  toolDescription?: string;
  /** Anthropic extended thinking with this budget, on top of maxTokens. */
  thinkingBudget?: number;
}

/** `served`, or the error code the client saw (`insufficient_budget`, `unpriced_model`, …). */
export type BudgetOutcome = { served: true } | { served: false; code: string; status: number | undefined; message: string };

(globalThis as { AI_SDK_LOG_WARNINGS?: boolean }).AI_SDK_LOG_WARNINGS = false;

const SCHEMA = { type: 'object', properties: { city: { type: 'string' } } } as const;

export interface FaceClients {
  ask(face: BudgetFace, request: BudgetAsk): Promise<BudgetOutcome>;
  close(): Promise<void>;
}

export function faceClients(gatewayUrl: string): FaceClients {
  const openai = new OpenAI({ baseURL: `${gatewayUrl}/v1`, apiKey: 'unused', maxRetries: 0 });
  const anthropic = new Anthropic({ baseURL: gatewayUrl, apiKey: 'unused', maxRetries: 0 });
  const gateway = createGateway({ baseURL: `${gatewayUrl}/v3/ai`, apiKey: 'unused' });
  let mcp: Promise<Client> | undefined;
  const mcpClient = () =>
    (mcp ??= (async () => {
      const client = new Client({ name: 'budget-test', version: '1.0.0' });
      await client.connect(new StreamableHTTPClientTransport(new URL('/mcp', gatewayUrl)));
      return client;
    })());

  const thinking = (budget: number | undefined) => (budget ? { providerOptions: { anthropic: { thinking: { type: 'enabled', budgetTokens: budget } } } } : {});

  const faces: Record<BudgetFace, (request: BudgetAsk) => Promise<void>> = {
    openai: async (request) => {
      const body = {
        model: request.model,
        max_tokens: request.maxTokens,
        messages: [{ role: 'user' as const, content: request.prompt }],
        ...(request.toolDescription
          ? { tools: [{ type: 'function' as const, function: { name: 'lookup', description: request.toolDescription, parameters: SCHEMA } }] }
          : {}),
        ...thinking(request.thinkingBudget),
      };
      if (!request.stream) {
        await openai.chat.completions.create(body);
        return;
      }
      for await (const _chunk of await openai.chat.completions.create({ ...body, stream: true })) void _chunk;
    },
    anthropic: async (request) => {
      const body = {
        model: request.model,
        // Anthropic's max_tokens counts thinking: the answer's cap comes on top of the budget.
        max_tokens: request.maxTokens + (request.thinkingBudget ?? 0),
        messages: [{ role: 'user' as const, content: request.prompt }],
        ...(request.toolDescription ? { tools: [{ name: 'lookup', description: request.toolDescription, input_schema: SCHEMA }] } : {}),
        ...(request.thinkingBudget ? { thinking: { type: 'enabled' as const, budget_tokens: request.thinkingBudget } } : {}),
      };
      if (!request.stream) {
        // An explicit timeout: without one the SDK refuses a large max_tokens unless streamed.
        await anthropic.messages.create(body, { timeout: 60_000 });
        return;
      }
      for await (const _event of await anthropic.messages.create({ ...body, stream: true })) void _event;
    },
    responses: async (request) => {
      const body = {
        model: request.model,
        input: request.prompt,
        max_output_tokens: request.maxTokens,
        ...(request.toolDescription
          ? { tools: [{ type: 'function' as const, name: 'lookup', description: request.toolDescription, parameters: SCHEMA, strict: false }] }
          : {}),
        ...thinking(request.thinkingBudget),
      };
      if (!request.stream) {
        await openai.responses.create(body);
        return;
      }
      for await (const event of await openai.responses.create({ ...body, stream: true })) {
        if (event.type === 'response.failed') throw Object.assign(new Error(event.response.error?.message ?? 'failed'), { code: event.response.error?.code });
      }
    },
    aisdk: async (request) => {
      const common = {
        model: gateway(request.model),
        prompt: request.prompt,
        maxOutputTokens: request.maxTokens,
        maxRetries: 0,
        ...(request.toolDescription ? { tools: { lookup: tool({ description: request.toolDescription, inputSchema: jsonSchema(SCHEMA) }) } } : {}),
        ...(request.thinkingBudget ? { providerOptions: { anthropic: { thinking: { type: 'enabled', budgetTokens: request.thinkingBudget } } } } : {}),
      };
      if (!request.stream) {
        await generateText(common);
        return;
      }
      let failure: unknown;
      const result = streamText({ ...common, onError: ({ error }) => void (failure ??= error) });
      for await (const _part of result.fullStream) void _part;
      if (failure) throw failure;
    },
    mcp: async (request) => {
      const client = await mcpClient();
      const result = (await client.callTool({
        name: 'chat',
        arguments: {
          model: request.model,
          prompt: request.prompt,
          max_tokens: request.maxTokens,
          ...(request.toolDescription ? { json_schema: { ...SCHEMA, description: request.toolDescription } } : {}),
        },
      })) as CallToolResult;
      if (result.isError) {
        const kind = (result._meta?.['tollgate/error'] as { kind?: string } | undefined)?.kind ?? 'unknown';
        const text = result.content.map((block) => (block.type === 'text' ? block.text : '')).join('\n');
        throw Object.assign(new Error(text), { code: kind });
      }
    },
  };

  return {
    ask: async (face, request) => {
      try {
        await faces[face](request);
        return { served: true };
      } catch (error) {
        return { served: false, ...describe(error) };
      }
    },
    close: async () => {
      if (mcp) await (await mcp).close().catch(() => undefined);
    },
  };
}

/** The error code each client exposes: OpenAI's `code`, Anthropic's `error.details.error_code`, the AI SDK's type or status. */
function describe(error: unknown): { code: string; status: number | undefined; message: string } {
  if (error instanceof Anthropic.APIError) {
    const code = (error.error as { error?: { details?: { error_code?: string } } } | undefined)?.error?.details?.error_code;
    return { code: code ?? String(error.status), status: error.status, message: error.message };
  }
  if (error instanceof OpenAI.APIError) return { code: error.code ?? String(error.status), status: error.status, message: error.message };
  const value = error as { code?: unknown; statusCode?: number; type?: string; message?: string; cause?: unknown };
  // The AI SDK gateway client keeps the status of an HTTP error; 402 is a budget refusal.
  if (value.statusCode === 402) return { code: 'insufficient_budget', status: 402, message: value.message ?? '' };
  if (value.statusCode === 403 && /unpriced|no known price/.test(value.message ?? '')) return { code: 'unpriced_model', status: 403, message: value.message ?? '' };
  return { code: typeof value.code === 'string' ? value.code : String(value.statusCode ?? 'unknown'), status: value.statusCode, message: value.message ?? String(error) };
}
