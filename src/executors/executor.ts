import type { AttemptReport } from '../domain/execution.js';
import type { Adoption, AttemptRef, ClaimedAttempt, LogLine, OrphanedAttempt } from '../store/store.js';

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
}
