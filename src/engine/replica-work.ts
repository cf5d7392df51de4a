import type { AttemptReport, Execution } from '../domain/execution.js';
import type { FunctionVersion } from '../domain/function-spec.js';
import type { AttemptSink, ReplicaSettlement, WorkSource } from '../executors/executor.js';
import type { AttemptCompletion, AttemptRef, ClaimedAttempt, FunctionRef, LogLine, Store } from '../store/store.js';
import type { AttemptOutcome } from './attempt-settlement.js';

/** What ReplicaWork needs of its controller: the slots it shares with the dispatcher, and how an attempt is settled. */
export interface ReplicaWorkHost {
  store: Store;
  owner: string;
  leaseMs: number;
  clock: () => Date;
  /** Where replicas' log lines and start failures go, as a cold attempt's do. */
  sink: AttemptSink;
  /**
   * Reserves up to `max` of the controller's free slots for a claim under way; 0 when none is free
   * or it stops. `waits`: the caller goes without and must be woken (pools.wake) once a slot frees.
   */
  reserve(max: number, waits: boolean): number;
  /** Gives back slots reserve handed out. */
  release(slots: number): void;
  /** Keeps the leases of claimed attempts from now on. */
  running(claims: ClaimedAttempt[]): void;
  /** Stops keeping an attempt's lease; returns its log writes still under way, if any. */
  ended(ref: AttemptRef): Promise<void> | undefined;
  /** What the store applies for an attempt's outcome. */
  completionOf(ref: AttemptRef, outcome: AttemptOutcome, fn: FunctionVersion | undefined, execution: Execution, endedAt: Date): AttemptCompletion;
  /** Reports a settlement that is durable (events, a warning when it came late). */
  settled(completion: AttemptCompletion, applied: boolean): void;
  /** A settlement under way, which the controller lets finish when it stops. */
  track(settling: Promise<void>): void;
  /** A settlement freed slots: wake whoever waits for one. `requeued`: it put an execution back in the queue (a retry), which is new work. */
  freed(requeued: boolean): void;
}

/**
 * The warm replicas' side of the engine: replicas take a function's ready executions in batches
 * and settle theirs in batches, each batch one store step, within the same capacity and leases as
 * the dispatcher's attempts. It also keeps what the Scalar sizes pools from: executions taken per
 * function (arrivals) and their smoothed durations.
 */
export class ReplicaWork implements WorkSource {
  /** Executions claimed for replicas, per function (`namespace/name`), for the Scalar's arrival rate. */
  private readonly claimedByFunction = new Map<string, number>();
  /** Recent attempt durations on replicas, per function, smoothed, for the Scalar. */
  private readonly durationByFunction = new Map<string, number>();

  constructor(private readonly host: ReplicaWorkHost) {}

  /** Executions claimed for the function's replicas so far. */
  claimed(fn: FunctionRef): number {
    return this.claimedByFunction.get(`${fn.namespace}/${fn.name}`) ?? 0;
  }

  /** Recent mean duration of the function's attempts on replicas, in ms; 0 before the first. */
  meanDurationMs(fn: FunctionRef): number {
    return this.durationByFunction.get(`${fn.namespace}/${fn.name}`) ?? 0;
  }

  /** AttemptSink: a replica's log lines, stored as a cold attempt's are. */
  logs(ref: AttemptRef, lines: LogLine[]): void {
    this.host.sink.logs(ref, lines);
  }

  /** AttemptSink: an attempt that ended outside a batch (a replica that failed to start it). */
  finished(ref: AttemptRef, report: AttemptReport): void {
    this.host.sink.finished(ref, report);
  }

  /** WorkSource: claims a warm function's ready executions for a replica, within this controller's capacity. */
  async take(fn: FunctionRef, max: number): Promise<ClaimedAttempt[]> {
    const free = this.host.reserve(max, true);
    if (free <= 0) return [];
    try {
      const claims = await this.host.store.claimFunctionExecutions(this.claimOptions(fn, free));
      // Leases kept before the slots are released, as in settleAndTake.
      this.tookFor(fn, claims);
      return claims;
    } finally {
      this.host.release(free);
    }
  }

