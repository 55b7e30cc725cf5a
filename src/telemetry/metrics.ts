/**
 * Prometheus metrics, fed by the core's hooks. Labels stay bounded: models are the served ones
 * (a requested name that has never been served counts as `other`: clients can make up any
 * name), and keys and users label the request counters only when config asks for it.
 */
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Config } from '../config/schema.js';
import type { AttemptEnded, HookSubscriber, RequestReceived, RequestSettled } from '../core/hooks.js';
import type { BudgetStatus } from '../core/types.js';

export interface MetricsSources {
  /** The configured budgets, read at scrape time. */
  budgets(): Promise<BudgetStatus[]>;
  /** A circuit's state, read at scrape time for each model attempted so far. */
  circuitState(model: string): Promise<'closed' | 'open' | 'half-open'>;
}

/** One series: its labels, and what has been counted for it. */
interface Series<Counts> {
  labels: Record<string, string>;
  counts: Counts;
}

/**
 * Series by their label values, found through one map per label (no key string is built per
 * count), and listed in the order they first appeared, as prom-client lists its own.
 */
class SeriesIndex<Counts> {
  private readonly root = new Map<string, unknown>();
  readonly list: Series<Counts>[] = [];

  constructor(
    private readonly labelNames: readonly string[],
    private readonly fresh: () => Counts,
  ) {}

  /** `values` in the order of the label names. */
  of(values: readonly string[]): Counts {
    const last = values.length - 1;
    if (last < 0) return (this.list[0] ??= { labels: {}, counts: this.fresh() }).counts;
    let level = this.root;
    for (let index = 0; index < last; index++) {
      let next = level.get(values[index]!) as Map<string, unknown> | undefined;
      if (next === undefined) level.set(values[index]!, (next = new Map()));
      level = next;
    }
    let found = level.get(values[last]!) as Series<Counts> | undefined;
    if (found === undefined) {
      found = { labels: Object.fromEntries(this.labelNames.map((name, index) => [name, values[index]!])), counts: this.fresh() };
      level.set(values[last]!, found);
      this.list.push(found);
    }
    return found.counts;
  }
}

/**
 * A counter's totals by label values, kept here and written into the prom-client counter when it
 * is scraped: prom-client builds, checks and hashes a label string on every `inc`, which cost
 * more per request than the rest of the metrics together.
 */
class Tally {
  private readonly series: SeriesIndex<{ total: number }>;

  constructor(
    private readonly labelNames: readonly string[],
    /** How many units counted here make one of the counter's (nanos are summed exactly, then shown in USD). */
    private readonly perUnit = 1,
  ) {
    this.series = new SeriesIndex(labelNames, () => ({ total: 0 }));
  }

  /** `values` in the order of the label names. */
  add(values: readonly string[], by = 1): void {
    this.series.of(values).total += by;
  }

  /** A counter that shows these totals: emptied, then set, at each scrape. */
  counter(configuration: { name: string; help: string; registers: Registry[] }): Counter {
    const { series, perUnit } = this;
    return new Counter({
      ...configuration,
      labelNames: this.labelNames,
      collect() {
        this.reset();
        for (const { labels, counts } of series.list) this.inc(labels, counts.total / perUnit);
      },
    });
  }
}

/** A histogram series as prom-client keeps it (`bucketValues` by upper bound, not cumulative). */
interface HistogramSeries {
  labels: Record<string, string>;
  bucketValues: Record<number, number>;
  sum: number;
  count: number;
}

/**
 * A histogram's observations by label values, kept here and handed to the prom-client histogram
 * when it is scraped, for the reason of `Tally`: prom-client checks and hashes the labels of
 * every `observe`. The sum is added up in the same order, so it is the same number.
 */
class HistogramTally {
  private readonly series: SeriesIndex<{ buckets: Float64Array; sum: number; count: number }>;

  constructor(
    private readonly labelNames: readonly string[],
    private readonly bounds: readonly number[],
  ) {
    this.series = new SeriesIndex(labelNames, () => ({ buckets: new Float64Array(bounds.length), sum: 0, count: 0 }));
  }

  observe(values: readonly string[], value: number): void {
    // prom-client refused such a value (it threw); one must not make the sum NaN for good.
    if (!Number.isFinite(value)) return;
    const counts = this.series.of(values);
    const bounds = this.bounds;
    // prom-client's bucket: the first bound at or above the value; above them all, none.
    for (let index = 0; index < bounds.length; index++) {
      if (value <= bounds[index]!) {
        counts.buckets[index]! += 1;
        break;
      }
    }
    counts.sum += value;
    counts.count += 1;
  }

  /** A histogram that shows these observations, set anew at each scrape. */
  histogram(configuration: { name: string; help: string; registers: Registry[] }): Histogram {
    const { series, bounds } = this;
    return new Histogram({
      ...configuration,
      labelNames: this.labelNames,
      buckets: [...bounds],
      collect() {
        // prom-client has no setter for a histogram's series: its own map is replaced, in its own shape.
        const hashMap: Record<string, HistogramSeries> = {};
        series.list.forEach(({ labels, counts }, index) => {
          const bucketValues: Record<number, number> = {};
          bounds.forEach((bound, at) => (bucketValues[bound] = counts.buckets[at]!));
          hashMap[`series ${index}`] = { labels, bucketValues, sum: counts.sum, count: counts.count };
        });
        (this as unknown as { hashMap: Record<string, HistogramSeries> }).hashMap = hashMap;
      },
    });
  }
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const CIRCUIT_VALUE = { closed: 0, 'half-open': 0.5, open: 1 } as const;

export class GatewayMetrics implements HookSubscriber {
  readonly registry = new Registry();
  private readonly requests: Tally;
  private readonly duration = new HistogramTally(['face', 'model'], DURATION_BUCKETS);
  private readonly ttft = new HistogramTally(['model'], DURATION_BUCKETS);
  private readonly tokens = new Tally(['model', 'type']);
  private readonly costNanos = new Tally(['model', 'provider'], 1e9);
  private readonly attempts = new Tally(['provider', 'model', 'outcome']);
  private readonly fallbacks = new Tally([]);
  private readonly cacheHits = new Tally(['face', 'model']);
  private inFlight = 0;
  private readonly attemptedModels = new Set<string>();
  private readonly servedModels = new Set<string>();
  private readonly perKey: boolean;
  private readonly perUser: boolean;

