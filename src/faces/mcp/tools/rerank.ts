/** The `rerank` tool: documents ordered by relevance to a query. */
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { Gateway, RerankResult } from '../../../core/types.js';
import { formatCost, structuredResult, modelCallAnnotations } from '../results.js';
import { count, modelArgument, oncePerDefault, servedBy, toolInput, toolOutput } from '../tool-schema.js';
import { toRequestContext } from '../request-context.js';
import { toolErrorResult } from '../tool-errors.js';

export const RerankInputSchema = oncePerDefault((defaultModel) =>
  toolInput({
    model: modelArgument('reranking', defaultModel),
    query: z.string().min(1),
    documents: z.array(z.string()).min(1).max(1000),
    top_n: z.number().int().positive().optional().describe('Return only the best N.'),
  }),
);

export const RerankOutputSchema = toolOutput({
  results: z
    .array(z.object({ index: count, relevance_score: z.number(), document: z.string() }))
    .describe('Best first, each {index (in documents), relevance_score, document}.'),
  ...servedBy,
});
export type RerankToolOutput = z.infer<typeof RerankOutputSchema>;

const description = `Rank documents by relevance to a query. Returns them best first with index and score, and cost_usd.`;

export function registerRerankTool(server: McpServer, gateway: Gateway, defaultModel: string | undefined): void {
  server.registerTool(
    'rerank',
    {
      title: 'Rerank documents',
      description,
      inputSchema: RerankInputSchema(defaultModel),
      outputSchema: RerankOutputSchema,
      annotations: modelCallAnnotations,
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
