import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { QueueStats, Store } from '../store/store.js';

/** Seconds, from a few milliseconds (a no-op program) to an hour (a long batch job). */
const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];
/** Seconds a store operation takes: SQLite answers in tens of microseconds, PostgreSQL in milliseconds. */
const storeBuckets = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 5];

/** Labels of every per-function metric. */
type FunctionLabels = { namespace: string; function: string };

/** What the metrics read at scrape time: the store's queue and this controller's attempts. */
export interface MetricsSources {
  store: Pick<Store, 'queueStats' | 'listFunctions'>;
  /** Attempts this controller runs now. */
  inFlight(): number;
  /** This controller's warm pools as the Scalar left them (the engine's poolStatus), read at scrape time. */
  pools?(): readonly PoolGauges[];
  /** Pool size changes the Scalar decided so far. */
  scaleEvents?(): number;
  clock?: () => Date;
}

/** What the metrics read of one warm pool. */
export interface PoolGauges {
  namespace: string;
  name: string;
  desired: number;
  ready: number;
  inFlight: number;
}

/**
 * Where warm pools report: the replicas a function wants and has ready, and the cold starts they
 * could not spare it. A function with no pool registered (desired 0) counts every attempt as a
 * cold start, since each one starts a new program.
 */
export interface WarmReplicaMetrics {
  /** Sets `pontoon_warm_replicas_desired` and `_ready` of one function; call on every change. */
  warmReplicas(namespace: string, fn: string, replicas: { desired: number; ready: number }): void;
  /** Counts an attempt of a pooled function that had to start a new program. */
  coldStart(namespace: string, fn: string): void;
}

/**
 * The controller's Prometheus metrics. Counters and histograms move at the transition they count
 * (see instrumented-store.ts), so a scrape never recounts the executions table; the queue gauges
 * are read from the store at scrape time with one indexed query over queued rows only
 * (Store.queueStats), so they agree across every controller sharing the store. Counters are per
 * controller: sum them across controllers in queries.
 */
export class PontoonMetrics implements WarmReplicaMetrics {
  /** Every metric of this controller, the process's own included (`pontoon_process_…`, `pontoon_nodejs_…`). */
  readonly registry = new Registry();
  private readonly registers = [this.registry];
  private readonly pooled = new Set<string>();
  private snapshot: Promise<{ queues: QueueStats[]; functions: FunctionLabels[]; now: number }> | undefined;

  /** Executions stored by an invocation, an event or a schedule. */
  readonly submitted = new Counter({ name: 'pontoon_executions_submitted_total', help: 'Executions submitted, by function', labelNames: ['namespace', 'function'], registers: this.registers });
  /** Executions whose first attempt started. */
  readonly started = new Counter({ name: 'pontoon_executions_started_total', help: 'Executions whose first attempt started, by function', labelNames: ['namespace', 'function'], registers: this.registers });
  /** Executions that reached a terminal status. */
  readonly ended = new Counter({ name: 'pontoon_executions_ended_total', help: 'Executions ended, by function and outcome', labelNames: ['namespace', 'function', 'status'], registers: this.registers });
  /** Attempts started (first attempts and retries). */
  readonly attemptsStarted = new Counter({ name: 'pontoon_attempts_started_total', help: 'Attempts started, by function', labelNames: ['namespace', 'function'], registers: this.registers });
  /** Attempts settled, by how they ended. */
  readonly attemptsEnded = new Counter({ name: 'pontoon_attempts_ended_total', help: 'Attempts settled, by function and outcome', labelNames: ['namespace', 'function', 'status'], registers: this.registers });
  /** Failed, timed out or lost attempts followed by another. */
  readonly retries = new Counter({ name: 'pontoon_retries_total', help: 'Attempts retried, by function', labelNames: ['namespace', 'function'], registers: this.registers });
  /** Attempts counted lost because their lease ran out. */
  readonly leaseExpiries = new Counter({ name: 'pontoon_lease_expiries_total', help: 'Attempts lost because their lease expired, by function', labelNames: ['namespace', 'function'], registers: this.registers });
  /** Attempts that started a new program rather than use a warm replica. */
  readonly coldStarts = new Counter({ name: 'pontoon_cold_starts_total', help: 'Attempts that started a new program (no warm replica), by function', labelNames: ['namespace', 'function'], registers: this.registers });
  /** From an attempt's start to its settlement. */
  readonly attemptDuration = new Histogram({ name: 'pontoon_attempt_duration_seconds', help: 'Attempt duration, by function and outcome', labelNames: ['namespace', 'function', 'status'], buckets: durationBuckets, registers: this.registers });
  /** From an execution's submission to the start of its first attempt. */
  readonly queueWait = new Histogram({ name: 'pontoon_execution_queue_wait_seconds', help: 'Time from submission to the first attempt, by function', labelNames: ['namespace', 'function'], buckets: durationBuckets, registers: this.registers });
  /** Each call of the Store port, timed around the adapter. */
  readonly storeLatency = new Histogram({ name: 'pontoon_store_operation_duration_seconds', help: 'Store operation latency, by operation', labelNames: ['operation'], buckets: storeBuckets, registers: this.registers });
  private readonly desired = this.poolGauge('pontoon_warm_replicas_desired', 'Warm replicas a function wants', (pool) => pool.desired);
  private readonly ready = this.poolGauge('pontoon_warm_replicas_ready', 'Warm replicas ready to take an attempt', (pool) => pool.ready);

