/**
 * Wire schemas of OpenAI's Responses API (`POST /v1/responses`) as this face reads them, and
 * the shapes it writes back. Unknown request fields are ignored, as on the chat face; known
 * ones are checked for type so a mistake is reported instead of dropped. What the schema can
 * say but Tollgate cannot do (conversations, background runs, built-in tools, uploaded file
 * ids) is refused by the converter, which names the field.
 */
import { z } from 'zod';
import { AttributionUserSchema } from '../../core/attribution.js';
import { ProviderOptionsSchema, ReasoningEffortSchema, ServiceTierSchema } from '../openai/chat-api.js';
import { parseRequestBody } from '../openai/parse-request-body.js';

// ---- request: content parts ----

export const InputTextSchema = z.object({ type: z.literal('input_text'), text: z.string() });

export const InputImageSchema = z.object({
  type: z.literal('input_image'),
  image_url: z.string().nullish(),
  file_id: z.string().nullish(),
  detail: z.enum(['low', 'high', 'auto', 'original']).nullish(),
});
export type InputImage = z.infer<typeof InputImageSchema>;

export const InputFileSchema = z.object({
  type: z.literal('input_file'),
  file_data: z.string().nullish(),
  file_id: z.string().nullish(),
  file_url: z.string().nullish(),
  filename: z.string().nullish(),
});
export type InputFile = z.infer<typeof InputFileSchema>;

/** Earlier assistant output sent back as input. */
const OutputTextSchema = z.object({ type: z.literal('output_text'), text: z.string() });
const RefusalSchema = z.object({ type: z.literal('refusal'), refusal: z.string() });

export const MessageContentPartSchema = z.discriminatedUnion(
  'type',
  [InputTextSchema, InputImageSchema, InputFileSchema, OutputTextSchema, RefusalSchema],
  { error: "content part type must be one of 'input_text', 'input_image', 'input_file', 'output_text', 'refusal'" },
);
export type MessageContentPart = z.infer<typeof MessageContentPartSchema>;

// ---- request: input items ----

export const MessageItemSchema = z.object({
  type: z.literal('message'),
  role: z.enum(['user', 'assistant', 'system', 'developer'], {
    error: "role must be one of 'user', 'assistant', 'system', 'developer'",
  }),
  content: z.union([z.string(), z.array(MessageContentPartSchema)], {
    error: 'message content must be a string or an array of content parts',
  }),
});
export type MessageItem = z.infer<typeof MessageItemSchema>;

export const FunctionCallItemSchema = z.object({
  type: z.literal('function_call'),
  call_id: z.string().min(1),
  name: z.string().min(1),
  arguments: z.string(),
});
export type FunctionCallItem = z.infer<typeof FunctionCallItemSchema>;

export const FunctionCallOutputItemSchema = z.object({
  type: z.literal('function_call_output'),
  call_id: z.string().min(1),
  output: z.union(
    [z.string(), z.array(z.discriminatedUnion('type', [InputTextSchema, InputImageSchema, InputFileSchema]))],
    { error: 'function_call_output output must be a string or an array of input_text, input_image and input_file parts' },
  ),
});
export type FunctionCallOutputItem = z.infer<typeof FunctionCallOutputItemSchema>;

export const ReasoningItemSchema = z.object({
  type: z.literal('reasoning'),
  summary: z.array(z.object({ type: z.literal('summary_text'), text: z.string() })).nullish(),
  content: z.array(z.object({ type: z.literal('reasoning_text'), text: z.string() })).nullish(),
  encrypted_content: z.string().nullish(),
});
export type ReasoningItem = z.infer<typeof ReasoningItemSchema>;

/** An item of a kept response, by id: resolved from the store before conversion. */
const ItemReferenceSchema = z.object({ type: z.literal('item_reference'), id: z.string() });

/** OpenAI lets message items leave out `type`; give them one so a discriminated union can read them. */
function defaultMessageType(value: unknown): unknown {
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && !('type' in value) && 'role' in value) {
    return { ...value, type: 'message' };
  }
  return value;
}

export const InputItemSchema = z.preprocess(
  defaultMessageType,
  z.discriminatedUnion(
    'type',
    [MessageItemSchema, FunctionCallItemSchema, FunctionCallOutputItemSchema, ReasoningItemSchema, ItemReferenceSchema],
    {
      error:
        "input item type must be one of 'message', 'function_call', 'function_call_output', 'reasoning' (items of built-in tools are not supported: Tollgate runs no tools)",
    },
  ),
);
export type InputItem = z.infer<typeof InputItemSchema>;
export type ItemReference = z.infer<typeof ItemReferenceSchema>;
/** Input items with every `item_reference` replaced by the item it names. */
export type ResolvedInputItem = Exclude<InputItem, ItemReference>;

