/** The `speak` tool: text to speech, kept by the gateway and linked as a resource. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Gateway, SpeechResult } from '../../../core/types.js';
import { audioUri } from '../audio-uri.js';
import { formatCost, modelCallAnnotations } from '../results.js';
import { count, modelArgument, oncePerDefault, servedBy, toolInput, toolOutput } from '../tool-schema.js';
import { toRequestContext } from '../request-context.js';
import { toolErrorResult } from '../tool-errors.js';

export const SpeakInputSchema = oncePerDefault((defaultModel) =>
  toolInput({
    model: modelArgument('speech', defaultModel),
    text: z.string().min(1).max(4096),
    voice: z.string().min(1).optional().describe('e.g. alloy, nova, coral (OpenAI).'),
    format: z.enum(['mp3', 'wav', 'opus', 'aac', 'flac', 'pcm']).optional(),
    speed: z.number().min(0.25).max(4).optional(),
    instructions: z.string().min(1).optional().describe('How to speak, e.g. calm and slow.'),
  }),
);

export const SpeakOutputSchema = toolOutput({
  audio: z.object({ id: z.string(), uri: z.string(), media_type: z.string(), bytes: count }).describe('{id, uri, media_type, bytes}'),
  characters: count,
  ...servedBy,
});
export type SpeakToolOutput = z.infer<typeof SpeakOutputSchema>;

/** Larger audio is only linked: inline audio that big would crowd the client's context. */
export const MAX_INLINE_AUDIO_BYTES = 256 * 1024;

const description = `Text to speech. Returns a tollgate://audio/{id} link (read it, or pass it to transcribe), the audio inline when small, and cost_usd.`;

export function registerSpeakTool(server: McpServer, gateway: Gateway, defaultModel: string | undefined): void {
  server.registerTool(
    'speak',
    {
      title: 'Text to speech',
      description,
      inputSchema: SpeakInputSchema(defaultModel),
      outputSchema: SpeakOutputSchema,
      annotations: modelCallAnnotations,
    },
    async (input, extra): Promise<CallToolResult> => {
      try {
        const result = await gateway.speech(
          {
            model: input.model,
            text: input.text,
            store: true,
            ...(input.voice !== undefined ? { voice: input.voice } : {}),
            ...(input.format !== undefined ? { format: input.format } : {}),
            ...(input.speed !== undefined ? { speed: input.speed } : {}),
            ...(input.instructions !== undefined ? { instructions: input.instructions } : {}),
          },
          toRequestContext(extra),
        );
        return renderSpeech(result);
      } catch (error) {
        return toolErrorResult(error);
      }
    },
  );
}

export function renderSpeech(result: SpeechResult): CallToolResult {
  const id = result.id ?? '';
  const structured: SpeakToolOutput = {
    audio: { id, uri: audioUri(id), media_type: result.mediaType, bytes: result.audio.byteLength },
    characters: result.characters,
    model: result.servedModel,
    provider: result.provider,
    cost_usd: result.cost,
  };
  const content: CallToolResult['content'] = [
    {
      type: 'text',
      text: `Spoke ${result.characters} characters with ${result.servedModel}, ${formatCost(result.cost)}:\n${structured.audio.uri} (${result.mediaType}, ${result.audio.byteLength} bytes)`,
    },
  ];
  if (result.audio.byteLength <= MAX_INLINE_AUDIO_BYTES) {
    content.push({ type: 'audio', data: Buffer.from(result.audio).toString('base64'), mimeType: result.mediaType });
  }
  content.push({
    type: 'resource_link',
    uri: structured.audio.uri,
    name: `audio-${id}`,
    title: 'Spoken audio',
    mimeType: result.mediaType,
    size: result.audio.byteLength,
  });
  return { content, structuredContent: structured };
}