  constructor(private readonly sources: MetricsSources) {
    collectDefaultMetrics({ register: this.registry, prefix: 'pontoon_' });
    const metrics = this;
    new Gauge({
      name: 'pontoon_attempts_in_flight',
      help: 'Attempts this controller runs now',
      registers: this.registers,
      collect() {
        this.set(sources.inFlight());
      },
    });
    const queueGauge = (name: string, help: string, value: (queue: QueueStats | undefined, now: number) => number | undefined) =>
      new Gauge({
        name,
        help,
        labelNames: ['namespace', 'function'],
        registers: this.registers,
        async collect() {
          const { queues, functions, now } = await metrics.queueSnapshot();
          const byFunction = new Map(queues.map((queue) => [labelKey(queue.namespace, queue.function), queue]));
          this.reset();
          for (const labels of functions) {
            const found = value(byFunction.get(labelKey(labels.namespace, labels.function)), now);
            if (found !== undefined) this.set(labels, found);
          }
        },
      });
    this.poolGauge('pontoon_warm_invocations_in_flight', 'Executions in flight on the warm replicas of a function', (pool) => pool.inFlight);
    new Counter({
      name: 'pontoon_scalar_scale_events_total',
      help: 'Pool size changes the Scalar decided',
      registers: this.registers,
      collect() {
        this.reset();
        this.inc(sources.scaleEvents?.() ?? 0);
      },
    });
    queueGauge('pontoon_queue_depth', 'Queued executions, backoffs included, by function', (queue) => queue?.queued ?? 0);
    queueGauge('pontoon_queue_ready', 'Queued executions that may start now, by function', (queue) => queue?.ready ?? 0);
    queueGauge('pontoon_queue_oldest_ready_age_seconds', 'Age of the oldest execution that may start now, by function (0 when none)', (queue, now) =>
      queue?.oldestReadyAt ? Math.max(0, (now - Date.parse(queue.oldestReadyAt)) / 1000) : 0,
    );
  }

  /** Sets the warm replicas of a function; a function with none desired counts every attempt as a cold start again. */
  warmReplicas(namespace: string, fn: string, replicas: { desired: number; ready: number }): void {
    const labels = { namespace, function: fn };
    this.desired.set(labels, replicas.desired);
    this.ready.set(labels, replicas.ready);
    if (replicas.desired > 0) this.pooled.add(labelKey(namespace, fn));
    else this.pooled.delete(labelKey(namespace, fn));
  }

  /** Counts a cold start of a pooled function (the pool calls it). */
  coldStart(namespace: string, fn: string): void {
    this.coldStarts.inc({ namespace, function: fn });
  }

  /** True when a warm pool reports the cold starts of this function itself. */
  hasWarmPool(namespace: string, fn: string): boolean {
    if (this.pooled.has(labelKey(namespace, fn))) return true;
    return (this.sources.pools?.() ?? []).some((pool) => pool.namespace === namespace && pool.name === fn && pool.desired > 0);
  }

  /**
   * A per-function gauge of the warm pools: read from the engine at scrape time when it shows its
   * pools (sources.pools), and otherwise as last set through warmReplicas().
   */
  private poolGauge(name: string, help: string, value: (pool: PoolGauges) => number): Gauge {
    const sources = () => this.sources;
    return new Gauge({
      name,
      help,
      labelNames: ['namespace', 'function'],
      registers: this.registers,
      collect() {
        const pools = sources().pools?.();
        if (!pools) return;
        this.reset();
        for (const pool of pools) this.set({ namespace: pool.namespace, function: pool.name }, value(pool));
      },
    });
  }

  /** The Prometheus text of every metric. */
  async scrape(): Promise<string> {
    return this.registry.metrics();
  }

  /**
   * One read of the store per scrape, shared by the three queue gauges: prom-client collects
   * every metric of a scrape at once, so they all join the read in flight.
   */
  private queueSnapshot(): Promise<{ queues: QueueStats[]; functions: FunctionLabels[]; now: number }> {
    if (this.snapshot) return this.snapshot;
    const now = (this.sources.clock ?? (() => new Date()))();
    const read = Promise.all([this.sources.store.queueStats(now.toISOString()), this.sources.store.listFunctions()]).then(([queues, functions]) => {
      const labels = new Map<string, FunctionLabels>();
      // Deployed functions read 0 rather than vanish; a deleted one keeps its gauges while it still has work queued.
      for (const fn of functions) labels.set(labelKey(fn.namespace, fn.name), { namespace: fn.namespace, function: fn.name });
      for (const queue of queues) labels.set(labelKey(queue.namespace, queue.function), { namespace: queue.namespace, function: queue.function });
      return { queues, functions: [...labels.values()], now: now.getTime() };
    });
    this.snapshot = read;
    const forget = () => {
      if (this.snapshot === read) this.snapshot = undefined;
    };
    read.then(forget, forget);
    return read;
  }
}

function labelKey(namespace: string, fn: string): string {
  return `${namespace}/${fn}`;
}
