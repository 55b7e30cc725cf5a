/**
 * OpenAI chat completions request → canonical `ChatRequest` (V3 call options). Everything the
 * schema cannot express (n > 1, URL schemes, tool results without a call, malformed tool
 * arguments) is rejected here with the field to fix.
 */
import type {
  JSONObject,
  JSONSchema7,
  LanguageModelV3CallOptions,
  LanguageModelV3FilePart,
  LanguageModelV3FunctionTool,
  LanguageModelV3Message,
  LanguageModelV3Prompt,
  LanguageModelV3TextPart,
  LanguageModelV3ToolCallPart,
  LanguageModelV3ToolChoice,
  LanguageModelV3ToolResultPart,
  SharedV3ProviderOptions,
} from '@ai-sdk/provider';
import { GatewayError } from '../../core/errors.js';
import type { ChatRequest } from '../../core/types.js';
import type {
  ChatCompletionRequest,
  ChatMessage,
  FunctionTool,
  ProviderOptionsWire,
  ResponseFormat,
  TextPart,
  ToolChoice,
  UserContentPart,
} from './chat-api.js';
import { convertGatewayOptions } from './convert-gateway-options.js';
import { parseDataUrl } from './data-url.js';

export interface ConvertedChatRequest {
  request: ChatRequest;
  stream: boolean;
  /** `stream_options.include_usage`: send a final chunk with usage and cost. */
  includeUsage: boolean;
  /** End user for attribution: `providerOptions.gateway.user`, else OpenAI's `user`. */
  user?: string;
}

export function convertChatRequest(body: ChatCompletionRequest): ConvertedChatRequest {
  if (body.n != null && body.n !== 1) {
    throw invalid('n', 'Only one choice per request is supported; set n to 1 or leave it out.');
  }

  const call: LanguageModelV3CallOptions = { prompt: convertMessages(body.messages) };

  const tools = body.tools?.length ? body.tools.map(convertTool) : undefined;
  if (tools) call.tools = tools;
  const toolChoice = convertToolChoice(body.tool_choice, tools);
  if (toolChoice) call.toolChoice = toolChoice;

  const responseFormat = convertResponseFormat(body.response_format);
  if (responseFormat) call.responseFormat = responseFormat;

  const maxOutputTokens = body.max_completion_tokens ?? body.max_tokens;
  if (maxOutputTokens != null) call.maxOutputTokens = maxOutputTokens;
  if (body.temperature != null) call.temperature = body.temperature;
  if (body.top_p != null) call.topP = body.top_p;
  if (body.top_k != null) call.topK = body.top_k;
  if (body.presence_penalty != null) call.presencePenalty = body.presence_penalty;
  if (body.frequency_penalty != null) call.frequencyPenalty = body.frequency_penalty;
  if (body.seed != null) call.seed = body.seed;
  if (body.stop != null) {
    const stop = typeof body.stop === 'string' ? [body.stop] : body.stop;
    if (stop.length > 0) call.stopSequences = stop;
  }

  const providerOptions = convertProviderOptions(body);
  if (providerOptions) call.providerOptions = providerOptions;

  const request: ChatRequest = { model: body.model, call };
  const gateway = convertGatewayOptions(body.providerOptions?.gateway);
  if (gateway) request.gateway = gateway;

  const converted: ConvertedChatRequest = {
    request,
    stream: body.stream === true,
    includeUsage: body.stream === true && body.stream_options?.include_usage === true,
  };
  const user = gateway?.user ?? body.user ?? undefined;
  if (user) converted.user = user;
  return converted;
}

// ---- messages ----

function convertMessages(messages: ChatMessage[]): LanguageModelV3Prompt {
  const prompt: LanguageModelV3Prompt = [];
  /** Tool call id → tool name, from the assistant messages seen so far. */
  const toolNames = new Map<string, string>();

  messages.forEach((message, i) => {
    const at = `messages[${i}]`;
    switch (message.role) {
      case 'system':
      case 'developer':
        prompt.push({ role: 'system', content: joinText(message.content) });
        break;
      case 'user':
        prompt.push({ role: 'user', content: convertUserContent(message.content, `${at}.content`) });
        break;
      case 'assistant':
        prompt.push(convertAssistantMessage(message, at, toolNames));
        break;
      case 'tool': {
        const toolName = toolNames.get(message.tool_call_id);
        if (toolName === undefined) {
          throw invalid(
            `${at}.tool_call_id`,
            `No earlier assistant message has a tool call with id '${message.tool_call_id}'; a tool message must answer a tool call.`,
          );
        }
        const part: LanguageModelV3ToolResultPart = {
          type: 'tool-result',
          toolCallId: message.tool_call_id,
          toolName,
          output: { type: 'text', value: joinText(message.content) },
        };
        // Consecutive tool messages answer one assistant turn: V3 keeps them in one message.
        const previous = prompt[prompt.length - 1];
        if (previous?.role === 'tool') previous.content.push(part);
        else prompt.push({ role: 'tool', content: [part] });
        break;
      }
    }
  });
  return prompt;
}

