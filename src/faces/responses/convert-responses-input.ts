/**
 * Responses `instructions` + `input` → V3 prompt. Message items become messages of their role,
 * `function_call` and `reasoning` items join the assistant turn they belong to, and each
 * `function_call_output` is placed right after the assistant message holding its call, as
 * every provider requires, whatever order the client sent them in.
 */
import type {
  LanguageModelV3FilePart,
  LanguageModelV3Message,
  LanguageModelV3Prompt,
  LanguageModelV3TextPart,
  LanguageModelV3ToolResultOutput,
  LanguageModelV3ToolResultPart,
} from '@ai-sdk/provider';
import { GatewayError } from '../../core/errors.js';
import { parseDataUrl } from '../openai/data-url.js';
import type {
  FunctionCallOutputItem,
  InputFile,
  InputImage,
  MessageContentPart,
  MessageItem,
  ReasoningItem,
  ResolvedInputItem,
} from './responses-api.js';

type AssistantMessage = Extract<LanguageModelV3Message, { role: 'assistant' }>;
type ToolMessage = Extract<LanguageModelV3Message, { role: 'tool' }>;

export function convertResponsesInput(instructions: string | null | undefined, input: string | ResolvedInputItem[]): LanguageModelV3Prompt {
  const prompt: LanguageModelV3Prompt = [];
  if (instructions) prompt.push({ role: 'system', content: instructions });
  if (typeof input === 'string') {
    prompt.push({ role: 'user', content: [{ type: 'text', text: input }] });
    return prompt;
  }

  /** Tool call id → the assistant message that holds the call. */
  const calls = new Map<string, { message: AssistantMessage; toolName: string }>();
  /** The assistant message the next function_call or reasoning item joins, if it directly precedes. */
  const openTurn = (): AssistantMessage => {
    const last = prompt[prompt.length - 1];
    if (last?.role === 'assistant') return last;
    const message: AssistantMessage = { role: 'assistant', content: [] };
    prompt.push(message);
    return message;
  };

  input.forEach((item, i) => {
    const at = `input[${i}]`;
    switch (item.type) {
      case 'message':
        pushMessage(prompt, item, at);
        break;
      case 'function_call': {
        if (calls.has(item.call_id)) throw invalid(`${at}.call_id`, `Another function_call item already has call_id '${item.call_id}'.`);
        const message = openTurn();
        message.content.push({
          type: 'tool-call',
          toolCallId: item.call_id,
          toolName: item.name,
          input: parseArguments(item.arguments, `${at}.arguments`),
        });
        calls.set(item.call_id, { message, toolName: item.name });
        break;
      }
      case 'function_call_output': {
        const call = calls.get(item.call_id);
        if (!call) {
          throw invalid(
            `${at}.call_id`,
            `No function_call item before this one has call_id '${item.call_id}': send the function_call item along with its output, or continue the response that made the call (previous_response_id).`,
          );
        }
        placeToolResult(prompt, call.message, {
          type: 'tool-result',
          toolCallId: item.call_id,
          toolName: call.toolName,
          output: convertToolOutput(item.output, `${at}.output`),
        });
        break;
      }
      case 'reasoning': {
        const text = reasoningText(item);
        // Reasoning with no readable text (encrypted only) means nothing to another provider.
        if (text !== '') openTurn().content.push({ type: 'reasoning', text });
        break;
      }
    }
  });
  return prompt;
}

// ---- messages ----

function pushMessage(prompt: LanguageModelV3Prompt, item: MessageItem, at: string): void {
  const parts = typeof item.content === 'string' ? [{ type: 'input_text' as const, text: item.content }] : item.content;
  switch (item.role) {
    case 'system':
    case 'developer':
      prompt.push({ role: 'system', content: textOnly(parts, `${at}.content`, `a ${item.role} message`).join('\n') });
      return;
    case 'assistant': {
      const text = textOnly(parts, `${at}.content`, 'an assistant message').join('');
      const last = prompt[prompt.length - 1];
      // Text after the reasoning of the same turn stays in that turn.
      if (last?.role === 'assistant' && !last.content.some((part) => part.type !== 'reasoning')) {
        last.content.push({ type: 'text', text });
      } else {
        prompt.push({ role: 'assistant', content: [{ type: 'text', text }] });
      }
      return;
    }
    case 'user':
      prompt.push({ role: 'user', content: parts.map((part, j) => convertUserPart(part, `${at}.content[${j}]`)) });
  }
}

function textOnly(parts: MessageContentPart[], at: string, what: string): string[] {
  return parts.map((part, j) => {
    switch (part.type) {
      case 'input_text':
      case 'output_text':
        return part.text;
      case 'refusal':
        return part.refusal;
      default:
        throw invalid(`${at}[${j}].type`, `${what} can only hold text, not '${part.type}'.`);
    }
  });
}

function convertUserPart(part: MessageContentPart, at: string): LanguageModelV3TextPart | LanguageModelV3FilePart {
  switch (part.type) {
    case 'input_text':
    case 'output_text':
      return { type: 'text', text: part.text };
    case 'refusal':
      return { type: 'text', text: part.refusal };
    case 'input_image':
      return convertImage(part, at);
    case 'input_file':
      return convertFile(part, at);
  }
}

// ---- images and files ----

