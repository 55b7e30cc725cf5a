/**
 * Wire schemas of Anthropic's Messages API as the face reads them, and the shapes it writes
 * back. Unknown fields are ignored (clients send betas and settings we do not use); the fields
 * we read are checked for type so a mistake is reported rather than silently dropped. What the
 * schema cannot express (a tool_result without its tool_use, a thinking budget above
 * max_tokens) is checked by the converter, which names the field.
 */
import { z } from 'zod';
import { AttributionUserSchema } from '../../core/attribution.js';
import { ANTHROPIC_SERVICE_TIERS } from '../../providers/anthropic-service-tier.js';
import { GatewayOptionsSchema } from '../openai/chat-api.js';

// ---- request ----

/** `cache_control`, passed to the provider as it came (the Anthropic API validates it). */
export const CacheControlSchema = z.looseObject({
  type: z.literal('ephemeral', { error: "cache_control type must be 'ephemeral'" }),
  ttl: z.string().nullish(),
});
export type CacheControl = z.infer<typeof CacheControlSchema>;

const cacheControl = { cache_control: CacheControlSchema.nullish() };

export const TextBlockSchema = z.object({ type: z.literal('text'), text: z.string(), ...cacheControl });
export type TextBlock = z.infer<typeof TextBlockSchema>;

const Base64ImageSourceSchema = z.object({
  type: z.literal('base64'),
  media_type: z.string(),
  data: z.string(),
});
const UrlSourceSchema = z.object({ type: z.literal('url'), url: z.string() });

export const ImageBlockSchema = z.object({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [Base64ImageSourceSchema, UrlSourceSchema], {
    error: "image source type must be 'base64' or 'url'",
  }),
  ...cacheControl,
});
export type ImageBlock = z.infer<typeof ImageBlockSchema>;

export const DocumentBlockSchema = z.object({
  type: z.literal('document'),
  source: z.discriminatedUnion(
    'type',
    [
      z.object({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
      z.object({ type: z.literal('text'), media_type: z.string().nullish(), data: z.string() }),
      UrlSourceSchema,
    ],
    { error: "document source type must be 'base64', 'text' or 'url'" },
  ),
  title: z.string().nullish(),
  context: z.string().nullish(),
  citations: z.object({ enabled: z.boolean().nullish() }).nullish(),
  ...cacheControl,
});
export type DocumentBlock = z.infer<typeof DocumentBlockSchema>;

export const ToolUseBlockSchema = z.object({
  type: z.literal('tool_use'),
  id: z.string().min(1),
  name: z.string().min(1),
  input: z.unknown(),
  ...cacheControl,
});
export type ToolUseBlock = z.infer<typeof ToolUseBlockSchema>;

export const ToolResultBlockSchema = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string().min(1),
  content: z
    .union([z.string(), z.array(z.discriminatedUnion('type', [TextBlockSchema, ImageBlockSchema, DocumentBlockSchema]))], {
      error: 'tool_result content must be a string or an array of text, image or document blocks',
    })
    .nullish(),
  is_error: z.boolean().nullish(),
  ...cacheControl,
});
export type ToolResultBlock = z.infer<typeof ToolResultBlockSchema>;

export const ThinkingBlockSchema = z.object({
  type: z.literal('thinking'),
  thinking: z.string(),
  signature: z.string().nullish(),
});
export const RedactedThinkingBlockSchema = z.object({ type: z.literal('redacted_thinking'), data: z.string() });

export const ContentBlockSchema = z.discriminatedUnion(
  'type',
  [
    TextBlockSchema,
    ImageBlockSchema,
    DocumentBlockSchema,
    ToolUseBlockSchema,
    ToolResultBlockSchema,
    ThinkingBlockSchema,
    RedactedThinkingBlockSchema,
  ],
  {
    error:
      "content block type must be one of 'text', 'image', 'document', 'tool_use', 'tool_result', 'thinking', 'redacted_thinking'",
  },
);
export type ContentBlock = z.infer<typeof ContentBlockSchema>;

export const MessageParamSchema = z.object({
  role: z.enum(['user', 'assistant', 'system'], { error: "role must be 'user' or 'assistant'" }),
  content: z.union([z.string(), z.array(ContentBlockSchema)], {
    error: 'message content must be a string or an array of content blocks',
  }),
});
export type MessageParam = z.infer<typeof MessageParamSchema>;

export const CustomToolSchema = z.object({
  type: z.literal('custom'),
  name: z.string().min(1),
  description: z.string().nullish(),
  input_schema: z.record(z.string(), z.unknown()),
  ...cacheControl,
});
/** `type` may be left out, as Anthropic allows. */
export type CustomTool = Omit<z.infer<typeof CustomToolSchema>, 'type'> & { type?: 'custom' | null };

/** Anthropic's own web search, which Anthropic runs and bills per search. */
export const WebSearchToolSchema = z.object({
  type: z.enum(['web_search_20250305', 'web_search_20260209']),
  name: z.literal('web_search'),
  max_uses: z.number().int().positive().nullish(),
  allowed_domains: z.array(z.string()).nullish(),
  blocked_domains: z.array(z.string()).nullish(),
  user_location: z
    .object({
      type: z.literal('approximate'),
      city: z.string().nullish(),
      region: z.string().nullish(),
      country: z.string().nullish(),
      timezone: z.string().nullish(),
    })
    .nullish(),
  ...cacheControl,
});
export type WebSearchTool = z.infer<typeof WebSearchToolSchema>;

