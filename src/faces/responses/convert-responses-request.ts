/**
 * A Responses API request → canonical `ChatRequest` (V3 call options), plus the settings the
 * response object repeats back. The input comes resolved: earlier responses and item
 * references already replaced by the items they stand for. What needs other server-side state
 * (conversation objects, background runs, stored prompts) is refused with the field to fix.
 */
import type { JSONObject, JSONSchema7, LanguageModelV3CallOptions, SharedV3ProviderOptions } from '@ai-sdk/provider';
import { GatewayError } from '../../core/errors.js';
import type { ChatRequest } from '../../core/types.js';
import { convertGatewayOptions } from '../openai/convert-gateway-options.js';
import { convertResponsesInput } from './convert-responses-input.js';
import { prepareTools } from './prepare-tools.js';
import type { ResolvedInputItem, ResponseEcho, ResponsesRequest, TextFormat, WebSearchTool, WireFunctionTool, WireTextFormat } from './responses-api.js';

export interface ConvertedResponsesRequest {
  request: ChatRequest;
  stream: boolean;
  /** End user for attribution: `providerOptions.gateway.user`, else `user`, else `safety_identifier`. */
  user?: string;
  echo: ResponseEcho;
}

/** `input`: the request's own, or the whole context when it continues an earlier response. */
export function convertResponsesRequest(body: ResponsesRequest, input: string | ResolvedInputItem[]): ConvertedResponsesRequest {
  refuseStatefulFeatures(body);

  const call: LanguageModelV3CallOptions = { prompt: convertResponsesInput(body.instructions, input) };
  const { tools, toolChoice } = prepareTools(body.tools, body.tool_choice);
  if (tools) call.tools = tools;
  if (toolChoice) call.toolChoice = toolChoice;
  const responseFormat = convertTextFormat(body.text?.format);
  if (responseFormat) call.responseFormat = responseFormat;
  if (body.max_output_tokens != null) call.maxOutputTokens = body.max_output_tokens;
  if (body.temperature != null) call.temperature = body.temperature;
  if (body.top_p != null) call.topP = body.top_p;
  const providerOptions = convertProviderOptions(body);
  if (providerOptions) call.providerOptions = providerOptions;

  const request: ChatRequest = { model: body.model, call };
  const gateway = convertGatewayOptions(body.providerOptions?.gateway);
  if (gateway) request.gateway = gateway;

  const converted: ConvertedResponsesRequest = { request, stream: body.stream === true, echo: echoSettings(body) };
  const user = gateway?.user ?? body.user ?? body.safety_identifier ?? undefined;
  if (user) converted.user = user;
  return converted;
}

function refuseStatefulFeatures(body: ResponsesRequest): void {
  if (body.conversation != null) {
    throw invalid('conversation', 'Tollgate keeps no conversation objects. Continue with previous_response_id, or send the whole conversation in input.');
  }
  if (body.background === true) {
    throw invalid('background', 'Background responses are not supported. Use stream: true for long answers.');
  }
  if (body.prompt != null) {
    throw invalid('prompt', 'Stored prompt templates are not supported. Send instructions and input instead.');
  }
}

function convertTextFormat(format: TextFormat | null | undefined): LanguageModelV3CallOptions['responseFormat'] {
  if (format == null) return undefined;
  switch (format.type) {
    case 'text':
      return { type: 'text' };
    case 'json_object':
      return { type: 'json' };
    case 'json_schema': {
      const json: NonNullable<LanguageModelV3CallOptions['responseFormat']> = { type: 'json', name: format.name, schema: format.schema as JSONSchema7 };
      if (format.description != null) json.description = format.description;
      return json;
    }
  }
}

/**
 * Responses settings without a V3 field travel as provider options, in the namespaces the
 * OpenAI and OpenAI-compatible adapters read; options the client sent per provider win.
 * `gateway` is Tollgate's and never goes upstream.
 */
function convertProviderOptions(body: ResponsesRequest): SharedV3ProviderOptions | undefined {
  const openai: JSONObject = {};
  const compatible: JSONObject = {};
  if (body.parallel_tool_calls != null) openai.parallelToolCalls = body.parallel_tool_calls;
  if (body.max_tool_calls != null) openai.maxToolCalls = body.max_tool_calls;
  if (body.reasoning?.effort != null) {
    openai.reasoningEffort = body.reasoning.effort;
    compatible.reasoningEffort = body.reasoning.effort;
  }
  if (body.text?.verbosity != null) openai.textVerbosity = body.text.verbosity;
  if (body.service_tier != null) openai.serviceTier = body.service_tier;
  if (body.user != null) {
    openai.user = body.user;
    compatible.user = body.user;
  }
  if (body.safety_identifier != null) openai.safetyIdentifier = body.safety_identifier;
  const format = body.text?.format;
  if (format?.type === 'json_schema' && format.strict != null) {
    openai.strictJsonSchema = format.strict;
    compatible.strictJsonSchema = format.strict;
  }

  const options: SharedV3ProviderOptions = {};
  if (Object.keys(openai).length > 0) options.openai = openai;
  if (Object.keys(compatible).length > 0) options.openaiCompatible = compatible;
  for (const [namespace, value] of Object.entries(body.providerOptions ?? {})) {
    if (namespace === 'gateway' || value == null) continue;
    options[namespace] = { ...options[namespace], ...(value as JSONObject) };
  }
  return Object.keys(options).length > 0 ? options : undefined;
}

/** The request's settings as OpenAI's response object repeats them (its defaults where unset). */
function echoSettings(body: ResponsesRequest): ResponseEcho {
  return {
    instructions: body.instructions ?? null,
    max_output_tokens: body.max_output_tokens ?? null,
    metadata: body.metadata ?? {},
    parallel_tool_calls: body.parallel_tool_calls ?? true,
    reasoning: { effort: body.reasoning?.effort ?? null, summary: body.reasoning?.summary ?? null },
    temperature: body.temperature ?? null,
    text: { format: echoTextFormat(body.text?.format) },
    tool_choice: body.tool_choice ?? 'auto',
    tools: (body.tools ?? []).map((tool): WireFunctionTool | WebSearchTool =>
      tool.type !== 'function'
        ? tool
        : {
            type: 'function',
            name: tool.name,
            description: tool.description ?? null,
            parameters: tool.parameters ?? null,
            strict: tool.strict ?? null,
          },
    ),
    top_p: body.top_p ?? null,
    user: body.user ?? null,
    store: body.store ?? true,
    previous_response_id: body.previous_response_id ?? null,
  };
}

function echoTextFormat(format: TextFormat | null | undefined): WireTextFormat {
  if (format == null || format.type === 'text') return { type: 'text' };
  if (format.type === 'json_object') return { type: 'json_object' };
  return {
    type: 'json_schema',
    name: format.name,
    schema: format.schema,
    strict: format.strict ?? null,
    ...(format.description != null ? { description: format.description } : {}),
  };
}

function invalid(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}
