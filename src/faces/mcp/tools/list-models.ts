/** The `list_models` tool: what this gateway serves and what it costs. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Gateway } from '../../../core/types.js';
import { compareByInputPrice, matchesFilter, priceText, toModelView, type ModelView } from '../catalog-view.js';
import { readOnlyAnnotations, structuredResult } from '../results.js';
import { count, toolInput, toolOutput } from '../tool-schema.js';
import { toolErrorResult } from '../tool-errors.js';

const ModelTypeSchema = z.enum(['language', 'embedding', 'reranking', 'image', 'speech', 'transcription']);

export const ListModelsInputSchema = toolInput({
  type: ModelTypeSchema.optional().describe('language: chat; speech: speak.'),
  provider: z.string().min(1).optional(),
  max_input_price_per_million: z.number().nonnegative().optional().describe('USD, at most.'),
  min_context_window: z.number().int().positive().optional(),
});

export const ListModelsOutputSchema = toolOutput({
  models: z
    .array(
      z.object({
        id: z.string(),
        type: ModelTypeSchema,
        provider: z.string(),
        context_window: z.number().nullable(),
        input_per_million: z.number().nullable(),
        output_per_million: z.number().nullable(),
        per_image: z.number().optional(),
        per_million_characters: z.number().optional(),
        per_minute: z.number().optional(),
        per_request: z.number().optional(),
      }),
    )
    .describe(
      'Each {id, type, provider, context_window, input_per_million, output_per_million, per_image, per_million_characters, per_minute, per_request}; USD, null or absent if unknown.',
    ),
  count,
});
export type ListModelsToolOutput = z.infer<typeof ListModelsOutputSchema>;

/** Lines of the text listing; the structured content always has every match. */
const MAX_LISTED = 100;

const description = `Models served here with type, context window and prices, cheapest input first; filter to pick the cheapest that fits. Free.`;

export function registerListModelsTool(server: McpServer, gateway: Gateway): void {
  server.registerTool(
    'list_models',
    {
      title: 'List models and prices',
      description,
      inputSchema: ListModelsInputSchema,
      outputSchema: ListModelsOutputSchema,
      annotations: readOnlyAnnotations,
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