/** A tool without a `type` is a custom one, as Anthropic reads it. */
export const ToolSchema = z.preprocess(
  (tool) => (tool !== null && typeof tool === 'object' && (tool as { type?: unknown }).type == null ? { ...tool, type: 'custom' } : tool),
  z.discriminatedUnion('type', [CustomToolSchema, WebSearchToolSchema], {
    error: (issue) =>
      `the server tool '${String((issue.input as { type?: unknown } | null)?.type)}' is not supported: only custom tools (with input_schema) and web search (web_search_20250305, web_search_20260209) are`,
  }),
);
export type Tool = CustomTool | WebSearchTool;

export const ToolChoiceSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('auto'), disable_parallel_tool_use: z.boolean().nullish() }),
    z.object({ type: z.literal('any'), disable_parallel_tool_use: z.boolean().nullish() }),
    z.object({ type: z.literal('tool'), name: z.string(), disable_parallel_tool_use: z.boolean().nullish() }),
    z.object({ type: z.literal('none') }),
  ],
  { error: "tool_choice type must be one of 'auto', 'any', 'tool', 'none'" },
);
export type ToolChoice = z.infer<typeof ToolChoiceSchema>;

export const ThinkingConfigSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('enabled'), budget_tokens: z.number().int().positive() }),
    z.object({ type: z.literal('disabled') }),
    z.object({ type: z.literal('adaptive'), display: z.enum(['omitted', 'summarized', 'updates']).nullish() }),
    z.object({ type: z.literal('between_tools') }),
  ],
  { error: "thinking type must be 'enabled', 'disabled', 'adaptive' or 'between_tools'" },
);
export type ThinkingConfig = z.infer<typeof ThinkingConfigSchema>;

/** Tollgate's extension, as on the OpenAI face: `providerOptions.gateway` plus per-provider options. */
export const ProviderOptionsSchema = z
  .object({ gateway: GatewayOptionsSchema.nullish() })
  .catchall(z.record(z.string(), z.json()));
export type ProviderOptionsWire = z.infer<typeof ProviderOptionsSchema>;

const requestFields = {
  model: z.string().min(1),
  messages: z.array(MessageParamSchema).min(1),
  system: z
    .union([z.string(), z.array(TextBlockSchema)], { error: 'system must be a string or an array of text blocks' })
    .nullish(),
  tools: z.array(ToolSchema).nullish(),
  tool_choice: ToolChoiceSchema.nullish(),
  thinking: ThinkingConfigSchema.nullish(),
  providerOptions: ProviderOptionsSchema.nullish(),
};

/** `output_config`: effort (Anthropic only) and a JSON schema for the answer (any provider). */
export const OutputConfigSchema = z.object({
  effort: z.enum(['low', 'medium', 'high', 'xhigh', 'max']).nullish(),
  format: z
    .object({ type: z.literal('json_schema', { error: "output_config.format type must be 'json_schema'" }), schema: z.record(z.string(), z.unknown()) })
    .nullish(),
});
export type OutputConfig = z.infer<typeof OutputConfigSchema>;

export const CreateMessageRequestSchema = z.object({
  ...requestFields,
  max_tokens: z.number().int().positive(),
  /** Top-level (automatic) cache breakpoint. */
  cache_control: CacheControlSchema.nullish(),
  output_config: OutputConfigSchema.nullish(),
  speed: z.enum(['standard', 'fast']).nullish(),
  inference_geo: z.string().nullish(),
  service_tier: z.enum(ANTHROPIC_SERVICE_TIERS, { error: "service_tier must be 'auto' or 'standard_only'" }).nullish(),
  // Anthropic's own ranges: an out-of-range value is refused here with the field named, not upstream.
  temperature: z.number().min(0).max(1).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  top_k: z.number().int().min(0).nullish(),
  stop_sequences: z.array(z.string()).nullish(),
  stream: z.boolean().nullish(),
  metadata: z.object({ user_id: AttributionUserSchema.nullish() }).nullish(),
});
export type CreateMessageRequest = z.infer<typeof CreateMessageRequestSchema>;

/** `POST /v1/messages/count_tokens`: the message request without max_tokens and sampling. */
export const CountTokensRequestSchema = z.object(requestFields);
export type CountTokensRequest = z.infer<typeof CountTokensRequestSchema>;

// ---- response ----

export type StopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'pause_turn' | 'refusal';

export interface MessageUsage {
  /** Input tokens NOT read from or written to the cache (Anthropic's convention). */
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens: number;
  cache_read_input_tokens: number;
  /** Tollgate's: USD, null when the model has no known price. */
  cost?: number | null;
}

export type ResponseContentBlock =
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: unknown }
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'redacted_thinking'; data: string };

export interface Message {
  id: string;
  type: 'message';
  role: 'assistant';
  /** `provider/model` that served. */
  model: string;
  content: ResponseContentBlock[];
  stop_reason: StopReason | null;
  stop_sequence: string | null;
  usage: MessageUsage;
  /** Tollgate's: the provider that served. */
  provider: string;
}

export function messageId(requestId: string): string {
  return `msg_${requestId}`;
}