// ---- request: tools and output format ----

export const FunctionToolSchema = z.object({
  type: z.literal('function'),
  name: z.string().min(1),
  description: z.string().nullish(),
  parameters: z.record(z.string(), z.unknown()).nullish(),
  strict: z.boolean().nullish(),
});
export type FunctionTool = z.infer<typeof FunctionToolSchema>;

const UserLocationSchema = z.object({
  type: z.literal('approximate'),
  city: z.string().nullish(),
  region: z.string().nullish(),
  country: z.string().nullish(),
  timezone: z.string().nullish(),
});

/** OpenAI's own web search, which OpenAI runs and bills per call. */
export const WebSearchToolSchema = z.object({
  type: z.enum(['web_search', 'web_search_preview']),
  search_context_size: z.enum(['low', 'medium', 'high']).nullish(),
  user_location: UserLocationSchema.nullish(),
  filters: z.object({ allowed_domains: z.array(z.string()).nullish(), blocked_domains: z.array(z.string()).nullish() }).nullish(),
});
export type WebSearchTool = z.infer<typeof WebSearchToolSchema>;

export const ToolSchema = z.discriminatedUnion('type', [FunctionToolSchema, WebSearchToolSchema], {
  error: (issue) =>
    `only tools of type 'function', 'web_search' and 'web_search_preview' are supported, not '${String((issue.input as { type?: unknown } | null)?.type)}': Tollgate runs no other built-in tools (file search, code interpreter, …)`,
});
export type Tool = z.infer<typeof ToolSchema>;

export const ToolChoiceSchema = z.union(
  [z.enum(['none', 'auto', 'required']), z.object({ type: z.literal('function'), name: z.string() })],
  { error: "tool_choice must be 'none', 'auto', 'required' or { type: 'function', name }" },
);
export type ToolChoice = z.infer<typeof ToolChoiceSchema>;

export const TextFormatSchema = z.discriminatedUnion(
  'type',
  [
    z.object({ type: z.literal('text') }),
    z.object({ type: z.literal('json_object') }),
    z.object({
      type: z.literal('json_schema'),
      name: z.string(),
      schema: z.record(z.string(), z.unknown()),
      description: z.string().nullish(),
      strict: z.boolean().nullish(),
    }),
  ],
  { error: "text.format type must be one of 'text', 'json_object', 'json_schema'" },
);
export type TextFormat = z.infer<typeof TextFormatSchema>;

// ---- request ----

export const ResponsesRequestSchema = z.object({
  model: z.string().min(1),
  input: z.union([z.string(), z.array(InputItemSchema).min(1)], {
    error: 'input must be a string or an array of input items',
  }),
  instructions: z.string().nullish(),
  tools: z.array(ToolSchema).nullish(),
  tool_choice: ToolChoiceSchema.nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  /** OpenAI's cap on built-in tool calls: the web searches a request may run (and a budget holds). */
  max_tool_calls: z.number().int().positive().nullish(),
  text: z.object({ format: TextFormatSchema.nullish(), verbosity: z.enum(['low', 'medium', 'high']).nullish() }).nullish(),
  reasoning: z.object({ effort: ReasoningEffortSchema.nullish(), summary: z.string().nullish() }).nullish(),
  max_output_tokens: z.number().int().positive().nullish(),
  // OpenAI's own ranges: an out-of-range value is refused here with the field named, not upstream.
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stream: z.boolean().nullish(),
  previous_response_id: z.string().min(1).nullish(),
  store: z.boolean().nullish(),
  conversation: z.unknown().optional(),
  background: z.boolean().nullish(),
  prompt: z.unknown().optional(),
  metadata: z.record(z.string(), z.string()).nullish(),
  user: AttributionUserSchema.nullish(),
  safety_identifier: AttributionUserSchema.nullish(),
  service_tier: ServiceTierSchema.nullish(),
  providerOptions: ProviderOptionsSchema.nullish(),
});
export type ResponsesRequest = z.infer<typeof ResponsesRequestSchema>;

/** Parses a `/v1/responses` body; throws `invalid_request` naming the bad field. */
export function parseResponsesRequest(body: unknown): ResponsesRequest {
  return parseRequestBody(ResponsesRequestSchema, body);
}

// ---- response ----

