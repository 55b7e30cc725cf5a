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

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];
const CIRCUIT_VALUE = { closed: 0, 'half-open': 0.5, open: 1 } as const;

export class GatewayMetrics implements HookSubscriber {
  readonly registry = new Registry();
  private readonly requests: Counter;
  private readonly duration: Histogram;
  private readonly ttft: Histogram;
  private readonly tokens: Counter;
  private readonly cost: Counter;
  private readonly attempts: Counter;
  private readonly fallbacks: Counter;
  private readonly cacheHits: Counter;
  private readonly inFlight: Gauge;
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
    this.requests = new Counter({ name: 'tollgate_requests_total', help: 'Requests settled, by face, served model, provider, status and error kind.', labelNames: requestLabels, registers });
    this.duration = new Histogram({ name: 'tollgate_request_duration_seconds', help: 'Time from receiving a request to settling it.', labelNames: ['face', 'model'], buckets: DURATION_BUCKETS, registers });
    this.ttft = new Histogram({ name: 'tollgate_time_to_first_token_seconds', help: 'Time from receiving a streamed request to its first generated output.', labelNames: ['model'], buckets: DURATION_BUCKETS, registers });
    this.tokens = new Counter({ name: 'tollgate_tokens_total', help: 'Tokens billed, by model and type.', labelNames: ['model', 'type'], registers });
    this.cost = new Counter({ name: 'tollgate_cost_usd_total', help: 'Spend in USD, by model and provider (unpriced usage counts nothing).', labelNames: ['model', 'provider'], registers });
    this.attempts = new Counter({ name: 'tollgate_upstream_attempts_total', help: 'Upstream attempts, by provider, model and outcome.', labelNames: ['provider', 'model', 'outcome'], registers });
    this.fallbacks = new Counter({ name: 'tollgate_fallbacks_total', help: 'Moves from one model to another within a request.', registers });
    this.cacheHits = new Counter({ name: 'tollgate_cache_hits_total', help: 'Requests answered from the response cache, with no upstream call, by face and model.', labelNames: ['face', 'model'], registers });
    this.inFlight = new Gauge({ name: 'tollgate_requests_in_flight', help: 'Requests received and not yet settled.', registers });
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
    this.inFlight.inc();
  }

  attemptEnded(event: AttemptEnded): void {
    this.attemptedModels.add(event.model);
    this.attempts.inc({ provider: event.provider, model: event.model, outcome: event.errorKind ?? event.outcome });
  }

  settled({ request, attempts }: RequestSettled): void {
    // A refusal counted before any hold was taken was received too: both end here.
    this.inFlight.dec();
    if (request.servedModel) this.servedModels.add(request.servedModel);
    const model = request.servedModel ?? (this.servedModels.has(request.requestedModel) ? request.requestedModel : 'other');
    const labels: Record<string, string> = {
      face: request.face,
      model,
      provider: request.provider ?? '',
      status: request.status,
      error_kind: request.errorKind ?? '',
    };
    if (this.perKey) labels.key = request.keyName ?? '';
    if (this.perUser) labels.user = request.user ?? '';
    this.requests.inc(labels);
    if (request.cacheHit) this.cacheHits.inc({ face: request.face, model });
    this.duration.observe({ face: request.face, model }, request.latencyMs / 1000);
    if (request.ttftMs !== null) this.ttft.observe({ model }, request.ttftMs / 1000);
    const usage = request.usage;
    if (usage.input) this.tokens.inc({ model, type: 'input' }, usage.input);
    if (usage.output) this.tokens.inc({ model, type: 'output' }, usage.output);
    if (usage.cacheRead) this.tokens.inc({ model, type: 'cached' }, usage.cacheRead);
    if (usage.reasoning) this.tokens.inc({ model, type: 'reasoning' }, usage.reasoning);
    // Failed attempts may be billed too: each attempt's cost goes to its own model.
    let moves = 0;
    for (let index = 0; index < attempts.length; index++) {
      const attempt = attempts[index]!;
      if (attempt.costNanos) this.cost.inc({ model: attempt.model, provider: attempt.provider }, attempt.costNanos / 1e9);
      if (index > 0 && attempt.model !== attempts[index - 1]!.model) moves += 1;
    }
    if (moves) this.fallbacks.inc(moves);
  }

  /** The text format Prometheus scrapes. */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  get contentType(): string {
    return this.registry.contentType;
  }
}
