/**
 * Under `--workers`, a scrape reaches one worker but must show the whole gateway: the worker
 * asks the primary, which gathers every worker's registry (prom-client's aggregator) and sums
 * them. A single process answers from its own registry.
 */
import cluster from 'node:cluster';
import { randomUUID } from 'node:crypto';
import { AggregatorRegistry } from 'prom-client';
import type { GatewayMetrics } from './metrics.js';

const ASK = 'tollgate:metrics?';
const ANSWER = 'tollgate:metrics';
/** A primary that does not answer (busy, or gone) must not hold a scrape for ever. */
const ANSWER_TIMEOUT_MS = 5_000;

interface Answer {
  type: typeof ANSWER;
  id: string;
  text?: string;
  error?: string;
}

/** In a worker, offers the registry to the primary's aggregator (from the start: counts since then are summed). */
export function shareMetricsWithPrimary(metrics: GatewayMetrics): void {
  if (!cluster.isWorker) return;
  AggregatorRegistry.setRegistries([metrics.registry]);
  // prom-client answers the primary's requests only once an aggregator exists in this process.
  new AggregatorRegistry();
}

export async function clusterMetricsText(metrics: GatewayMetrics): Promise<string> {
  if (!cluster.isWorker || !process.send) return metrics.text();
  const id = randomUUID();
  return new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      process.off('message', onMessage);
      reject(new Error('the primary process did not answer for the workers\' metrics'));
    }, ANSWER_TIMEOUT_MS);
    const onMessage = (message: unknown) => {
      const answer = message as Answer | null;
      if (answer?.type !== ANSWER || answer.id !== id) return;
      clearTimeout(timer);
      process.off('message', onMessage);
      if (answer.text !== undefined) resolve(answer.text);
      else reject(new Error(answer.error ?? 'the workers\' metrics could not be gathered'));
    };
    process.on('message', onMessage);
    process.send!({ type: ASK, id });
  });
}

/**
 * The primary's part: answers a worker's request with the sum over all workers. Call once in
 * the primary before forking.
 */
export function serveClusterMetrics(): void {
  const aggregator = new AggregatorRegistry();
  cluster.on('message', (worker, message: unknown) => {
    const ask = message as { type?: unknown; id?: unknown } | null;
    if (ask?.type !== ASK || typeof ask.id !== 'string') return;
    const id = ask.id;
    aggregator.clusterMetrics().then(
      (text) => worker.send({ type: ANSWER, id, text } satisfies Answer),
      (error: Error) => worker.send({ type: ANSWER, id, error: error.message } satisfies Answer),
    );
  });
}
