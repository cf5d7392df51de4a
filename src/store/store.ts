import type { AttemptReason, AttemptReport, Execution, ExecutionStatus } from '../domain/execution.js';
import type { FunctionDocument, FunctionVersion } from '../domain/function-spec.js';

/** A request to create one execution. */
export interface NewExecution {
  namespace: string;
  function: string;
  input: unknown;
  /** Overrides the function's priority when given. */
  priority?: number;
  /** A repeat with the same key (per namespace and function) returns the existing execution. */
  idempotencyKey?: string;
  callbackUrl?: string;
}

/** The answer to one NewExecution: the execution, and whether this request created it. */
export interface Enqueued {
  execution: Execution;
  created: boolean;
}

/** Filters and paging of an execution listing; newest first. */
export interface ExecutionQuery {
  namespace: string;
  function?: string;
  status?: ExecutionStatus;
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
}

/** One page of executions. */
export interface ExecutionPage {
  items: Execution[];
  nextCursor: string | null;
}

/** An attempt the store has just started for a controller: everything an executor needs. */
export interface ClaimedAttempt {
  execution: Execution;
  attempt: number;
  function: FunctionVersion;
  leaseExpiresAt: string;
}

/** Identifies one attempt of one execution. */
export interface AttemptRef {
  executionId: string;
  attempt: number;
}

/** One captured line of a program's output. */
export interface LogLine {
  /** ISO timestamp of when the observer read the line. */
  time: string;
  stream: 'stdout' | 'stderr' | 'system';
  line: string;
}

/** A stored log line with its position. */
export interface StoredLogLine extends LogLine {
  attempt: number;
  /** Increases with every stored line of an execution; use it as a resume point. */
  seq: number;
}

/** How a settled attempt leaves its execution. */
export type AttemptSettlement =
  | { next: 'retry'; notBefore: string }
  | { next: 'finish'; status: Exclude<ExecutionStatus, 'queued' | 'running'> };

/** The outcome of an attempt and what follows it, written in one transaction. */
export interface AttemptCompletion extends AttemptRef {
  status: 'succeeded' | 'failed' | 'timed_out' | 'lost';
  exitCode: number | null;
  reason: AttemptReason | null;
  error: string | null;
  result: unknown;
  finishedAt: string;
  settlement: AttemptSettlement;
}

/** Counts by execution status, for readiness, metrics and the benchmarks. */
export type StatusCounts = Record<ExecutionStatus, number>;

/**
 * The store port: everything Pontoon keeps. Each operation is one atomic state change named after
 * the transition it makes. SQLite and PostgreSQL adapters both pass `test/store/*` conformance.
 */
export interface Store {
  /** Stores a new version of a function (version = previous + 1, starting at 1). */
  putFunction(document: FunctionDocument): Promise<FunctionVersion>;
  /** The latest version, or a given one, of a function that is not deleted. */
  getFunction(namespace: string, name: string, version?: number): Promise<FunctionVersion | undefined>;
  /** Latest versions of the functions not deleted, by name; all namespaces when none is given. */
  listFunctions(namespace?: string): Promise<FunctionVersion[]>;
  /** Deletes a function: no new executions; queued ones are cancelled; running ones finish. False when absent. */
  deleteFunction(namespace: string, name: string): Promise<boolean>;

  /**
   * Durably stores executions of existing functions (all or none), using each function's latest
   * version and its priority unless overridden. Throws FUNCTION_NOT_FOUND for an unknown function.
   */
  enqueueExecutions(requests: NewExecution[], now: string): Promise<Enqueued[]>;
  /** One execution with its attempts. */
  getExecution(id: string): Promise<Execution | undefined>;
  /** Executions newest first, filtered, one page at a time. */
  listExecutions(query: ExecutionQuery): Promise<ExecutionPage>;

  /**
   * Moves up to `limit` ready executions to running, highest priority then oldest first, never
   * past a function's `parallelism` (counted over every controller), and opens an attempt with a
   * lease for `owner` on each.
   */
  claimExecutions(options: { owner: string; now: string; leaseMs: number; limit: number }): Promise<ClaimedAttempt[]>;
  /**
   * Extends the leases of these attempts if `owner` still holds them and they still run. Returns
   * the attempts that are no longer current (cancelled, reaped or superseded): stop them.
   */
  renewLeases(owner: string, attempts: AttemptRef[], now: string, leaseMs: number): Promise<AttemptRef[]>;
  /** Attempts still running whose lease expired before `now`. */
  listExpiredAttempts(now: string, limit: number): Promise<(AttemptRef & { execution: Execution })[]>;
  /**
   * Settles an attempt and moves its execution on (retry or finish), fenced: only when the attempt
   * is the execution's current one and is still running. Otherwise the report is kept on the
   * attempt as `lateReport` and nothing else changes; returns false then.
   */
  completeAttempt(completion: AttemptCompletion): Promise<boolean>;
  /** Keeps a report that arrived too late to apply (see completeAttempt). */
  recordLateReport(ref: AttemptRef, report: AttemptReport): Promise<void>;
  /**
   * Cancels a queued or running execution: it ends `cancelled`, a running attempt is marked
   * `cancelled` (its executor stops it on the next lease renewal). Returns the execution as it is
   * now, or undefined when absent; a terminal one is returned unchanged.
   */
  cancelExecution(id: string, now: string): Promise<Execution | undefined>;

  /** Appends lines to an attempt's log. */
  appendLogs(ref: AttemptRef, lines: LogLine[]): Promise<void>;
  /** Lines of an execution after `afterSeq`, oldest first; optionally of one attempt. */
  readLogs(executionId: string, options: { afterSeq?: number; attempt?: number; limit: number }): Promise<StoredLogLine[]>;

  /** How many executions are in each status (optionally of one function). */
  countExecutions(namespace?: string, fn?: string): Promise<StatusCounts>;
  /** Frees resources; the store is unusable afterwards. */
  close(): Promise<void>;
}
