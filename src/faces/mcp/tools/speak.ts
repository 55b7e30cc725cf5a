/** The `speak` tool: text to speech, kept by the gateway and linked as a resource. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Gateway, SpeechResult } from '../../../core/types.js';
import { audioUri } from '../audio-uri.js';
import { CostSchema, formatCost, modelCallAnnotations } from '../results.js';
import { toRequestContext } from '../request-context.js';
import { toolErrorResult } from '../tool-errors.js';

export const SpeakInputSchema = z.object({
  model: z
    .string()
    .min(1)
    .default('mock/speak')
    .describe('Speech model id as `provider/model`, e.g. openai/gpt-4o-mini-tts (list_models with type "speech" shows them).'),
  text: z.string().min(1).max(4096).describe('What to say, at most 4096 characters (speech is priced per character).'),
  voice: z.string().min(1).optional().describe("The provider's voice name, e.g. alloy, nova or coral for OpenAI."),
  format: z.enum(['mp3', 'wav', 'opus', 'aac', 'flac', 'pcm']).optional().describe('Audio format; the model default (mp3 for OpenAI) when absent.'),
  speed: z.number().min(0.25).max(4).optional().describe('0.25 to 4; 1 is normal.'),
  instructions: z.string().min(1).optional().describe('How to speak, e.g. "calm and slow" (models that support it).'),
});

export const SpeakOutputSchema = z.object({
  audio: z.object({
    id: z.string(),
    uri: z.string().describe('Read this resource to get the audio bytes; pass it to transcribe as audio_uri.'),
    media_type: z.string().describe('What was made, which may differ from the format asked for.'),
    bytes: z.number().int().nonnegative(),
  }),
  characters: z.number().int().nonnegative().describe('Characters spoken: the unit speech is priced in.'),
  model: z.string(),
  provider: z.string(),
  cost_usd: CostSchema,
});
export type SpeakToolOutput = z.infer<typeof SpeakOutputSchema>;

/** Larger audio is only linked: inline audio that big would crowd the client's context. */
export const MAX_INLINE_AUDIO_BYTES = 256 * 1024;

const description = `Turn text into spoken audio with a text-to-speech model through the Tollgate gateway.
Use it when the user wants to hear something, or needs an audio file (narration, a voice prompt, a test clip).
Returns a resource link (tollgate://audio/{id}; read it to get the bytes, or pass it to transcribe) and, when small enough, the audio inline; structuredContent has id, uri, media type, size, characters and cost. Costs money on paid models (per character); \`mock/speak\` makes a WAV tone as long as the text.`;

export function registerSpeakTool(server: McpServer, gateway: Gateway): void {
  server.registerTool(
    'speak',
    {
      title: 'Speak text (text to speech)',
      description,
      inputSchema: SpeakInputSchema,
      outputSchema: SpeakOutputSchema,
      annotations: { title: 'Speak text (text to speech)', ...modelCallAnnotations },
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
