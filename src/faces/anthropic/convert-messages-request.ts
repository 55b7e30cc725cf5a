/**
 * Anthropic Messages request → canonical `ChatRequest` (V3 call options). This is the inverse
 * of the AI SDK's `convert-to-anthropic-messages-prompt.ts`: every block becomes the V3 part
 * that provider turns back into the same block, so a request routed to an Anthropic upstream
 * arrives as the client wrote it — `cache_control` included, on exactly the blocks that had it.
 */
import type {
  JSONObject,
  JSONSchema7,
  LanguageModelV3CallOptions,
  LanguageModelV3FilePart,
  LanguageModelV3Message,
  LanguageModelV3Prompt,
  LanguageModelV3ReasoningPart,
  LanguageModelV3TextPart,
  LanguageModelV3ToolCallPart,
  LanguageModelV3ToolResultOutput,
  LanguageModelV3ToolResultPart,
  SharedV3ProviderOptions,
} from '@ai-sdk/provider';
import { GatewayError } from '../../core/errors.js';
import type { ChatRequest } from '../../core/types.js';
import { convertGatewayOptions } from '../openai/convert-gateway-options.js';
import { parseDataUrl } from '../openai/data-url.js';
import { cacheControlOptions } from './cache-control.js';
import { convertToolChoice, convertTools, disablesParallelToolUse } from './convert-tools.js';
import type {
  ContentBlock,
  CountTokensRequest,
  CreateMessageRequest,
  DocumentBlock,
  ImageBlock,
  MessageParam,
  ProviderOptionsWire,
  TextBlock,
  ThinkingConfig,
  ToolResultBlock,
} from './messages-api.js';

export interface ConvertedMessagesRequest {
  request: ChatRequest;
  stream: boolean;
  /** End user for attribution: `providerOptions.gateway.user`, else `metadata.user_id`. */
  user?: string;
}

export function convertMessagesRequest(body: CreateMessageRequest): ConvertedMessagesRequest {
  const call: LanguageModelV3CallOptions = {
    prompt: convertPrompt(body.system, body.messages),
    maxOutputTokens: outputCap(body.max_tokens, body.thinking),
  };
  const tools = convertTools(body.tools);
  if (tools) call.tools = tools;
  const toolChoice = convertToolChoice(body.tool_choice, tools);
  if (toolChoice) call.toolChoice = toolChoice;
  if (body.temperature != null) call.temperature = body.temperature;
  if (body.top_p != null) call.topP = body.top_p;
  if (body.top_k != null) call.topK = body.top_k;
  if (body.stop_sequences?.length) call.stopSequences = body.stop_sequences;
  const format = body.output_config?.format;
  if (format) call.responseFormat = { type: 'json', schema: format.schema as JSONSchema7 };

  // Settings only Anthropic has, under the names the AI SDK's Anthropic provider sends back.
  const anthropic: JSONObject = {};
  if (body.thinking) anthropic.thinking = convertThinking(body.thinking);
  if (body.cache_control) Object.assign(anthropic, cacheControlOptions(body.cache_control).providerOptions!.anthropic);
  if (body.output_config?.effort) anthropic.effort = body.output_config.effort;
  if (body.speed) anthropic.speed = body.speed;
  if (body.inference_geo) anthropic.inferenceGeo = body.inference_geo;
  if (body.service_tier) anthropic.serviceTier = body.service_tier;
  if (tools && disablesParallelToolUse(body.tool_choice)) anthropic.disableParallelToolUse = true;
  const userId = body.metadata?.user_id ?? undefined;
  if (userId) anthropic.metadata = { userId };
  const providerOptions = mergeProviderOptions(anthropic, body.providerOptions);
  if (providerOptions) call.providerOptions = providerOptions;

  const request: ChatRequest = { model: body.model, call };
  const gateway = convertGatewayOptions(body.providerOptions?.gateway);
  if (gateway) request.gateway = gateway;

  const converted: ConvertedMessagesRequest = { request, stream: body.stream === true };
  const user = gateway?.user ?? userId;
  if (user) converted.user = user;
  return converted;
}

/** The prompt and tools of a count_tokens request, converted exactly as for a message. */
export function convertCountTokensRequest(body: CountTokensRequest): Pick<LanguageModelV3CallOptions, 'prompt' | 'tools'> {
  const tools = convertTools(body.tools);
  return { prompt: convertPrompt(body.system, body.messages), ...(tools ? { tools } : {}) };
}

/**
 * Anthropic's `max_tokens` counts thinking; V3's `maxOutputTokens` does not (the AI SDK's
 * Anthropic provider sends `maxOutputTokens + budgetTokens`). Subtracting keeps the upstream's
 * `max_tokens` what the client sent.
 */
