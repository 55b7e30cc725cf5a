/** The `embed` tool: embedding vectors for texts. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { EmbedResult, Gateway } from '../../../core/types.js';
import { CostSchema, UsageSchema, formatCost, structuredResult, toUsageOutput, modelCallAnnotations } from '../results.js';
import { toRequestContext } from '../request-context.js';
import { toolErrorResult } from '../tool-errors.js';

export const EmbedInputSchema = z.object({
  model: z
    .string()
    .min(1)
    .default('mock/embed')
    .describe('Embedding model id as `provider/model` (list_models with type "embedding" shows them).'),
  texts: z.array(z.string()).min(1).max(2048).describe('The texts to embed, 1 to 2048 of them.'),
  dimensions: z.number().int().positive().optional().describe('Shorter vectors, for models that support it.'),
});

export const EmbedOutputSchema = z.object({
  embeddings: z.array(z.array(z.number())).describe('One vector per input text, in input order.'),
  dimensions: z.number().int().nonnegative(),
  model: z.string(),
  provider: z.string(),
  usage: UsageSchema,
  cost_usd: CostSchema,
});
export type EmbedToolOutput = z.infer<typeof EmbedOutputSchema>;

/** Vectors with more numbers than this are summarised in the text block, not written out. */
const MAX_NUMBERS_IN_TEXT = 2_000;

const description = `Turn texts into embedding vectors with an embedding model through the Tollgate gateway.
Use it for semantic search, clustering or similarity: embed the query and the candidates with the same model and compare by cosine similarity.
Returns one vector per text in structuredContent.embeddings (in input order), with the model, token usage and cost. Costs money on paid models.`;

export function registerEmbedTool(server: McpServer, gateway: Gateway): void {
  server.registerTool(
    'embed',
    {
      title: 'Embed texts',
      description,
      inputSchema: EmbedInputSchema,
      outputSchema: EmbedOutputSchema,
      annotations: { title: 'Embed texts', ...modelCallAnnotations },
    },
    async (input, extra): Promise<CallToolResult> => {
      try {
        const result = await gateway.embed(
          { model: input.model, values: input.texts, dimensions: input.dimensions },
          toRequestContext(extra),
        );
        return renderEmbed(result);
      } catch (error) {
        return toolErrorResult(error);
      }
    },
  );
}

function renderEmbed(result: EmbedResult): CallToolResult {
  const dimensions = result.embeddings[0]?.length ?? 0;
  const structured: EmbedToolOutput = {
    embeddings: result.embeddings,
    dimensions,
    model: result.servedModel,
    provider: result.provider,
    usage: toUsageOutput(result.usage),
    cost_usd: result.cost,
  };
  const count = result.embeddings.length;
  const summary = `${count} embedding${count === 1 ? '' : 's'} × ${dimensions} dimensions from ${result.servedModel}, ${result.usage.input} input tokens, ${formatCost(result.cost)}.`;
  const vectors =
    count * dimensions <= MAX_NUMBERS_IN_TEXT
      ? `\n${JSON.stringify(result.embeddings)}`
      : '\nThe vectors are in structuredContent.embeddings (too many numbers to write out here).';
  return structuredResult(structured, summary + vectors);
}
