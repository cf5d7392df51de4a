import type { TraceContext } from './trace-context.js';

/**
 * Where an execution is in its life:
 * - `queued`: stored and waiting for a slot (or for a retry's backoff to pass);
 * - `running`: an attempt holds a lease;
 * - `succeeded` | `failed` | `timed_out` | `cancelled`: terminal, never left again.
 */
export type ExecutionStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'timed_out' | 'cancelled';

/**
 * How one attempt ended (or `running` while it lives):
 * - `lost`: its lease expired, so its observer or controller died;
 * - `cancelled`: stopped because the execution was cancelled.
 */
export type AttemptStatus = 'running' | 'succeeded' | 'failed' | 'timed_out' | 'lost' | 'cancelled';

/** Why an attempt did not succeed, in terms the retry policy and users both read. */
export type AttemptReason =
  | 'Error'
  | 'NonRetryableExitCode'
  | 'DeadlineExceeded'
  | 'OOMKilled'
  | 'LeaseExpired'
  | 'Cancelled'
  | 'ResultTooLarge'
  | 'StartFailed'
  | 'ImagePullError'
  | 'Evicted'
  | 'NodeLost'
  | 'Interrupted'
  | 'ReplicaLost';

/** Statuses an execution never leaves. */
export const terminalExecutionStatuses: readonly ExecutionStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled'];

/** True when the execution has ended. */
export function isTerminal(status: ExecutionStatus): boolean {
  return terminalExecutionStatuses.includes(status);
}

/** One try of an execution, as the API shows it. */
export interface Attempt {
  number: number;
  status: AttemptStatus;
  exitCode: number | null;
  reason: AttemptReason | null;
  error: string | null;
  startedAt: string;
  finishedAt: string | null;
  /** Which controller ran it. */
  owner: string | null;
  /** A report that arrived after this attempt had already been settled: kept, not applied. */
  lateReport: AttemptReport | null;
}

/** One requested run of a function, as the API shows it. */
export interface Execution {
  id: string;
  namespace: string;
  function: string;
  version: number;
  status: ExecutionStatus;
  priority: number;
  input: unknown;
  result: unknown;
  error: string | null;
  idempotencyKey: string | null;
  callbackUrl: string | null;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  /** When a queued execution may start: asked to run later (delay, runAt), or a retry waiting out its backoff. */
  notBefore: string | null;
  /** The value of the function's `spec.concurrency.key` in the input at enqueue; null without one (or when the input has none). */
  concurrencyKey: string | null;
  attempts: Attempt[];
  /**
   * The trace the execution belongs to: its invoke span's context when tracing is on, else the
   * caller's `traceparent` when one came with the request; absent otherwise. Not shown by the API.
   */
  traceContext?: TraceContext;
}

/** What an observer reports when an attempt's program ends. */
export interface AttemptReport {
  status: 'succeeded' | 'failed' | 'timed_out';
  exitCode: number | null;
  reason: AttemptReason | null;
  error: string | null;
  result: unknown;
}

/** Maps an attempt's final status to the execution status it ends in, when no retry follows. */
export function executionStatusAfter(attempt: Exclude<AttemptStatus, 'running'>): ExecutionStatus {
  switch (attempt) {
    case 'succeeded':
      return 'succeeded';
    case 'timed_out':
      return 'timed_out';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'failed';
  }
}