function outputCap(maxTokens: number, thinking: ThinkingConfig | null | undefined): number {
  if (thinking?.type !== 'enabled') return maxTokens;
  if (thinking.budget_tokens >= maxTokens) {
    throw invalid('thinking.budget_tokens', '`max_tokens` must be greater than `thinking.budget_tokens`.');
  }
  return maxTokens - thinking.budget_tokens;
}

function convertThinking(thinking: ThinkingConfig): JSONObject {
  switch (thinking.type) {
    case 'enabled':
      return { type: 'enabled', budgetTokens: thinking.budget_tokens };
    case 'disabled':
      return { type: 'disabled' };
    case 'adaptive':
      return thinking.display != null ? { type: 'adaptive', display: thinking.display } : { type: 'adaptive' };
    case 'between_tools':
      return { type: 'between_tools' };
  }
}

/** The face's own Anthropic options under the client's: what the client sent per provider wins. */
function mergeProviderOptions(anthropic: JSONObject, client: ProviderOptionsWire | null | undefined): SharedV3ProviderOptions | undefined {
  const options: SharedV3ProviderOptions = {};
  if (Object.keys(anthropic).length > 0) options.anthropic = anthropic;
  for (const [namespace, value] of Object.entries(client ?? {})) {
    if (namespace === 'gateway' || value == null) continue;
    options[namespace] = { ...options[namespace], ...(value as JSONObject) };
  }
  return Object.keys(options).length > 0 ? options : undefined;
}

// ---- prompt ----

export function convertPrompt(system: string | TextBlock[] | null | undefined, messages: MessageParam[]): LanguageModelV3Prompt {
  const prompt: LanguageModelV3Prompt = [];
  // One V3 system message per block: the provider sends each back as one text block with its cache_control.
  if (typeof system === 'string') {
    if (system !== '') prompt.push({ role: 'system', content: system });
  } else if (system) {
    for (const block of system) prompt.push({ role: 'system', content: block.text, ...cacheControlOptions(block.cache_control) });
  }

  /** tool_use id → tool name, from the assistant turns seen so far (V3 tool results name their tool). */
  const toolNames = new Map<string, string>();
  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    const blocks: ContentBlock[] = typeof message.content === 'string' ? [{ type: 'text', text: message.content }] : message.content;
    switch (message.role) {
      case 'system':
        prompt.push(...blocks.map((block, j) => systemMessage(block, `${at}.content[${j}]`)));
        break;
      case 'user':
        prompt.push(...convertUserTurn(blocks, at, toolNames));
        break;
      case 'assistant':
        prompt.push(convertAssistantTurn(blocks, at, toolNames));
        break;
    }
  });
  return prompt;
}

function systemMessage(block: ContentBlock, at: string): LanguageModelV3Message {
  if (block.type !== 'text') throw invalid(`${at}.type`, 'A system message holds text blocks only.');
  return { role: 'system', content: block.text, ...cacheControlOptions(block.cache_control) };
}

/**
 * A user turn may mix tool results and new content. V3 keeps tool results in `tool` messages,
 * so each run of tool_result blocks becomes one; the provider merges adjacent user and tool
 * messages back into one Anthropic user turn, in the same order.
 */
function convertUserTurn(blocks: ContentBlock[], at: string, toolNames: Map<string, string>): LanguageModelV3Message[] {
  const out: LanguageModelV3Message[] = [];
  blocks.forEach((block, j) => {
    const where = `${at}.content[${j}]`;
    const last = out[out.length - 1];
    if (block.type === 'tool_result') {
      const part = convertToolResult(block, where, toolNames);
      if (last?.role === 'tool') last.content.push(part);
      else out.push({ role: 'tool', content: [part] });
      return;
    }
    const part = convertUserBlock(block, where);
    if (last?.role === 'user') last.content.push(part);
    else out.push({ role: 'user', content: [part] });
  });
  return out;
}

function convertUserBlock(block: ContentBlock, at: string): LanguageModelV3TextPart | LanguageModelV3FilePart {
  switch (block.type) {
    case 'text':
      return { type: 'text', text: block.text, ...cacheControlOptions(block.cache_control) };
    case 'image':
      return convertImage(block, at);
    case 'document':
      return convertDocument(block, at);
    default:
      throw invalid(`${at}.type`, `A user message cannot hold a '${block.type}' block; it belongs in an assistant message.`);
  }
}

function convertImage(block: ImageBlock, at: string): LanguageModelV3FilePart {
  const options = cacheControlOptions(block.cache_control);
  const source = block.source;
  if (source.type === 'base64') return { type: 'file', mediaType: source.media_type, data: source.data, ...options };
  if (/^data:/i.test(source.url)) {
    const dataUrl = parseDataUrl(source.url);
    if (!dataUrl) throw invalid(`${at}.source.url`, 'The image data: URL is malformed; expected data:image/<type>;base64,<data>.');
    if (dataUrl.mediaType && !dataUrl.mediaType.startsWith('image/')) {
      throw invalid(`${at}.source.url`, `An image block must hold an image, not '${dataUrl.mediaType}'.`);
    }
    return { type: 'file', mediaType: dataUrl.mediaType || 'image/*', data: dataUrl.base64, ...options };
  }
  return { type: 'file', mediaType: 'image/*', data: httpUrl(source.url, `${at}.source.url`), ...options };
}

