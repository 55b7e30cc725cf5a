/** The `embed` tool: embedding vectors for texts. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { EmbedResult, Gateway } from '../../../core/types.js';
import { UsageSchema, formatCost, structuredResult, toUsageOutput, modelCallAnnotations } from '../results.js';
import { count, modelArgument, oncePerDefault, servedBy, toolInput, toolOutput } from '../tool-schema.js';
import { toRequestContext } from '../request-context.js';
import { toolErrorResult } from '../tool-errors.js';

export const EmbedInputSchema = oncePerDefault((defaultModel) =>
  toolInput({
    model: modelArgument('embedding', defaultModel),
    texts: z.array(z.string()).min(1).max(2048),
    dimensions: z.number().int().positive().optional().describe('Shorter vectors, where the model supports it.'),
  }),
);

export const EmbedOutputSchema = toolOutput({
  embeddings: z.array(z.array(z.number())).describe('One vector per text, in input order.'),
  dimensions: count,
  usage: UsageSchema,
  ...servedBy,
});
export type EmbedToolOutput = z.infer<typeof EmbedOutputSchema>;

/** Vectors with more numbers than this are summarised in the text block, not written out. */
const MAX_NUMBERS_IN_TEXT = 2_000;

const description = `Embedding vectors for texts, e.g. for semantic search (embed query and candidates with one model; compare by cosine). Returns embeddings, usage and cost_usd.`;

export function registerEmbedTool(server: McpServer, gateway: Gateway, defaultModel: string | undefined): void {
  server.registerTool(
    'embed',
    {
      title: 'Embed texts',
      description,
      inputSchema: EmbedInputSchema(defaultModel),
      outputSchema: EmbedOutputSchema,
      annotations: modelCallAnnotations,
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