function joinText(content: string | TextPart[]): string {
  return typeof content === 'string' ? content : content.map((part) => part.text).join('\n');
}

function convertUserContent(
  content: string | UserContentPart[],
  at: string,
): Array<LanguageModelV3TextPart | LanguageModelV3FilePart> {
  if (typeof content === 'string') return [{ type: 'text', text: content }];
  return content.map((part, j) => convertUserPart(part, `${at}[${j}]`));
}

function convertUserPart(
  part: UserContentPart,
  at: string,
): LanguageModelV3TextPart | LanguageModelV3FilePart {
  switch (part.type) {
    case 'text':
      return { type: 'text', text: part.text };
    case 'image_url':
      return convertImageUrl(part.image_url.url, `${at}.image_url.url`);
    case 'input_audio': {
      const format = part.input_audio.format.toLowerCase();
      const mediaType = format === 'mp3' ? 'audio/mpeg' : `audio/${format}`;
      return { type: 'file', mediaType, data: part.input_audio.data };
    }
    case 'file': {
      const { file_data: fileData, file_id: fileId, filename } = part.file;
      if (fileData == null) {
        throw invalid(
          `${at}.file.file_data`,
          fileId != null
            ? 'Uploaded file ids are not supported; send the file inline as file_data (a data: URL).'
            : 'A file part needs file_data (a data: URL).',
        );
      }
      const dataUrl = parseDataUrl(fileData);
      const file: LanguageModelV3FilePart = dataUrl
        ? { type: 'file', mediaType: dataUrl.mediaType || 'application/octet-stream', data: dataUrl.base64 }
        : // OpenAI documents file_data as base64 and accepts only PDFs there.
          { type: 'file', mediaType: 'application/pdf', data: fileData };
      if (filename) file.filename = filename;
      return file;
    }
  }
}

function convertImageUrl(url: string, at: string): LanguageModelV3FilePart {
  if (/^data:/i.test(url)) {
    const dataUrl = parseDataUrl(url);
    if (!dataUrl) throw invalid(at, 'The image data: URL is malformed; expected data:image/<type>;base64,<data>.');
    if (dataUrl.mediaType && !dataUrl.mediaType.startsWith('image/')) {
      throw invalid(at, `image_url must hold an image, not '${dataUrl.mediaType}'.`);
    }
    return { type: 'file', mediaType: dataUrl.mediaType || 'image/*', data: dataUrl.base64 };
  }
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(at, 'The image URL is not a valid URL; use an http(s) URL or a data: URL.');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalid(at, `Image URLs must use http, https or data, not '${parsed.protocol.replace(/:$/, '')}'.`);
  }
  return { type: 'file', mediaType: 'image/*', data: parsed };
}

function convertAssistantMessage(
  message: Extract<ChatMessage, { role: 'assistant' }>,
  at: string,
  toolNames: Map<string, string>,
): LanguageModelV3Message {
  const content: Array<LanguageModelV3TextPart | LanguageModelV3ToolCallPart> = [];
  const text =
    typeof message.content === 'string'
      ? message.content
      : (message.content ?? []).map((part) => (part.type === 'text' ? part.text : part.refusal)).join('');
  if (text !== '') content.push({ type: 'text', text });

  message.tool_calls?.forEach((toolCall, k) => {
    const input = parseToolArguments(toolCall.function.arguments, `${at}.tool_calls[${k}].function.arguments`);
    toolNames.set(toolCall.id, toolCall.function.name);
    content.push({
      type: 'tool-call',
      toolCallId: toolCall.id,
      toolName: toolCall.function.name,
      input,
    });
  });
  return { role: 'assistant', content };
}

