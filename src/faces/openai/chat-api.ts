/**
 * Wire schemas of OpenAI's chat completions API as the face reads them, and the shapes it
 * writes back. Unknown fields are ignored (clients send many we do not use); known fields are
 * checked for type so a mistake is reported instead of silently dropped. Semantic limits
 * (n > 1, unsupported URL schemes, unknown tool call ids) are checked by the converter, which
 * can name the exact field.
 */
import { z } from 'zod';
import { AttributionTagsSchema, AttributionUserSchema } from '../../core/attribution.js';
import { parseRequestBody } from './parse-request-body.js';

// ---- request ----

/** `providerOptions.gateway`, as on Vercel AI Gateway. */
export const GatewayOptionsSchema = z.object({
  models: z.array(z.string()).nullish(),
  order: z.array(z.string()).nullish(),
  only: z.array(z.string()).nullish(),
  user: AttributionUserSchema.nullish(),
  tags: AttributionTagsSchema.nullish(),
  zeroDataRetention: z.boolean().nullish(),
  disallowPromptTraining: z.boolean().nullish(),
  /** The caller's own provider keys for this request only, by provider id: `{ anthropic: [{ apiKey }] }`. */
  byok: z.record(z.string(), z.array(z.object({ apiKey: z.string().min(8).max(4096), baseURL: z.string().max(2048).nullish() })).min(1).max(8)).nullish(),
  /** Keep and reuse this answer for `ttl` seconds (the response cache). */
  cache: z.object({ ttl: z.number().int().positive() }).nullish(),
});
export type GatewayOptionsWire = z.infer<typeof GatewayOptionsSchema>;

/** Options per provider namespace, passed to the provider adapters as V3 `providerOptions`. */
export const ProviderOptionsSchema = z
  .object({ gateway: GatewayOptionsSchema.nullish() })
  .catchall(z.record(z.string(), z.json()));
export type ProviderOptionsWire = z.infer<typeof ProviderOptionsSchema>;

export const TextPartSchema = z.object({ type: z.literal('text'), text: z.string() });
export type TextPart = z.infer<typeof TextPartSchema>;

const RefusalPartSchema = z.object({ type: z.literal('refusal'), refusal: z.string() });

const ImageUrlPartSchema = z.object({
  type: z.literal('image_url'),
  image_url: z.object({
    url: z.string(),
    detail: z.enum(['auto', 'low', 'high']).nullish(),
  }),
});

const InputAudioPartSchema = z.object({
  type: z.literal('input_audio'),
  input_audio: z.object({ data: z.string(), format: z.string() }),
});

const FilePartSchema = z.object({
  type: z.literal('file'),
  file: z.object({
    file_data: z.string().nullish(),
    file_id: z.string().nullish(),
    filename: z.string().nullish(),
  }),
});

export const UserContentPartSchema = z.discriminatedUnion(
  'type',
  [TextPartSchema, ImageUrlPartSchema, InputAudioPartSchema, FilePartSchema],
  { error: "content part type must be one of 'text', 'image_url', 'input_audio', 'file'" },
);
export type UserContentPart = z.infer<typeof UserContentPartSchema>;

const textContent = (what: string) =>
  z.union([z.string(), z.array(TextPartSchema)], {
    error: `${what} content must be a string or an array of text parts`,
  });

const SystemMessageSchema = z.object({
  role: z.literal('system'),
  content: textContent('system message'),
});

const DeveloperMessageSchema = z.object({
  role: z.literal('developer'),
  content: textContent('developer message'),
});

const UserMessageSchema = z.object({
  role: z.literal('user'),
  content: z.union([z.string(), z.array(UserContentPartSchema)], {
    error: 'user message content must be a string or an array of content parts',
  }),
});

export const ToolCallSchema = z.object({
  id: z.string(),
  type: z.literal('function', { error: "tool call type must be 'function'" }),
  function: z.object({ name: z.string(), arguments: z.string() }),
});
export type ToolCall = z.infer<typeof ToolCallSchema>;

const AssistantMessageSchema = z.object({
  role: z.literal('assistant'),
  content: z
    .union(
      [
        z.string(),
        z.array(
          z.discriminatedUnion('type', [TextPartSchema, RefusalPartSchema], {
            error: "assistant content part type must be 'text' or 'refusal'",
          }),
        ),
      ],
      { error: 'assistant message content must be a string, an array of text parts, or null' },
    )
    .nullish(),
  tool_calls: z.array(ToolCallSchema).nullish(),
});

const ToolMessageSchema = z.object({
  role: z.literal('tool'),
  tool_call_id: z.string(),
  content: textContent('tool message'),
});

export const ChatMessageSchema = z.discriminatedUnion(
  'role',
  [
    SystemMessageSchema,
    DeveloperMessageSchema,
    UserMessageSchema,
    AssistantMessageSchema,
    ToolMessageSchema,
  ],
  {
    error:
      "role must be one of 'system', 'developer', 'user', 'assistant', 'tool' (the legacy 'function' role is not supported; use 'tool')",
  },
);
export type ChatMessage = z.infer<typeof ChatMessageSchema>;

