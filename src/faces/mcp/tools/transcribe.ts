/** The `transcribe` tool: speech in audio to text. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { sniffAudioType } from '../../../core/audio-type.js';
import { GatewayError } from '../../../core/errors.js';
import type { Gateway, TranscribeRequest, TranscribeResult } from '../../../core/types.js';
import type { Principal } from '../../../policy/types.js';
import { storedIdOf } from '../audio-uri.js';
import { formatCost, structuredResult, modelCallAnnotations } from '../results.js';
import { modelArgument, oncePerDefault, servedBy, toolInput, toolOutput } from '../tool-schema.js';
import { toRequestContext } from '../request-context.js';
import { invalidArgumentsResult, toolErrorResult } from '../tool-errors.js';

export const TranscribeInputSchema = oncePerDefault((defaultModel) =>
  toolInput({
    model: modelArgument('transcription', defaultModel),
    audio_uri: z.string().min(1).optional().describe('tollgate://audio/{id} (from speak).'),
    audio_base64: z.string().min(1).optional().describe('The file, base64.'),
    media_type: z
      .string()
      .regex(/^(audio|video)\/[\w.+-]+$/, 'media_type must look like audio/mpeg')
      .optional()
      .describe('Of audio_base64, unless WAV, MP3, OGG, FLAC, WebM or MP4.'),
    language: z.string().regex(/^[a-z]{2,3}$/i, 'language must be an ISO-639-1 code such as en').optional().describe('ISO-639-1, e.g. en.'),
    prompt: z.string().min(1).optional().describe('Terms that guide the transcript.'),
  }),
);

export const TranscribeOutputSchema = toolOutput({
  text: z.string(),
  language: z.string().nullable(),
  duration_seconds: z.number().nullable(),
  segments: z.array(z.object({ text: z.string(), start_second: z.number(), end_second: z.number() })).describe('Each {text, start_second, end_second}.'),
  ...servedBy,
});
export type TranscribeToolOutput = z.infer<typeof TranscribeOutputSchema>;

const description = `Speech to text from audio_uri or audio_base64. Returns text, language, duration, timed segments and cost_usd.`;

export function registerTranscribeTool(server: McpServer, gateway: Gateway, defaultModel: string | undefined): void {
  server.registerTool(
    'transcribe',
    {
      title: 'Speech to text',
      description,
      inputSchema: TranscribeInputSchema(defaultModel),
      outputSchema: TranscribeOutputSchema,
      annotations: modelCallAnnotations,
    },
    async (input, extra): Promise<CallToolResult> => {
      if ((input.audio_uri === undefined) === (input.audio_base64 === undefined)) {
        return invalidArgumentsResult('Give exactly one of audio_uri (a tollgate://audio/{id} link from speak) and audio_base64 (the file, base64-encoded, with media_type).');
      }
      try {
        const context = toRequestContext(extra);
        const audio = input.audio_uri !== undefined ? await storedAudio(gateway, input.audio_uri, context.principal) : inlineAudio(input.audio_base64!, input.media_type);
        const request: TranscribeRequest = { model: input.model, audio: audio.bytes, mediaType: audio.mediaType };
        if (input.language !== undefined) request.language = input.language.toLowerCase();
        if (input.prompt !== undefined) request.prompt = input.prompt;
        return renderTranscript(await gateway.transcribe(request, context));
      } catch (error) {
        return toolErrorResult(error);
      }
    },
  );
}

async function storedAudio(gateway: Gateway, reference: string, caller: Principal | undefined): Promise<{ bytes: Uint8Array; mediaType: string }> {
  const id = storedIdOf(reference);
  const stored = await gateway.getImage(id, caller);
  if (!stored || !/^(audio|video)\//.test(stored.mediaType)) {
    throw new GatewayError('not_found', `No audio ${reference}; call speak again for a fresh link, or pass the file as audio_base64.`, { param: 'audio_uri' });
  }
  return { bytes: stored.bytes, mediaType: stored.mediaType };
}

function inlineAudio(base64: string, declared: string | undefined): { bytes: Uint8Array; mediaType: string } {
  if (!/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(base64)) {
    throw new GatewayError('invalid_request', 'audio_base64 is not base64; send the file bytes base64-encoded, without a data: prefix', { param: 'audio_base64' });
  }
  const bytes = new Uint8Array(Buffer.from(base64, 'base64'));
  if (bytes.byteLength === 0) throw new GatewayError('invalid_request', 'audio_base64 holds no bytes', { param: 'audio_base64' });
  const mediaType = declared ?? sniffAudioType(bytes);
  if (!mediaType) {
    throw new GatewayError('invalid_request', 'could not tell the audio format; pass media_type (e.g. audio/mpeg, audio/wav)', { param: 'media_type' });
  }
  return { bytes, mediaType };
}

function renderTranscript(result: TranscribeResult): CallToolResult {
  const structured: TranscribeToolOutput = {
    text: result.text,
    language: result.language ?? null,
    duration_seconds: result.durationSeconds ?? null,
    segments: (result.segments ?? []).map((segment) => ({ text: segment.text, start_second: segment.startSecond, end_second: segment.endSecond })),
    model: result.servedModel,
    provider: result.provider,
    cost_usd: result.cost,
  };
  const facts = [result.language ? `language ${result.language}` : '', result.durationSeconds !== undefined ? `${result.durationSeconds} s` : '']
    .filter(Boolean)
    .join(', ');
  return structuredResult(structured, `${result.text}\n— ${result.servedModel}${facts ? ` (${facts})` : ''}, ${formatCost(result.cost)}.`);
}