function parseToolArguments(args: string, at: string): unknown {
  // Tools without parameters come back with empty arguments from several providers.
  if (args.trim() === '') return {};
  try {
    return JSON.parse(args) as unknown;
  } catch {
    throw invalid(at, 'Tool call arguments must be a JSON-encoded string (as the model produced them).');
  }
}

// ---- tools and output format ----

function convertTool(tool: FunctionTool): LanguageModelV3FunctionTool {
  const { name, description, parameters, strict } = tool.function;
  const converted: LanguageModelV3FunctionTool = {
    type: 'function',
    name,
    // OpenAI treats omitted parameters as a tool without arguments.
    inputSchema: (parameters ?? { type: 'object', properties: {} }) as JSONSchema7,
  };
  if (description != null) converted.description = description;
  if (strict != null) converted.strict = strict;
  return converted;
}

function convertToolChoice(
  choice: ToolChoice | null | undefined,
  tools: LanguageModelV3FunctionTool[] | undefined,
): LanguageModelV3ToolChoice | undefined {
  // Without tools a choice means nothing; upstreams that reject it would fail for no reason.
  if (choice == null || !tools) return undefined;
  if (typeof choice === 'string') return { type: choice };
  const toolName = choice.function.name;
  if (!tools.some((tool) => tool.name === toolName)) {
    throw invalid('tool_choice.function.name', `tool_choice names '${toolName}', which is not in tools.`);
  }
  return { type: 'tool', toolName };
}

function convertResponseFormat(
  format: ResponseFormat | null | undefined,
): LanguageModelV3CallOptions['responseFormat'] {
  if (format == null) return undefined;
  switch (format.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json' };
    case 'json_schema': {
      const { name, description, schema } = format.json_schema;
      const json: NonNullable<LanguageModelV3CallOptions['responseFormat']> = { type: 'json', name };
      if (schema != null) json.schema = schema as JSONSchema7;
      if (description != null) json.description = description;
      return json;
    }
  }
}

// ---- options ----

/**
 * OpenAI's own request fields without a V3 setting travel as provider options, in the
 * namespaces the OpenAI, OpenAI-compatible and Anthropic adapters read; options the client sent
 * per provider win over them. `gateway` is ours and never goes upstream.
 */
function convertProviderOptions(body: ChatCompletionRequest): SharedV3ProviderOptions | undefined {
  const openai: JSONObject = {};
  const compatible: JSONObject = {};
  const anthropic: JSONObject = {};
  if (body.parallel_tool_calls != null) openai.parallelToolCalls = body.parallel_tool_calls;
  // Anthropic calls tools in parallel unless told not to (`disable_parallel_tool_use`).
  if (body.parallel_tool_calls === false) anthropic.disableParallelToolUse = true;
  if (body.reasoning_effort != null) {
    openai.reasoningEffort = body.reasoning_effort;
    compatible.reasoningEffort = body.reasoning_effort;
  }
  if (body.service_tier != null) openai.serviceTier = body.service_tier;
  if (body.user != null) {
    openai.user = body.user;
    compatible.user = body.user;
    // Anthropic's field for the same purpose (abuse monitoring per end user).
    anthropic.metadata = { userId: body.user };
  }
  if (body.response_format?.type === 'json_schema' && body.response_format.json_schema.strict != null) {
    openai.strictJsonSchema = body.response_format.json_schema.strict;
    compatible.strictJsonSchema = body.response_format.json_schema.strict;
  }

  const options: SharedV3ProviderOptions = {};
  if (Object.keys(openai).length > 0) options.openai = openai;
  if (Object.keys(compatible).length > 0) options.openaiCompatible = compatible;
  if (Object.keys(anthropic).length > 0) options.anthropic = anthropic;
  for (const [namespace, value] of Object.entries(clientProviderOptions(body.providerOptions))) {
    options[namespace] = { ...options[namespace], ...value };
  }
  return Object.keys(options).length > 0 ? options : undefined;
}

function clientProviderOptions(options: ProviderOptionsWire | null | undefined): SharedV3ProviderOptions {
  const out: SharedV3ProviderOptions = {};
  if (!options) return out;
  for (const [namespace, value] of Object.entries(options)) {
    if (namespace === 'gateway' || value == null) continue;
    out[namespace] = value as JSONObject;
  }
  return out;
}

function invalid(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}
