import type { Logger } from 'pino';
import { FunctionSecrets } from '../secrets/function-secrets.js';
import { asError } from '../../domain/errors.js';
import { inheritedEnv } from '../../observer/inherited-env.js';
import { Pool, type PoolContext } from './pool.js';
import { RuntimeApi } from './runtime-api.js';
import type { Runtimes } from '../../runtimes/runtime.js';
import type { AttemptRef, ClaimedAttempt, FunctionRef } from '../../store/store.js';
import { byteLimit } from '../attempt-helpers.js';
import type { FunctionUsers } from '../users/function-users.js';
import type { Executor, PoolStatus, PoolTarget, ReplicaPools, StopReason, WaitingReplica, WorkSource } from '../executor.js';

/** What a warm executor is made with. */
export interface WarmExecutorOptions {
  /** Runs everything that is not a warm function's execution (and old versions' ones). */
  cold: Executor;
  runtimes: Runtimes;
  logger: Logger;
  graceMs: number;
  logLimitBytes: number;
  resultLimitBytes: number;
  passEnv?: readonly string[];
  /** How long a new replica may take to ask for work (default 60 s). */
  startTimeoutMs?: number;
  /** Who replicas' processes run as (default: this process's user); share the cold executor's. */
  users?: FunctionUsers;
  /** Resolves spec.secrets for replicas; without it, a warm function with secrets gets no replica. */
  secrets?: FunctionSecrets;
  /** PONTOON_REPLICA_LANES of replicas unless passEnv or the function's env sets it; unset leaves the SDK's default. */
  replicaLanes?: number;
}

const keyOf = (ref: FunctionRef) => `${ref.namespace}/${ref.name}`;

/**
 * The executor port over another executor plus warm replica pools on this machine: on-demand
 * attempts go to the other executor unchanged; a warm function's attempts are taken by its
 * replicas through the runtime API (docs/warm-replicas.md). The engine sees one executor.
 */
export class WarmExecutor implements Executor, ReplicaPools {
  readonly kind: string;
  readonly pools: ReplicaPools = this;
  private readonly api: RuntimeApi;
  private readonly byFunction = new Map<string, Pool>();
  /** Pools of functions no longer warm, draining until their replicas are gone. */
  private readonly retired = new Set<Pool>();
  private workSource: WorkSource | undefined;
  private secrets: FunctionSecrets | undefined;
  private listening: Promise<string> | undefined;
  private closed = false;

  constructor(private readonly options: WarmExecutorOptions) {
    this.kind = options.cold.kind;
    this.api = new RuntimeApi((error) => options.logger.error({ err: error }, 'runtime API request failed'));
  }

  start(claimed: ClaimedAttempt): Promise<void> {
    return this.options.cold.start(claimed);
  }

  async stop(ref: AttemptRef, reason: StopReason): Promise<void> {
    for (const pool of this.allPools()) {
      const replica = pool.replicaOf(ref);
      if (replica) {
        replica.abandon(ref);
        return;
      }
    }
    await this.options.cold.stop(ref, reason);
  }

  running(): AttemptRef[] {
    return [...this.options.cold.running(), ...[...this.allPools()].flatMap((pool) => pool.running())];
  }

  async close(): Promise<void> {
    this.closed = true;
    const pools = [...this.allPools()];
    this.byFunction.clear();
    this.retired.clear();
    await Promise.all(pools.map((pool) => pool.close()));
    await this.api.close();
    await this.options.cold.close();
  }

  attach(source: WorkSource): void {
    this.workSource = source;
  }

  resize(targets: PoolTarget[]): void {
    if (this.closed) return;
    const wanted = new Set<string>();
    for (const target of targets) {
      const key = keyOf(target.fn);
      wanted.add(key);
      let pool = this.byFunction.get(key);
      if (!pool) {
        pool = new Pool({ namespace: target.fn.namespace, name: target.fn.name }, target, this.context());
        this.byFunction.set(key, pool);
      }
      pool.resize(target);
    }
    for (const [key, pool] of this.byFunction) {
      if (wanted.has(key)) continue;
      this.byFunction.delete(key);
      this.retired.add(pool);
      void pool.drainAll('the function is no longer warm');
    }
    for (const pool of this.retired) if (pool.isEmpty()) this.retired.delete(pool);
  }

  served(): FunctionRef[] {
    return [...this.byFunction.values()].filter((pool) => pool.isServing()).map((pool) => pool.ref);
  }

  wake(): void {
    for (const pool of this.byFunction.values()) pool.work.fire();
  }

  freed(): void {
    for (const pool of this.byFunction.values()) pool.freed();
  }

  waiting(fn: FunctionRef, max: number): WaitingReplica | undefined {
    return this.byFunction.get(keyOf(fn))?.waiting(max);
  }

  status(): PoolStatus[] {
    return [...this.byFunction.values()].map((pool) => pool.status());
  }

  private *allPools(): Iterable<Pool> {
    yield* this.byFunction.values();
    yield* this.retired;
  }

  private context(): PoolContext {
    const options = this.options;
    return {
      api: this.api,
      runtimeApi: () => (this.listening ??= this.api.listen()),
      source: () => {
        if (!this.workSource) throw new Error('warm pools are not attached to an engine');
        return this.workSource;
      },
      plan: (target: PoolTarget) => options.runtimes.plan(target.fn),
      // A default: what passEnv or spec.env sets goes over it.
      baseEnv: inheritedEnv(process.env, options.passEnv),
      replicaLanes: options.replicaLanes,
      runCold: (claimed: ClaimedAttempt) => {
        options.cold.start(claimed).catch((thrown) => {
          const ref = { executionId: claimed.execution.id, attempt: claimed.attempt };
          this.workSource?.finished(ref, { status: 'failed', exitCode: null, reason: 'StartFailed', error: asError(thrown).message, result: null });
        });
      },
      logger: options.logger,
      graceMs: options.graceMs,
      logLimitBytes: (target: PoolTarget) => byteLimit(target.fn.document.spec.limits?.logs, options.logLimitBytes),
      resultLimitBytes: (target: PoolTarget) => byteLimit(target.fn.document.spec.limits?.result, options.resultLimitBytes),
      startTimeoutMs: options.startTimeoutMs ?? 60_000,
      ...(options.users ? { users: options.users } : {}),
      secrets: (this.secrets ??= options.secrets ?? new FunctionSecrets(undefined)),
    };
  }
}
