import type { Logger } from 'pino';
import { durationMs } from '../domain/duration.js';
import { decideReplicas, initialScalarState, type ScalarState } from '../domain/scalar.js';
import { warmSettings } from '../domain/warm.js';
import type { PoolTarget, ReplicaPools } from '../executors/executor.js';
import type { FunctionRef, Store } from '../store/store.js';
import { Loop } from './loop.js';

/** What the Scalar loop is made with. */
export interface ScalarLoopOptions {
  store: Store;
  pools: ReplicaPools;
  logger: Logger;
  clock: () => Date;
  /** How often it looks (default 1 s). */
  intervalMs: number;
  /** How long a larger size wanted holds off a scale-down (default 30 s). */
  stabilizationMs: number;
  /** Executions claimed for replicas of a function so far. */
  claimed(fn: FunctionRef): number;
  meanDurationMs(fn: FunctionRef): number;
}

/** What the loop remembers of one pool between passes. */
interface Tracked {
  state: ScalarState;
  queued: number;
  claimed: number;
}

/**
 * The Scalar: one level-triggered loop that reads every warm function's queue and running work,
 * decides each pool's size with the pure rule in src/domain/scalar.ts, and hands all the sizes to
 * the pools at once. A restart forgets only the rule's memory (the window, the idle clock), so it
 * at worst holds a size longer than needed.
 */
export class ScalarLoop {
  private readonly loop: Loop;
  private readonly tracked = new Map<string, Tracked>();
  /** Size changes decided so far (a metric). */
  scaleEvents = 0;
  /** True while some warm pool is at zero: an invocation then wakes the loop, not its next tick. */
  private someAtZero = true;

  constructor(private readonly options: ScalarLoopOptions) {
    this.loop = new Loop('scalar', options.intervalMs, () => this.pass(), (name, error) => options.logger.error({ err: error }, `${name} pass failed`));
  }

  start(): void {
    this.loop.start();
  }

  stop(): Promise<void> {
    return this.loop.stop();
  }

  /** Looks now (a deploy changed what is warm). */
  wake(): void {
    this.loop.wake();
  }

  /** Work arrived: looks now if a pool is at zero (its first replica should not wait a tick). */
  arrived(): void {
    if (this.someAtZero) this.loop.wake();
  }

  private async pass(): Promise<void> {
    const { store, pools, clock, logger } = this.options;
    const at = clock().getTime();
    const targets: PoolTarget[] = [];
    const seen = new Set<string>();
    let someAtZero = false;
    for (const fn of await store.listFunctions()) {
      const settings = warmSettings(fn);
      if (!settings) continue;
      const key = `${fn.namespace}/${fn.name}`;
      seen.add(key);
      const counts = await store.countExecutions(fn.namespace, fn.name, ['queued', 'running']);
      const claimed = this.options.claimed(fn);
      const previous = this.tracked.get(key) ?? { state: initialScalarState, queued: counts.queued, claimed };
      const arrivals = Math.max(0, counts.queued - previous.queued + (claimed - previous.claimed));
      const decision = decideReplicas(
        previous.state,
        { at, queued: counts.queued, running: counts.running, arrivals, meanDurationMs: this.options.meanDurationMs(fn) },
        { min: settings.min, max: settings.max, concurrency: settings.concurrency, idleTimeoutMs: durationMs(settings.idleTimeout), stabilizationMs: this.options.stabilizationMs },
      );
      if (decision.change !== 'steady') {
        this.scaleEvents += 1;
        logger.info(
          { function: key, from: previous.state.desired, to: decision.desired, change: decision.change, queued: counts.queued, running: counts.running, arrivalRate: Math.round(decision.state.arrivalRate) },
          `scale ${key}: ${previous.state.desired} -> ${decision.desired} replicas (${decision.change})`,
        );
      }
      this.tracked.set(key, { state: decision.state, queued: counts.queued, claimed });
      if (decision.desired === 0) someAtZero = true;
      targets.push({ fn, settings, desired: decision.desired });
    }
    for (const key of this.tracked.keys()) if (!seen.has(key)) this.tracked.delete(key);
    this.someAtZero = someAtZero;
    pools.resize(targets);
  }
}
