/**
 * Gemini (Generative Language API v1beta): `models/{model}:generateContent`,
 * `:streamGenerateContent` (SSE with `?alt=sse`, else one JSON array), `:embedContent` and
 * `:batchEmbedContents`. Errors are `{ error: { code, message, status } }`. Every streamed
 * chunk is a whole `GenerateContentResponse` carrying cumulative `usageMetadata`; there is no
 * preamble and no end sentinel, and events end with CRLF CRLF as Google's do.
 */
import { z } from 'zod';
import { decide, resultText, wordChunks, type Conversation, type Decision } from './answer.js';
import type { Family, Route, SseEvent, UsageCounts, WireRequest } from './types.js';
import { dataEvent, json, nextId, parseBody, sse, withMessage } from './wire.js';
import { DEFAULT_DIMENSIONS, embed, isValidDimensions } from './vectors.js';

const STATUS: Record<number, [status: string, message: string]> = {
  400: ['INVALID_ARGUMENT', 'Request contains an invalid argument.'],
  401: ['UNAUTHENTICATED', 'Request had invalid authentication credentials.'],
  403: ['PERMISSION_DENIED', 'The caller does not have permission.'],
  404: ['NOT_FOUND', 'Requested entity was not found.'],
  429: ['RESOURCE_EXHAUSTED', 'Resource has been exhausted (e.g. check quota).'],
  499: ['CANCELLED', 'The operation was cancelled.'],
  500: ['INTERNAL', 'An internal error has occurred. Please retry or report in https://developers.generativeai.google/guide/troubleshooting'],
  503: ['UNAVAILABLE', 'The model is overloaded. Please try again later.'],
  504: ['DEADLINE_EXCEEDED', 'The request timed out. Please try again.'],
};

function errorBody(status: number, model: string | undefined): unknown {
  if (status === 404 && model !== undefined) {
    return {
      error: {
        code: 404,
        message: `models/${model} is not found for API version v1beta, or is not supported for generateContent.`,
        status: 'NOT_FOUND',
      },
    };
  }
  const [name, message] = STATUS[status] ?? (status >= 500 ? ['INTERNAL', 'Internal error.'] : ['FAILED_PRECONDITION', 'Request failed.']);
  return { error: { code: status, message, status: name } };
}

export const geminiFamily: Family = {
  name: 'gemini',
  eventEnd: '\r\n\r\n',
  defaultStreamErrorStatus: 500,
  authError(req) {
    if (req.headers['x-goog-api-key'] !== undefined || req.query.has('key')) return undefined;
    // What Google answers to a call without any key: 403, not 401.
    return json(
      {
        error: {
          code: 403,
          message:
            "Method doesn't allow unregistered callers (callers without established identity). Please use API Key or other form of API consumer identity to call this API.",
          status: 'PERMISSION_DENIED',
        },
      },
      403,
    );
  },
  credential: (req) => req.headers['x-goog-api-key'] ?? req.query.get('key') ?? undefined,
  // What Google answers to a key it does not know: 400, not 401.
  keyRejected: () =>
    json(
      {
        error: {
          code: 400,
          message: 'API key not valid. Please pass a valid API key.',
          status: 'INVALID_ARGUMENT',
          details: [
            {
              '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
              reason: 'API_KEY_INVALID',
              domain: 'googleapis.com',
              metadata: { service: 'generativelanguage.googleapis.com' },
            },
          ],
        },
      },
      400,
    ),
  errorBody,
  streamErrorEvent(status) {
    return dataEvent(errorBody(status, undefined), true);
  },
};

const Part = z.looseObject({
  text: z.string().optional(),
  functionResponse: z.looseObject({ name: z.string(), response: z.unknown().optional() }).optional(),
});
const Content = z.looseObject({ role: z.string().optional(), parts: z.array(Part) });

const GenerateBody = z.looseObject({
  contents: z.array(Content).min(1),
  systemInstruction: z.looseObject({ parts: z.array(Part) }).nullish(),
  tools: z.array(z.looseObject({ functionDeclarations: z.array(z.looseObject({ name: z.string() })).optional() })).nullish(),
});
type GenerateBody = z.infer<typeof GenerateBody>;

function textOf(parts: z.infer<typeof Part>[]): string {
  return parts.flatMap((p) => (typeof p.text === 'string' ? [p.text] : [])).join(' ');
}

function toConversation(body: GenerateBody): Conversation {
  const texts: string[] = [];
  if (body.systemInstruction) texts.push(textOf(body.systemInstruction.parts));
  for (const c of body.contents) {
    texts.push(textOf(c.parts));
    for (const p of c.parts) if (p.functionResponse) texts.push(resultText(p.functionResponse.response ?? ''));
  }
  const lastUser = [...body.contents].reverse().find((c) => (c.role ?? 'user') === 'user' && textOf(c.parts).length > 0);
  const last = body.contents[body.contents.length - 1];
  // Parallel calls answer together: every functionResponse part, in order, joined with `; `.
  const results = (last?.parts ?? []).flatMap((p) => (p.functionResponse ? [resultText(p.functionResponse.response ?? '')] : []));
  return {
    texts: texts.filter((t) => t.length > 0),
    lastUserText: lastUser ? textOf(lastUser.parts) : '',
    toolNames: (body.tools ?? []).flatMap((t) => (t.functionDeclarations ?? []).map((f) => f.name)),
    ...(results.length > 0 ? { toolResult: results.join('; ') } : {}),
  };
}

