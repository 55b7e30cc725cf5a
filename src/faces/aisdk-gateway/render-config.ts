/**
 * `GET /v3/ai/config`: the catalog in the shape the client's `getAvailableModels()` parses
 * (`gatewayAvailableModelsResponseSchema` in `gateway-fetch-metadata.ts`). Its schema wants
 * `pricing` either absent or with both `input` and `output` (USD per token, strings), and
 * `specification.specificationVersion` exactly `v3`; `modelType` outside its known list is
 * dropped by the client, so every catalog type here is one it knows.
 */
import type { CatalogEntry } from '../../core/types.js';

export interface ConfigModelWire {
  id: string;
  name: string;
  description?: string;
  pricing?: { input: string; output: string; input_cache_read?: string; input_cache_write?: string };
  specification: { specificationVersion: 'v3'; provider: string; modelId: string };
  modelType: CatalogEntry['type'];
}

export function renderConfig(catalog: CatalogEntry[]): { models: ConfigModelWire[] } {
  return { models: catalog.map(renderConfigModel) };
}

export function renderConfigModel(entry: CatalogEntry): ConfigModelWire {
  const model: ConfigModelWire = {
    id: entry.id,
    name: entry.name,
    specification: { specificationVersion: 'v3', provider: entry.provider, modelId: entry.id },
    modelType: entry.type,
  };
  const { input, output, input_cache_read, input_cache_write } = entry.pricing;
  // An embedding model has an input price only; its output costs nothing.
  if (input !== undefined && (output !== undefined || entry.type === 'embedding')) {
    model.pricing = {
      input,
      output: output ?? '0',
      ...(input_cache_read !== undefined ? { input_cache_read } : {}),
      ...(input_cache_write !== undefined ? { input_cache_write } : {}),
    };
  }
  return model;
}
