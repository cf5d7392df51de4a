import type { Logger } from 'pino';
import { asError } from '../../domain/errors.js';
import type { PoolStatus, PoolTarget, ReplicaSettlement, WaitingReplica, WorkSource } from '../executor.js';
import type { LaunchPlan } from '../../runtimes/runtime.js';
import type { AttemptRef, ClaimedAttempt, FunctionRef, LogLine } from '../../store/store.js';
import { MissingSecretError, type FunctionSecrets } from '../secrets/function-secrets.js';
import { Replica, type ReplicaHost, type ReplicaOptions } from './replica.js';
import type { RuntimeApi } from './runtime-api.js';
import { WakeSignal } from './wake-signal.js';
import { replicaEnv } from './protocol.js';
import { replicaLanes } from '../../domain/warm.js';
import type { FunctionUsers } from '../users/function-users.js';

/** What every pool of an executor shares. */
export interface PoolContext {
  api: RuntimeApi;
  /** host:port of the runtime API, once it listens. */
  runtimeApi(): Promise<string>;
  source(): WorkSource;
  plan(target: PoolTarget): Promise<LaunchPlan>;
  /** Environment replicas inherit before spec.env (inherited variables only). */
  baseEnv: Record<string, string>;
  /** The store's preference of PONTOON_REPLICA_LANES (replicaLanes in domain/warm.ts), under baseEnv. */
  replicaLanes: number | undefined;
  /** Runs an attempt of another version than the pool's replicas serve, on demand. */
  runCold(claimed: ClaimedAttempt): void;
  logger: Logger;
  graceMs: number;
  logLimitBytes(target: PoolTarget): number;
  resultLimitBytes(target: PoolTarget): number;
  startTimeoutMs: number;
  /** Who replicas' processes run as (default: this process's user). */
  users?: FunctionUsers;
  /** Resolves spec.secrets when a replica starts and redacts their values from what it reports. */
  secrets: FunctionSecrets;
}

/** First and longest wait before starting a replica again after failed starts. */
const backoff = { initialMs: 1000, maxMs: 60_000 };

/**
 * The warm replicas of one function: keeps as many serving the target's version as the Scalar
 * wants, drains those of older versions and any beyond the target, replaces those that die, and
 * backs off (1 s doubling to 1 min) while replicas fail to start.
 */
export class Pool implements ReplicaHost {
  readonly work = new WakeSignal();
  readonly logger: Logger;
  private readonly replicas = new Set<Replica>();
  private failures = 0;
  private notBefore = 0;
  private retryTimer: NodeJS.Timeout | undefined;
  private closed = false;
  /** Replicas whose launch plan is being made: counted as serving, so a reconcile meanwhile starts no more. */
  private pendingStarts = 0;
  /** A version whose launch plan is a program, not a replica (LaunchPlan.replica false): it runs on demand. */
  private programVersion: number | undefined;

  constructor(
    readonly ref: FunctionRef,
    private target: PoolTarget,
    private readonly context: PoolContext,
  ) {
    this.logger = context.logger;
  }

  /** Sets what the Scalar wants and closes the gap. */
  resize(target: PoolTarget): void {
    this.target = target;
    this.reconcile();
  }

  status(): PoolStatus {
    const counts = { ready: 0, starting: 0, draining: 0, inFlight: 0 };
    for (const replica of this.replicas) {
      counts.inFlight += replica.load;
      if (replica.state === 'ready' && replica.version === this.target.fn.version) counts.ready += 1;
      else if (replica.state === 'starting') counts.starting += 1;
      else if (replica.state === 'draining' || replica.state === 'ready') counts.draining += 1;
    }
    return { namespace: this.ref.namespace, name: this.ref.name, version: this.target.fn.version, desired: this.target.desired, ...counts };
  }

  /** Whether any replica of this pool has this attempt in flight. */
  replicaOf(ref: AttemptRef): Replica | undefined {
    for (const replica of this.replicas) if (replica.holds(ref)) return replica;
    return undefined;
  }

  running(): AttemptRef[] {
    return [...this.replicas].flatMap((replica) => replica.running());
  }