  constructor(
    telemetry: Config['telemetry'],
    private readonly sources: MetricsSources,
  ) {
    this.perKey = telemetry.metricsPerKey;
    this.perUser = telemetry.metricsPerUser;
    const registers = [this.registry];
    const requestLabels = ['face', 'model', 'provider', 'status', 'error_kind', ...(this.perKey ? ['key'] : []), ...(this.perUser ? ['user'] : [])];
    this.requests = new Tally(requestLabels);
    this.requests.counter({ name: 'tollgate_requests_total', help: 'Requests settled, by face, served model, provider, status and error kind.', registers });
    this.duration.histogram({ name: 'tollgate_request_duration_seconds', help: 'Time from receiving a request to settling it.', registers });
    this.ttft.histogram({ name: 'tollgate_time_to_first_token_seconds', help: 'Time from receiving a streamed request to its first generated output.', registers });
    this.tokens.counter({ name: 'tollgate_tokens_total', help: 'Tokens billed, by model and type.', registers });
    this.costNanos.counter({ name: 'tollgate_cost_usd_total', help: 'Spend in USD, by model and provider (unpriced usage counts nothing).', registers });
    this.attempts.counter({ name: 'tollgate_upstream_attempts_total', help: 'Upstream attempts, by provider, model and outcome.', registers });
    this.fallbacks.counter({ name: 'tollgate_fallbacks_total', help: 'Moves from one model to another within a request.', registers });
    this.cacheHits.counter({ name: 'tollgate_cache_hits_total', help: 'Requests answered from the response cache, with no upstream call, by face and model.', registers });
    const inFlight = () => this.inFlight;
    new Gauge({
      name: 'tollgate_requests_in_flight',
      help: 'Requests received and not yet settled.',
      registers,
      collect() {
        this.set(inFlight());
      },
    });
    const { sources: read, attemptedModels } = this;
    new Gauge({
      name: 'tollgate_budget_remaining_usd',
      help: 'What is left of each configured budget in its current period.',
      labelNames: ['scope', 'id', 'period'],
      registers,
      // Every worker reads the same shared budget: summing them would count it once per worker.
      aggregator: 'first',
      async collect() {
        this.reset();
        for (const budget of await read.budgets()) this.set({ scope: budget.scope, id: budget.scopeId, period: budget.period }, budget.remainingUsd);
      },
    });
    new Gauge({
      name: 'tollgate_circuit_state',
      help: 'Circuit breaker of each model attempted: 0 closed, 0.5 half-open (a trial is allowed), 1 open.',
      labelNames: ['model'],
      registers,
      aggregator: 'max',
      async collect() {
        for (const model of attemptedModels) this.set({ model }, CIRCUIT_VALUE[await read.circuitState(model)]);
      },
    });
  }

  requestReceived(_event: RequestReceived): void {
    this.inFlight += 1;
  }

  attemptEnded(event: AttemptEnded): void {
    this.attemptedModels.add(event.model);
    this.attempts.add([event.provider, event.model, event.errorKind ?? event.outcome]);
  }

  settled({ request, attempts }: RequestSettled): void {
    // A refusal counted before any hold was taken was received too: both end here.
    this.inFlight -= 1;
    if (request.servedModel) this.servedModels.add(request.servedModel);
    const model = request.servedModel ?? (this.servedModels.has(request.requestedModel) ? request.requestedModel : 'other');
    const values = [request.face, model, request.provider ?? '', request.status, request.errorKind ?? ''];
    if (this.perKey) values.push(request.keyName ?? '');
    if (this.perUser) values.push(request.user ?? '');
    this.requests.add(values);
    if (request.cacheHit) this.cacheHits.add([request.face, model]);
    this.duration.observe([request.face, model], request.latencyMs / 1000);
    if (request.ttftMs !== null) this.ttft.observe([model], request.ttftMs / 1000);
    const usage = request.usage;
    if (usage.input) this.tokens.add([model, 'input'], usage.input);
    if (usage.output) this.tokens.add([model, 'output'], usage.output);
    if (usage.cacheRead) this.tokens.add([model, 'cached'], usage.cacheRead);
    if (usage.reasoning) this.tokens.add([model, 'reasoning'], usage.reasoning);
    // Failed attempts may be billed too: each attempt's cost goes to its own model.
    let moves = 0;
    for (let index = 0; index < attempts.length; index++) {
      const attempt = attempts[index]!;
      if (attempt.costNanos) this.costNanos.add([attempt.model, attempt.provider], attempt.costNanos);
      if (index > 0 && attempt.model !== attempts[index - 1]!.model) moves += 1;
    }
    if (moves) this.fallbacks.add([], moves);
  }

  /** The text format Prometheus scrapes. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