export type ResponseStatus = 'completed' | 'incomplete' | 'failed' | 'in_progress';

export interface OutputText {
  type: 'output_text';
  text: string;
  annotations: never[];
  logprobs: never[];
}

export interface SummaryText {
  type: 'summary_text';
  text: string;
}

export interface OutputMessage {
  type: 'message';
  id: string;
  status: 'in_progress' | 'completed' | 'incomplete';
  role: 'assistant';
  content: OutputText[];
}

export interface OutputFunctionCall {
  type: 'function_call';
  id: string;
  call_id: string;
  name: string;
  arguments: string;
  status: 'in_progress' | 'completed' | 'incomplete';
}

export interface OutputReasoning {
  type: 'reasoning';
  id: string;
  summary: SummaryText[];
}

export type OutputItem = OutputMessage | OutputFunctionCall | OutputReasoning;

/** An item of a response's context as kept and listed (`/v1/responses/{id}/input_items`): an input item, or an earlier output, with its id. */
export type ContextItem = (ResolvedInputItem | OutputItem) & { id: string; status?: string };

/** `GET /v1/responses/{id}/input_items`. */
export interface InputItemList {
  object: 'list';
  data: ContextItem[];
  first_id: string | null;
  last_id: string | null;
  has_more: boolean;
}

export interface ResponseUsage {
  input_tokens: number;
  input_tokens_details: { cached_tokens: number; cache_write_tokens: number };
  output_tokens: number;
  output_tokens_details: { reasoning_tokens: number };
  total_tokens: number;
  /** USD; null when the model has no known price. Tollgate's own, as on the chat face. */
  cost: number | null;
}

export interface WireFunctionTool {
  type: 'function';
  name: string;
  description: string | null;
  parameters: Record<string, unknown> | null;
  strict: boolean | null;
}

export type WireTextFormat =
  | { type: 'text' }
  | { type: 'json_object' }
  | { type: 'json_schema'; name: string; schema: Record<string, unknown>; description?: string; strict: boolean | null };

/** The request settings a response object repeats back, as OpenAI's does. */
export interface ResponseEcho {
  instructions: string | null;
  max_output_tokens: number | null;
  metadata: Record<string, string>;
  parallel_tool_calls: boolean;
  reasoning: { effort: string | null; summary: string | null };
  temperature: number | null;
  text: { format: WireTextFormat };
  tool_choice: 'none' | 'auto' | 'required' | { type: 'function'; name: string };
  tools: Array<WireFunctionTool | WebSearchTool>;
  top_p: number | null;
  user: string | null;
  /** Kept for `previous_response_id` and reading back (`store`, default true). */
  store: boolean;
  previous_response_id: string | null;
}

export interface ResponseObject extends ResponseEcho {
  id: string;
  object: 'response';
  created_at: number;
  status: ResponseStatus;
  completed_at: number | null;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: 'max_output_tokens' | 'content_filter' } | null;
  /** `provider/model` that served. */
  model: string;
  output: OutputItem[];
  truncation: 'disabled';
  usage: ResponseUsage | null;
  /** Tollgate's own: the provider that served. */
  provider: string;
}

// ---- streaming events (`sequence_number` is added by the renderer) ----

interface ItemEvent {
  item_id: string;
  output_index: number;
}

export type ResponseEventBody =
  | { type: 'response.created' | 'response.in_progress' | 'response.completed' | 'response.incomplete' | 'response.failed'; response: ResponseObject }
  | { type: 'response.output_item.added' | 'response.output_item.done'; output_index: number; item: OutputItem }
  | ({ type: 'response.content_part.added' | 'response.content_part.done'; content_index: number; part: OutputText } & ItemEvent)
  | ({ type: 'response.output_text.delta'; content_index: number; delta: string; logprobs: never[] } & ItemEvent)
  | ({ type: 'response.output_text.done'; content_index: number; text: string; logprobs: never[] } & ItemEvent)
  | ({ type: 'response.reasoning_summary_part.added' | 'response.reasoning_summary_part.done'; summary_index: number; part: SummaryText } & ItemEvent)
  | ({ type: 'response.reasoning_summary_text.delta'; summary_index: number; delta: string } & ItemEvent)
  | ({ type: 'response.reasoning_summary_text.done'; summary_index: number; text: string } & ItemEvent)
  | ({ type: 'response.function_call_arguments.delta'; delta: string } & ItemEvent)
  | ({ type: 'response.function_call_arguments.done'; name: string; arguments: string } & ItemEvent);

export type ResponseStreamEvent = ResponseEventBody & { sequence_number: number };