  /** Drains every replica; resolves once all have stopped. */
  async drainAll(why: string): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    for (const replica of this.replicas) replica.drain(why);
  }

  /** Stops every replica now (the controller is closing). */
  async close(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retryTimer);
    await Promise.all([...this.replicas].map((replica) => replica.close()));
  }

  /**
   * Whether its replicas take the function's executions. A pool whose replicas keep failing to
   * start (a handler that does not load) lets them run on demand instead, where each attempt fails
   * with the program's own error and the retry policy decides, rather than wait in the queue for a
   * replica that never comes. It serves again once a replica asks for work.
   */
  isServing(): boolean {
    return this.failures < 2 && this.programVersion !== this.target.fn.version;
  }

  /** Nothing left: the executor may forget this pool. */
  isEmpty(): boolean {
    return this.replicas.size === 0;
  }

  /** A settlement freed slots (ReplicaPools.freed): wakes the replicas only if a limit of the function may have held them back. */
  freed(): void {
    for (const replica of this.replicas) {
      if (!replica.limitsMayHoldBack) continue;
      this.work.fire();
      return;
    }
  }

  /** A replica of the serving version waiting for work, up to `max` of its slots held (ReplicaPools.waiting). */
  waiting(max: number): WaitingReplica | undefined {
    if (this.closed || !this.isServing()) return undefined;
    for (const replica of this.replicas) {
      if (replica.version !== this.target.fn.version) continue;
      const slots = replica.hold(max);
      if (slots > 0) return { slots, deliver: (claimed) => this.handedOff(replica, claimed, slots) };
    }
    return undefined;
  }

  /** A handoff's attempts: to the replica that held the slots, or, if it stopped taking work meanwhile, on demand. */
  private handedOff(replica: Replica, claimed: ClaimedAttempt[], slots: number): void {
    const mine = this.keep(replica, claimed);
    if (!replica.deliver(mine, slots)) for (const attempt of mine) this.context.runCold(attempt);
  }

  // ---- ReplicaHost ----

  async take(replica: Replica, max: number): Promise<ClaimedAttempt[]> {
    return this.keep(replica, await this.context.source().take(this.ref, max));
  }

  async settleAndTake(replica: Replica, settlements: ReplicaSettlement[], max: number): Promise<{ applied: boolean[]; claimed: ClaimedAttempt[] }> {
    const step = await this.context.source().settleAndTake(this.redacted(settlements), this.ref, max);
    return { applied: step.applied, claimed: this.keep(replica, step.claimed) };
  }

  /** The claimed attempts of the replica's version; the others run on demand. */
  private keep(replica: Replica, claimed: ClaimedAttempt[]): ClaimedAttempt[] {
    const mine: ClaimedAttempt[] = [];
    for (const attempt of claimed) {
      // An execution enqueued before a deploy runs the version it was enqueued with.
      if (attempt.function.version === replica.version) mine.push(attempt);
      else this.context.runCold(attempt);
    }
    // More of the old version may be queued, and only replicas claim this function's work: look again.
    if (mine.length < claimed.length) this.work.fire();
    return mine;
  }

  settle(settlements: ReplicaSettlement[]): Promise<boolean[]> {
    return this.context.source().settle(this.redacted(settlements));
  }

  logs(ref: AttemptRef, lines: LogLine[]): void {
    this.context.source().logs(ref, this.context.secrets.redactLines(lines));
  }

  /**
   * Fails the executions waiting for this pool when its replicas cannot start without a secret,
   * rather than leave them queued: no replica can run them until the operator adds it.
   */
  private async failWaiting(message: string): Promise<void> {
    try {
      const claimed = await this.context.source().take(this.ref, 100);
      const endedAt = new Date();
      if (claimed.length > 0) await this.settle(claimed.map((attempt) => ({ claimed: attempt, outcome: { status: 'failed', exitCode: null, reason: 'StartFailed', error: message, result: null }, endedAt })));
    } catch (thrown) {
      this.logger.error({ err: asError(thrown), function: `${this.ref.namespace}/${this.ref.name}` }, 'cannot fail the executions waiting for a replica');
    }
  }

  private redacted(settlements: ReplicaSettlement[]): ReplicaSettlement[] {
    return settlements.map((settlement) => {
      const outcome = this.context.secrets.redactReport(settlement.outcome);
      return outcome === settlement.outcome ? settlement : { ...settlement, outcome };
    });
  }

  changed(replica: Replica): void {
    if (replica.state === 'stopped') {
      if (!this.replicas.delete(replica)) return;
      this.context.api.unregister(replica.token);
      if (replica.failedStart) {
        this.failures += 1;
        this.notBefore = Date.now() + Math.min(backoff.maxMs, backoff.initialMs * 2 ** (this.failures - 1));
      }
    } else if (replica.state === 'ready') {
      this.failures = 0;
      this.notBefore = 0;
    }
    this.reconcile();
  }

  private reconcile(): void {
    if (this.closed) return;
    const { fn, desired } = this.target;
    const serving: Replica[] = [];
    for (const replica of this.replicas) {
      if (replica.state !== 'starting' && replica.state !== 'ready') continue;
      if (replica.version !== fn.version) replica.drain(`version ${fn.version} deployed`);
      else serving.push(replica);
    }
    if (serving.length > desired) {
      // Starting ones first, then the least busy: the fewest invocations to wait for.
      const surplus = serving.sort((a, b) => (a.state === 'starting' ? -1 : 0) - (b.state === 'starting' ? -1 : 0) || a.load - b.load).slice(0, serving.length - desired);
      for (const replica of surplus) replica.drain('scaled down');
      return;
    }
    const missing = desired - serving.length - this.pendingStarts;
    if (missing <= 0 || this.programVersion === fn.version) return;
    const wait = this.notBefore - Date.now();
    if (wait > 0) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.reconcile(), wait);
      return;
    }
    for (let index = 0; index < missing; index++) void this.startReplica();
  }

  /** PONTOON_REPLICA_LANES as the store prefers it for this function, if it does (under baseEnv and spec.env). */
  private laneDefault(target: PoolTarget): Record<string, string> {
    const lanes = replicaLanes(target.settings, this.context.replicaLanes);
    return lanes === undefined ? {} : { [replicaEnv.lanes]: String(lanes) };
  }

  private async startReplica(): Promise<void> {
    const target = this.target;
    this.pendingStarts += 1;
    let options: ReplicaOptions;
    let plan: LaunchPlan;
    try {
      let runtimeApi: string;
      let secretEnv: Record<string, string>;
      // A replica serves many attempts: its secrets are resolved when it starts, as an attempt's are.
      [plan, runtimeApi, secretEnv] = await Promise.all([this.context.plan(target), this.context.runtimeApi(), this.context.secrets.resolve(target.fn.document.spec.secrets)]);
      options = {
        fn: target.fn,
        concurrency: target.settings.concurrency,
        prefetch: target.settings.prefetch ?? 0,
        command: plan.command,
        cwd: plan.cwd ?? process.cwd(),
        env: { ...this.laneDefault(target), ...this.context.baseEnv, ...target.fn.document.spec.env, ...secretEnv, ...plan.env },
        runtimeApi,
        graceMs: this.context.graceMs,
        logLimitBytes: this.context.logLimitBytes(target),
        resultLimitBytes: this.context.resultLimitBytes(target),
        startTimeoutMs: this.context.startTimeoutMs,
        ...(this.context.users ? { users: this.context.users } : {}),
      };
    } catch (thrown) {
      this.pendingStarts -= 1;
      this.failures += 1;
      this.notBefore = Date.now() + Math.min(backoff.maxMs, backoff.initialMs * 2 ** (this.failures - 1));
      this.logger.error({ err: asError(thrown), function: `${this.ref.namespace}/${this.ref.name}` }, 'cannot start a replica');
      if (thrown instanceof MissingSecretError) await this.failWaiting(thrown.message);
      this.reconcile();
      return;
    }
    this.pendingStarts -= 1;
    if (plan.replica === false) {
      // Started as a replica, such a program would run its body without an input: never start it.
      if (this.programVersion !== target.fn.version) this.logger.info({ function: `${this.ref.namespace}/${this.ref.name}`, version: target.fn.version }, 'the handler is a program, not a replica: its executions run on demand');
      this.programVersion = target.fn.version;
      return;
    }
    if (this.closed || target.fn.version !== this.target.fn.version) return;
    let replica: Replica;
    try {
      replica = new Replica(options, this);
    } catch (thrown) {
      // No free function user (the uid range is used up): a failed start, retried with backoff.
      this.failures += 1;
      this.notBefore = Date.now() + Math.min(backoff.maxMs, backoff.initialMs * 2 ** (this.failures - 1));
      this.logger.error({ err: asError(thrown), function: `${this.ref.namespace}/${this.ref.name}` }, 'cannot start a replica');
      this.reconcile();
      return;
    }
    this.replicas.add(replica);
    this.context.api.register(replica.token, replica);
    this.logger.info({ replica: replica.id, function: `${this.ref.namespace}/${this.ref.name}`, version: target.fn.version }, 'replica started');
  }
}
