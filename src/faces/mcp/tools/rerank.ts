/** The `rerank` tool: documents ordered by relevance to a query. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Gateway, RerankResult } from '../../../core/types.js';
import { CostSchema, formatCost, structuredResult, modelCallAnnotations } from '../results.js';
import { toRequestContext } from '../request-context.js';
import { toolErrorResult } from '../tool-errors.js';

export const RerankInputSchema = z.object({
  model: z
    .string()
    .min(1)
    .default('mock/rerank')
    .describe('Reranking model id as `provider/model` (list_models with type "reranking" shows them).'),
  query: z.string().min(1).describe('What the documents are ranked against.'),
  documents: z.array(z.string()).min(1).max(1000).describe('The candidate documents.'),
  top_n: z.number().int().positive().optional().describe('Return only the best N.'),
});

export const RerankOutputSchema = z.object({
  results: z
    .array(
      z.object({
        index: z.number().int().nonnegative().describe('Position of the document in the input.'),
        relevance_score: z.number(),
        document: z.string(),
      }),
    )
    .describe('Best first.'),
  model: z.string(),
  provider: z.string(),
  cost_usd: CostSchema,
});
export type RerankToolOutput = z.infer<typeof RerankOutputSchema>;

const description = `Rank documents by how relevant they are to a query, with a reranking model through the Tollgate gateway.
Use it after a broad search to pick the few passages worth reading, or to order candidates before answering.
Returns the documents best first with their input index and relevance score, plus model and cost. Costs money on paid models.`;

export function registerRerankTool(server: McpServer, gateway: Gateway): void {
  server.registerTool(
    'rerank',
    {
      title: 'Rerank documents',
      description,
      inputSchema: RerankInputSchema,
      outputSchema: RerankOutputSchema,
      annotations: { title: 'Rerank documents', ...modelCallAnnotations },
    },
    async (input, extra): Promise<CallToolResult> => {
      try {
        const result = await gateway.rerank(
          { model: input.model, query: input.query, documents: input.documents, topN: input.top_n },
          toRequestContext(extra),
        );
        return renderRerank(result, input.documents);
      } catch (error) {
        return toolErrorResult(error);
      }
    },
  );
}

function renderRerank(result: RerankResult, documents: string[]): CallToolResult {
  const structured: RerankToolOutput = {
    results: result.ranking.map(({ index, relevanceScore }) => ({
      index,
      relevance_score: relevanceScore,
      document: documents[index] ?? '',
    })),
    model: result.servedModel,
    provider: result.provider,
    cost_usd: result.cost,
  };
  const lines = structured.results.map(
    (r, rank) => `${rank + 1}. [${r.index}] ${r.relevance_score.toFixed(4)} ${oneLine(r.document, 120)}`,
  );
  return structuredResult(
    structured,
    `${lines.join('\n')}\n— ${result.servedModel}, ${formatCost(result.cost)}.`,
  );
}

function oneLine(text: string, max: number): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length <= max ? flat : `${flat.slice(0, max - 1)}…`;
}