  /**
   * WorkSource: settles a replica's batch in one store transaction once each attempt's logs are
   * stored, and resolves when it is durable. An attempt the engine had let go (cancelled,
   * superseded, interrupted) is still passed on: the store's fence keeps its report as late.
   */
  async settle(settlements: ReplicaSettlement[]): Promise<boolean[]> {
    return (await this.settleBatch(settlements, async (completions) => ({ applied: await this.host.store.completeAttempts(completions), claimed: [] }))).applied;
  }

  /** WorkSource: settle, and take up to `max` more of the function for the slots it freed, in one store step. */
  async settleAndTake(settlements: ReplicaSettlement[], fn: FunctionRef, max: number): Promise<{ applied: boolean[]; claimed: ClaimedAttempt[] }> {
    return this.settleBatch(settlements, async (completions) => {
      // Waits: a replica refused a slot here may not claim again until one frees (Replica.lookedEmpty).
      const free = this.host.reserve(max, true);
      if (free <= 0) return { applied: await this.host.store.completeAttempts(completions), claimed: [] };
      try {
        const step = await this.host.store.completeAndClaimFunction(completions, this.claimOptions(fn, free));
        this.tookFor(fn, step.claimed);
        return step;
      } finally {
        this.host.release(free);
      }
    });
  }

  private claimOptions(fn: FunctionRef, limit: number) {
    return { owner: this.host.owner, now: this.host.clock().toISOString(), leaseMs: this.host.leaseMs, limit, function: fn };
  }

  private async settleBatch(
    settlements: ReplicaSettlement[],
    store: (completions: AttemptCompletion[]) => Promise<{ applied: boolean[]; claimed: ClaimedAttempt[] }>,
  ): Promise<{ applied: boolean[]; claimed: ClaimedAttempt[] }> {
    const pending: Promise<void>[] = [];
    const completions = settlements.map(({ claimed, outcome, endedAt }) => {
      const ref = { executionId: claimed.execution.id, attempt: claimed.attempt };
      const logs = this.host.ended(ref);
      if (logs) pending.push(logs);
      this.recordDuration(claimed, endedAt);
      return this.host.completionOf(ref, outcome, claimed.function, claimed.execution, endedAt);
    });
    const settling = (pending.length > 0 ? Promise.all(pending) : Promise.resolve())
      .then(() => store(completions))
      .then((step) => {
        completions.forEach((completion, index) => this.host.settled(completion, step.applied[index]));
        return step;
      })
      .finally(() => this.host.freed(completions.some((completion) => completion.settlement.next === 'retry')));
    this.host.track(settling.then(
      () => undefined,
      () => undefined,
    ));
    return settling;
  }

  /** Attempts a direct handoff started for the function's replica: as a claim of its own (see tookFor). */
  handedOff(fn: FunctionRef, claims: ClaimedAttempt[]): void {
    this.tookFor(fn, claims);
  }

  /** Counts claims for replicas (the Scalar's arrivals) and keeps their leases from now on. */
  private tookFor(fn: FunctionRef, claims: ClaimedAttempt[]): void {
    this.host.running(claims);
    const key = `${fn.namespace}/${fn.name}`;
    this.claimedByFunction.set(key, (this.claimedByFunction.get(key) ?? 0) + claims.length);
  }

  private recordDuration(claimed: ClaimedAttempt, endedAt: Date): void {
    const key = `${claimed.execution.namespace}/${claimed.execution.function}`;
    // This attempt's start: its claim, when the lease was first given (startedAt is the first attempt's).
    const started = Date.parse(claimed.leaseExpiresAt) - this.host.leaseMs;
    const sample = Math.max(0, endedAt.getTime() - started);
    const previous = this.durationByFunction.get(key);
    this.durationByFunction.set(key, previous === undefined ? sample : 0.8 * previous + 0.2 * sample);
  }
}