export const FunctionToolSchema = z.object({
  type: z.literal('function', { error: "only tools of type 'function' are supported" }),
  function: z.object({
    name: z.string().min(1),
    description: z.string().nullish(),
    parameters: z.record(z.string(), z.unknown()).nullish(),
    strict: z.boolean().nullish(),
  }),
});
export type FunctionTool = z.infer<typeof FunctionToolSchema>;

export const ToolChoiceSchema = z.union(
  [
    z.enum(['none', 'auto', 'required']),
    z.object({ type: z.literal('function'), function: z.object({ name: z.string() }) }),
  ],
  {
    error:
      "tool_choice must be 'none', 'auto', 'required' or { type: 'function', function: { name } }",
  },
);
export type ToolChoice = z.infer<typeof ToolChoiceSchema>;

export const ResponseFormatSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('text') }),
    z.object({ type: z.literal('json_object') }),
    z.object({
      type: z.literal('json_schema'),
      json_schema: z.object({
        name: z.string(),
        description: z.string().nullish(),
        schema: z.record(z.string(), z.unknown()).nullish(),
        strict: z.boolean().nullish(),
      }),
    }),
  ],
  { error: "response_format type must be one of 'text', 'json_object', 'json_schema'" },
);
export type ResponseFormat = z.infer<typeof ResponseFormatSchema>;

export const ReasoningEffortSchema = z.enum([
  'none',
  'minimal',
  'low',
  'medium',
  'high',
  'xhigh',
  'max',
]);

/** OpenAI's processing tiers; the upstream reports back the one it served at, which sets the price. */
export const ServiceTierSchema = z.enum(['auto', 'default', 'flex', 'priority'], {
  error: "service_tier must be one of 'auto', 'default', 'flex', 'priority'",
});

export const ChatCompletionRequestSchema = z.object({
  model: z.string().min(1),
  messages: z.array(ChatMessageSchema).min(1),
  tools: z.array(FunctionToolSchema).nullish(),
  tool_choice: ToolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  response_format: ResponseFormatSchema.nullish(),
  // OpenAI's own ranges: an out-of-range value is refused here with the field named, not upstream.
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  /** Not OpenAI's, but several OpenAI-compatible servers accept it. */
  top_k: z.number().int().min(0).nullish(),
  max_tokens: z.number().int().positive().nullish(),
  max_completion_tokens: z.number().int().positive().nullish(),
  stop: z
    .union([z.string(), z.array(z.string())], { error: 'stop must be a string or an array of strings' })
    .nullish(),
  seed: z.number().int().nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  n: z.number().int().min(1).max(128).nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.object({ include_usage: z.boolean().nullish() }).nullish(),
  user: AttributionUserSchema.nullish(),
  reasoning_effort: ReasoningEffortSchema.nullish(),
  service_tier: ServiceTierSchema.nullish(),
  providerOptions: ProviderOptionsSchema.nullish(),
});
export type ChatCompletionRequest = z.infer<typeof ChatCompletionRequestSchema>;

/** Parses a `/v1/chat/completions` body; throws `invalid_request` naming the bad field. */
export function parseChatCompletionRequest(body: unknown): ChatCompletionRequest {
  return parseRequestBody(ChatCompletionRequestSchema, body);
}

// ---- response ----

export type ChatFinishReason = 'stop' | 'length' | 'tool_calls' | 'content_filter';

export interface ChatCompletionUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  completion_tokens_details: { reasoning_tokens: number };
  /** USD; null when the model has no known price. */
  cost: number | null;
}

export interface ChatCompletionToolCall {
  id: string;
  type: 'function';
  function: { name: string; arguments: string };
}

export interface ChatCompletion {
  id: string;
  object: 'chat.completion';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: {
      role: 'assistant';
      content: string | null;
      refusal: null;
      tool_calls?: ChatCompletionToolCall[];
      reasoning?: string;
    };
    logprobs: null;
    finish_reason: ChatFinishReason;
  }>;
  usage: ChatCompletionUsage;
  /** The provider that served the request (not OpenAI's; Vercel AI Gateway style). */
  provider: string;
}

export interface ChatCompletionChunkToolCall {
  index: number;
  id?: string;
  type?: 'function';
  function: { name?: string; arguments: string };
}

export interface ChatCompletionChunk {
  id: string;
  object: 'chat.completion.chunk';
  created: number;
  model: string;
  choices: Array<{
    index: number;
    delta: {
      role?: 'assistant';
      content?: string;
      reasoning?: string;
      tool_calls?: ChatCompletionChunkToolCall[];
    };
    logprobs: null;
    finish_reason: ChatFinishReason | null;
  }>;
  usage?: ChatCompletionUsage;
  provider?: string;
}