/** promptTokenCount includes cached tokens; candidatesTokenCount excludes thoughts. */
function usageMetadata(usage: UsageCounts, candidates = Math.max(0, usage.outputTokens - usage.reasoningTokens)): Record<string, unknown> {
  return {
    promptTokenCount: usage.inputTokens,
    candidatesTokenCount: candidates,
    totalTokenCount: usage.inputTokens + candidates + usage.reasoningTokens,
    cachedContentTokenCount: usage.cachedInputTokens,
    thoughtsTokenCount: usage.reasoningTokens,
    promptTokensDetails: [{ modality: 'TEXT', tokenCount: usage.inputTokens }],
  };
}

function candidate(parts: unknown[], finishReason: string | undefined): Record<string, unknown> {
  return { content: { parts, role: 'model' }, ...(finishReason !== undefined ? { finishReason } : {}), index: 0 };
}

function whole(model: string, { answer, usage, finishReason }: Decision): Record<string, unknown> {
  // Parallel calls are several functionCall parts of one candidate.
  const parts =
    answer.kind === 'text'
      ? [{ text: answer.text }]
      : answer.calls.map((call) => ({ functionCall: { name: call.name, args: call.args } }));
  return {
    candidates: [candidate(parts, finishReason ?? 'STOP')],
    usageMetadata: usageMetadata(usage),
    modelVersion: model,
    responseId: nextId('resp-'),
  };
}

/** Streamed responses: one per word; function calls arrive whole in one response. */
function responses(model: string, decision: Decision): Record<string, unknown>[] {
  const { answer, usage } = decision;
  const pieces = answer.kind === 'text' ? wordChunks(answer.text) : [];
  if (pieces.length <= 1) return [whole(model, decision)];
  const responseId = nextId('resp-');
  const finalCandidates = Math.max(0, usage.outputTokens - usage.reasoningTokens);
  return pieces.map((text, i) => {
    const last = i === pieces.length - 1;
    const soFar = last ? finalCandidates : Math.round((finalCandidates * (i + 1)) / pieces.length);
    const finishReason = last ? (decision.finishReason ?? 'STOP') : undefined;
    return { candidates: [candidate([{ text }], finishReason)], usageMetadata: usageMetadata(usage, soFar), modelVersion: model, responseId };
  });
}

const pathModel = (req: WireRequest): string | undefined => req.params.model;

function modelPattern(method: string): RegExp {
  return new RegExp(`^/v1beta/models/(?<model>[^/:]+):${method}$`);
}

export const generateContentRoute: Route = {
  method: 'POST',
  pattern: modelPattern('generateContent'),
  family: geminiFamily,
  model: pathModel,
  render(req, options) {
    const parsed = parseBody(GenerateBody, req, geminiFamily);
    if (!parsed.ok) return parsed.reply;
    return json(whole(req.params.model ?? '', decide(toConversation(parsed.value), options)));
  },
};

export const streamGenerateContentRoute: Route = {
  method: 'POST',
  pattern: modelPattern('streamGenerateContent'),
  family: geminiFamily,
  model: pathModel,
  render(req, options) {
    const parsed = parseBody(GenerateBody, req, geminiFamily);
    if (!parsed.ok) return parsed.reply;
    const chunks = responses(req.params.model ?? '', decide(toConversation(parsed.value), options));
    // Without alt=sse the API streams one JSON array of the same responses.
    if (req.query.get('alt') !== 'sse') return json(chunks);
    return sse(chunks.map((chunk): SseEvent => dataEvent(chunk, true)));
  },
};

const EmbedRequest = z.looseObject({
  content: z.looseObject({ parts: z.array(Part) }),
  outputDimensionality: z.number().nullish(),
});

function embedding(request: z.infer<typeof EmbedRequest>): { values: number[] } | undefined {
  const dimensions = request.outputDimensionality ?? DEFAULT_DIMENSIONS;
  if (!isValidDimensions(dimensions)) return undefined;
  return { values: embed(textOf(request.content.parts), dimensions) };
}

const badDimensions = (): ReturnType<Route['render']> =>
  json(withMessage(errorBody(400, undefined), 'Invalid value for outputDimensionality.'), 400);

export const embedContentRoute: Route = {
  method: 'POST',
  pattern: modelPattern('embedContent'),
  family: geminiFamily,
  model: pathModel,
  render(req) {
    const parsed = parseBody(EmbedRequest, req, geminiFamily);
    if (!parsed.ok) return parsed.reply;
    const result = embedding(parsed.value);
    return result ? json({ embedding: result }) : badDimensions();
  },
};

const BatchBody = z.looseObject({ requests: z.array(EmbedRequest).min(1).max(250) });

export const batchEmbedContentsRoute: Route = {
  method: 'POST',
  pattern: modelPattern('batchEmbedContents'),
  family: geminiFamily,
  model: pathModel,
  render(req) {
    const parsed = parseBody(BatchBody, req, geminiFamily);
    if (!parsed.ok) return parsed.reply;
    const embeddings = parsed.value.requests.map(embedding);
    if (embeddings.some((e) => e === undefined)) return badDimensions();
    return json({ embeddings });
  },
};

/** `GET /v1beta/models`: `{ models: [{ name: 'models/…', … }] }`. */
export const modelsListRoute: Route = {
  method: 'GET',
  pattern: /^\/v1beta\/models$/,
  family: geminiFamily,
  model: () => undefined,
  render(_req, _options, context) {
    return json({
      models: context.knownModels.map((id) => ({ name: `models/${id}`, displayName: id, supportedGenerationMethods: ['generateContent', 'countTokens'] })),
    });
  },
};