function convertImage(part: InputImage, at: string): LanguageModelV3FilePart {
  if (part.image_url == null) {
    throw invalid(
      `${at}.image_url`,
      part.file_id != null
        ? 'Uploaded file ids are not supported; send the image as image_url (an http(s) or data: URL).'
        : 'An input_image part needs image_url (an http(s) or data: URL).',
    );
  }
  const url = part.image_url;
  if (/^data:/i.test(url)) {
    const dataUrl = parseDataUrl(url);
    if (!dataUrl) throw invalid(`${at}.image_url`, 'The image data: URL is malformed; expected data:image/<type>;base64,<data>.');
    if (dataUrl.mediaType && !dataUrl.mediaType.startsWith('image/')) {
      throw invalid(`${at}.image_url`, `image_url must hold an image, not '${dataUrl.mediaType}'.`);
    }
    return { type: 'file', mediaType: dataUrl.mediaType || 'image/*', data: dataUrl.base64 };
  }
  return { type: 'file', mediaType: 'image/*', data: httpUrl(url, `${at}.image_url`) };
}

function convertFile(part: InputFile, at: string): LanguageModelV3FilePart {
  let file: LanguageModelV3FilePart;
  if (part.file_data != null) {
    const dataUrl = parseDataUrl(part.file_data);
    file = dataUrl
      ? { type: 'file', mediaType: dataUrl.mediaType || 'application/octet-stream', data: dataUrl.base64 }
      : // OpenAI documents bare file_data as base64 and reads PDFs there.
        { type: 'file', mediaType: 'application/pdf', data: part.file_data };
  } else if (part.file_url != null) {
    file = { type: 'file', mediaType: mediaTypeOf(part.filename ?? part.file_url), data: httpUrl(part.file_url, `${at}.file_url`) };
  } else {
    throw invalid(
      `${at}.file_data`,
      part.file_id != null
        ? 'Uploaded file ids are not supported; send the file inline as file_data (a data: URL) or as file_url.'
        : 'An input_file part needs file_data (a data: URL) or file_url.',
    );
  }
  if (part.filename) file.filename = part.filename;
  return file;
}

function httpUrl(url: string, at: string): URL {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw invalid(at, 'Not a valid URL; use an http(s) URL or a data: URL.');
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    throw invalid(at, `URLs must use http, https or data, not '${parsed.protocol.replace(/:$/, '')}'.`);
  }
  return parsed;
}

const MEDIA_TYPES: Record<string, string> = {
  pdf: 'application/pdf',
  txt: 'text/plain',
  md: 'text/markdown',
  csv: 'text/csv',
  json: 'application/json',
  png: 'image/png',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  gif: 'image/gif',
  webp: 'image/webp',
};

/** A file URL names no media type; guess from its extension, PDF being what OpenAI reads there. */
function mediaTypeOf(name: string): string {
  const extension = /\.([a-z0-9]+)(?:[?#].*)?$/i.exec(name)?.[1]?.toLowerCase();
  return (extension && MEDIA_TYPES[extension]) || 'application/pdf';
}

// ---- tool calls and results ----

function parseArguments(args: string, at: string): unknown {
  // Tools without parameters come back with empty arguments from several providers.
  if (args.trim() === '') return {};
  try {
    return JSON.parse(args) as unknown;
  } catch {
    throw invalid(at, 'function_call arguments must be a JSON-encoded string (as the model produced them).');
  }
}

function convertToolOutput(output: FunctionCallOutputItem['output'], at: string): LanguageModelV3ToolResultOutput {
  if (typeof output === 'string') return { type: 'text', value: output };
  if (output.every((part) => part.type === 'input_text')) {
    return { type: 'text', value: output.map((part) => (part.type === 'input_text' ? part.text : '')).join('\n') };
  }
  return {
    type: 'content',
    value: output.map((part, j) => {
      if (part.type === 'input_text') return { type: 'text' as const, text: part.text };
      const file = part.type === 'input_image' ? convertImage(part, `${at}[${j}]`) : convertFile(part, `${at}[${j}]`);
      if (file.data instanceof URL) {
        return file.mediaType.startsWith('image/')
          ? { type: 'image-url' as const, url: file.data.toString() }
          : { type: 'file-url' as const, url: file.data.toString(), mediaType: file.mediaType };
      }
      const data = file.data as string;
      return file.mediaType.startsWith('image/')
        ? { type: 'image-data' as const, data, mediaType: file.mediaType }
        : { type: 'file-data' as const, data, mediaType: file.mediaType, ...(file.filename ? { filename: file.filename } : {}) };
    }),
  };
}

/** Puts a tool result in the tool message right after its call's assistant message, creating that message if needed. */
function placeToolResult(prompt: LanguageModelV3Prompt, call: AssistantMessage, part: LanguageModelV3ToolResultPart): void {
  const after = prompt.indexOf(call) + 1;
  const next = prompt[after];
  if (next?.role === 'tool') {
    (next as ToolMessage).content.push(part);
    return;
  }
  prompt.splice(after, 0, { role: 'tool', content: [part] });
}

function reasoningText(item: ReasoningItem): string {
  const summary = (item.summary ?? []).map((part) => part.text);
  const texts = summary.length > 0 ? summary : (item.content ?? []).map((part) => part.text);
  return texts.join('\n\n');
}

function invalid(param: string, message: string): GatewayError {
  return new GatewayError('invalid_request', message, { param });
}