function convertDocument(block: DocumentBlock, at: string): LanguageModelV3FilePart {
  const anthropic: JSONObject = {};
  if (block.cache_control) Object.assign(anthropic, cacheControlOptions(block.cache_control).providerOptions!.anthropic);
  if (block.title != null) anthropic.title = block.title;
  if (block.context != null) anthropic.context = block.context;
  if (block.citations?.enabled != null) anthropic.citations = { enabled: block.citations.enabled };
  const part: LanguageModelV3FilePart = (() => {
    const source = block.source;
    switch (source.type) {
      case 'base64':
        return { type: 'file', mediaType: source.media_type, data: source.data };
      case 'text':
        // V3 file data as a string is base64; the provider decodes text/plain back to text.
        return { type: 'file', mediaType: 'text/plain', data: Buffer.from(source.data, 'utf8').toString('base64') };
      case 'url':
        return { type: 'file', mediaType: 'application/pdf', data: httpUrl(source.url, `${at}.source.url`) };
    }
  })();
  if (block.title != null) part.filename = block.title;
  if (Object.keys(anthropic).length > 0) part.providerOptions = { anthropic };
  return part;
}

function convertToolResult(block: ToolResultBlock, at: string, toolNames: Map<string, string>): LanguageModelV3ToolResultPart {
  const toolName = toolNames.get(block.tool_use_id);
  if (toolName === undefined) {
    throw invalid(
      `${at}.tool_use_id`,
      `No earlier assistant message has a tool_use block with id '${block.tool_use_id}'; a tool_result must answer a tool_use.`,
    );
  }
  return {
    type: 'tool-result',
    toolCallId: block.tool_use_id,
    toolName,
    output: convertToolResultContent(block, at),
    ...cacheControlOptions(block.cache_control),
  };
}

function convertToolResultContent(block: ToolResultBlock, at: string): LanguageModelV3ToolResultOutput {
  const content = block.content ?? '';
  if (typeof content === 'string') return { type: block.is_error ? 'error-text' : 'text', value: content };
  // V3 has no error variant with media: an errored result keeps its text.
  if (block.is_error) return { type: 'error-text', value: content.map((part) => (part.type === 'text' ? part.text : '')).join('\n') };
  return {
    type: 'content',
    value: content.map((part, k) => {
      const where = `${at}.content[${k}]`;
      switch (part.type) {
        case 'text':
          return { type: 'text' as const, text: part.text };
        case 'image': {
          const file = convertImage(part, where);
          return file.data instanceof URL
            ? { type: 'image-url' as const, url: file.data.toString() }
            : { type: 'image-data' as const, data: file.data as string, mediaType: file.mediaType };
        }
        case 'document': {
          const file = convertDocument(part, where);
          return file.data instanceof URL
            ? { type: 'file-url' as const, url: file.data.toString() }
            : { type: 'file-data' as const, data: file.data as string, mediaType: file.mediaType };
        }
      }
    }),
  };
}

function convertAssistantTurn(blocks: ContentBlock[], at: string, toolNames: Map<string, string>): LanguageModelV3Message {
  const content: Array<LanguageModelV3TextPart | LanguageModelV3ToolCallPart | LanguageModelV3ReasoningPart> = [];
  blocks.forEach((block, j) => {
    const where = `${at}.content[${j}]`;
    switch (block.type) {
      case 'text':
        content.push({ type: 'text', text: block.text, ...cacheControlOptions(block.cache_control) });
        break;
      case 'tool_use':
        toolNames.set(block.id, block.name);
        content.push({ type: 'tool-call', toolCallId: block.id, toolName: block.name, input: block.input ?? {}, ...cacheControlOptions(block.cache_control) });
        break;
      case 'thinking':
        // The signature lets Anthropic verify the thinking it produced; other providers ignore it.
        content.push({
          type: 'reasoning',
          text: block.thinking,
          ...(block.signature != null ? { providerOptions: { anthropic: { signature: block.signature } } } : {}),
        });
        break;
      case 'redacted_thinking':
        content.push({ type: 'reasoning', text: '', providerOptions: { anthropic: { redactedData: block.data } } });
        break;
      default:
        throw invalid(`${where}.type`, `An assistant message cannot hold a '${block.type}' block.`);
    }
  });
  return { role: 'assistant', content };
}

function httpUrl(url: string, at: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(at, 'The URL is not valid; use an http(s) URL, a data: URL or a base64 source.');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalid(at, `URLs must use http, https or data, not '${parsed.protocol.replace(/:$/, '')}'.`);
  }
  return parsed;
}

function invalid(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}
