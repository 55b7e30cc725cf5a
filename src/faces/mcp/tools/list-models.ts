/** The `list_models` tool: what this gateway serves and what it costs. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Gateway } from '../../../core/types.js';
import { compareByInputPrice, matchesFilter, priceText, toModelView, type ModelView } from '../catalog-view.js';
import { structuredResult } from '../results.js';
import { toolErrorResult } from '../tool-errors.js';

const ModelTypeSchema = z.enum(['language', 'embedding', 'reranking', 'image', 'speech', 'transcription']);

export const ListModelsInputSchema = z.object({
  type: ModelTypeSchema.optional().describe('Only models of this kind: language (chat), embedding, reranking, image, speech (speak) or transcription (transcribe).'),
  provider: z.string().min(1).optional().describe('Only models of this provider, e.g. `openai`.'),
  max_input_price_per_million: z
    .number()
    .nonnegative()
    .optional()
    .describe('Only models whose input price (USD per million tokens) is known and at most this.'),
  min_context_window: z
    .number()
    .int()
    .positive()
    .optional()
    .describe('Only models known to accept at least this many tokens.'),
});

export const ListModelsOutputSchema = z.object({
  models: z.array(
    z.object({
      id: z.string().describe('Pass this as `model` to chat, embed, rerank, generate_image, speak or transcribe.'),
      type: ModelTypeSchema,
      provider: z.string(),
      context_window: z.number().int().nullable(),
      input_per_million: z.number().nullable().describe('USD per million input tokens; null when unknown.'),
      output_per_million: z.number().nullable().describe('USD per million output tokens; null when unknown.'),
      per_image: z.number().optional(),
      per_million_characters: z.number().optional().describe('Speech: USD per million characters.'),
      per_minute: z.number().optional().describe('Transcription: USD per minute of audio.'),
      per_request: z.number().optional().describe('USD per request (per search for rerankers).'),
    }),
  ),
  count: z.number().int().nonnegative(),
});
export type ListModelsToolOutput = z.infer<typeof ListModelsOutputSchema>;

/** Lines of the text listing; the structured content always has every match. */
const MAX_LISTED = 100;

const description = `List the models this Tollgate gateway can call, with their type, provider, context window and price per million tokens, cheapest input first (unknown prices last).
Use it before chat, embed, rerank or generate_image to find a valid \`model\` id, or to pick the cheapest model that fits (filter by type, provider, max_input_price_per_million, min_context_window).
Free: it reads the gateway's catalog and calls no model.`;

export function registerListModelsTool(server: McpServer, gateway: Gateway): void {
  server.registerTool(
    'list_models',
    {
      title: 'List models and prices',
      description,
      inputSchema: ListModelsInputSchema,
      outputSchema: ListModelsOutputSchema,
      annotations: {
        title: 'List models and prices',
        readOnlyHint: true,
        destructiveHint: false,
        idempotentHint: true,
        openWorldHint: false,
      },
    },
    async (input): Promise<CallToolResult> => {
      try {
        const filter = {
          type: input.type,
          provider: input.provider,
          maxInputPricePerMillion: input.max_input_price_per_million,
          minContextWindow: input.min_context_window,
        };
        const models = (await gateway.catalog())
          .map(toModelView)
          .filter((model) => matchesFilter(model, filter))
          .sort(compareByInputPrice);
        return structuredResult({ models, count: models.length } satisfies ListModelsToolOutput, renderList(models));
      } catch (error) {
        return toolErrorResult(error);
      }
    },
  );
}

function renderList(models: ModelView[]): string {
  if (models.length === 0) return 'No model matches these filters; call list_models with fewer filters.';
  const lines = models.slice(0, MAX_LISTED).map((m) => `${m.id} (${m.type}) ${priceText(m)}${m.context_window ? `, ${m.context_window} ctx` : ''}`);
  const more = models.length > MAX_LISTED ? `\n… and ${models.length - MAX_LISTED} more in structuredContent.models.` : '';
  return `${models.length} model${models.length === 1 ? '' : 's'}, cheapest input first:\n${lines.join('\n')}${more}`;
}
