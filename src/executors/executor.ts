import type { AttemptReport } from '../domain/execution.js';
import type { FunctionVersion } from '../domain/function-spec.js';
import type { WarmSettings } from '../domain/warm.js';
import type { Adoption, AttemptRef, ClaimedAttempt, FunctionRef, LogLine, OrphanedAttempt } from '../store/store.js';

/** Where an executor sends what its attempts produce. The engine implements it. */
export interface AttemptSink {
  /** Captured lines, in order, already capped by the attempt's log limit. */
  logs(ref: AttemptRef, lines: LogLine[]): void;
  /** The attempt's program ended (succeeded, failed or timed out). Called once per attempt. */
  finished(ref: AttemptRef, report: AttemptReport): void;
}

/** Why an executor is told to stop an attempt before its program ends. */
export type StopReason = 'cancelled' | 'superseded' | 'shutdown';

/**
 * The executor port: runs attempts somewhere (local child processes, Kubernetes Jobs). The
 * dispatcher drives it without knowing which one it is. Both adapters pass the conformance suite
 * in `test/executors/`.
 */
export interface Executor {
  /** `local` or `kubernetes`. */
  readonly kind: string;
  /** Launches one claimed attempt; resolves once it has started (or throws if it could not). */
  start(claimed: ClaimedAttempt): Promise<void>;
  /** Stops a running attempt (TERM, grace, KILL); its report, if any, is no longer sent. */
  stop(ref: AttemptRef, reason: StopReason): Promise<void>;
  /** Attempts this executor is running now, whose leases the engine renews. */
  running(): AttemptRef[];
  /** Stops every attempt and releases resources. */
  close(): Promise<void>;
  /**
   * Optional, for executors whose attempts outlive their controller (Kubernetes Jobs): attempts
   * found running that a previous run of this controller started. The engine moves their leases
   * here through the store (Store.adoptAttempts) and hands the outcome to adopt().
   */
  findOrphans?(): Promise<OrphanedAttempt[]>;
  /** Resumes watching the adopted attempts as if this executor had started them; stops the programs of those that are over. */
  adopt?(adoption: Adoption): Promise<void>;
  /**
   * Optional: lets go of the running attempts without stopping them, for the restarted controller
   * to adopt, and returns them (close() stops any others). Returns none when no restart follows
   * (the controller's pod is being deleted).
   */
  detach?(): Promise<AttemptRef[]>;
  /** Present when this executor runs warm replicas too (docs/warm-replicas.md). */
  readonly pools?: ReplicaPools;
}

/**
 * How an attempt on a warm replica ended without a result of its own: its replica died (crashed,
 * OOM-killed, or was stopped for another invocation's deadline) or was stopped with the controller.
 */
export interface LostOutcome {
  status: 'lost';
  reason: 'ReplicaLost' | 'OOMKilled' | 'Interrupted';
  error: string;
}

/** One outcome a warm replica's attempt settles with. */
export interface ReplicaSettlement {
  claimed: ClaimedAttempt;
  outcome: AttemptReport | LostOutcome;
  /** When it ended (its slot was free from then). */
  endedAt: Date;
}

/**
 * Where warm pools take work and settle it: the engine implements it, and owns leases, capacity
 * and the retry policy for pooled attempts as for any other.
 */
export interface WorkSource extends AttemptSink {
  /**
   * Claims up to `max` ready executions of one function for a replica, within this controller's
   * capacity; the engine keeps their leases from now on. [] when none is ready or no slot is free.
   */
  take(fn: FunctionRef, max: number): Promise<ClaimedAttempt[]>;
  /** Settles outcomes in one durable step; resolves once stored, with which were applied (fenced). */
  settle(settlements: ReplicaSettlement[]): Promise<boolean[]>;
  /** settle, then take for the same function, in one store step (one transaction where the store can). */
  settleAndTake(settlements: ReplicaSettlement[], fn: FunctionRef, max: number): Promise<{ applied: boolean[]; claimed: ClaimedAttempt[] }>;
}

/** What the Scalar wants of one function's pool. */
export interface PoolTarget {
  fn: FunctionVersion;
  settings: WarmSettings;
  /** Replicas wanted now, within settings.min and settings.max. */
  desired: number;
}

/** One pool as it is now. */
export interface PoolStatus {
  namespace: string;
  name: string;
  /** The function version its serving replicas run. */
  version: number;
  desired: number;
  /** Replicas that asked for work (and are not draining). */
  ready: number;
  /** Replicas started and not ready yet. */
  starting: number;
  draining: number;
  /** Invocations in flight on its replicas. */
  inFlight: number;
}

/**
 * Warm replica pools behind an executor: the Scalar sets their sizes, replicas take their work
 * through the WorkSource. The dispatcher only learns which functions they serve, to leave those
 * functions' executions to them.
 */
export interface ReplicaPools {
  /** Starts serving: replicas take work from `source`. */
  attach(source: WorkSource): void;
  /** Sets every pool's target; a function absent from `targets` has its pool drained and removed. */
  resize(targets: PoolTarget[]): void;
  /** Functions whose executions go to replicas. */
  served(): FunctionRef[];
  /** Work may be ready (enqueued, requeued, the controller's capacity freed): waiting replicas ask the store again. */
  wake(): void;
  /**
   * A settlement freed slots, and no new work came with it: only replicas whose claims their
   * function's own limits may have held back (Replica.limitsMayHoldBack) ask again. Any other
   * replica that found the queue empty would find it empty again.
   */
  freed(): void;
  status(): PoolStatus[];
  /**
   * A replica of the function waiting in its long poll with free slots, up to `max` of them held
   * for a direct handoff (the engine starts an invoke in its enqueue's transaction); undefined
   * when none waits. Pools without it get their work through `wake` alone.
   */
  waiting?(fn: FunctionRef, max: number): WaitingReplica | undefined;
}

/** A waiting replica's slots held for a direct handoff (ReplicaPools.waiting). */
export interface WaitingReplica {
  /** Slots held: the most that may be started for it. */
  readonly slots: number;
  /**
   * Hands it the attempts started for it, with its long poll's answer (any it cannot run go
   * elsewhere, as a claim's would), and frees the held slots; [] when the handoff failed.
   */
  deliver(claimed: ClaimedAttempt[]): void;
}
