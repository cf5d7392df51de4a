import type { ExecutionStatus, Execution } from '../domain/execution.js';
import type { FunctionSpec } from '../domain/function-spec.js';
import type { WaitReason } from '../domain/wait-reason.js';
export type { WaitReason } from '../domain/wait-reason.js';

/** A Function as the API answers it: the stored document, its version and its observed status. */
export interface FunctionResource {
  apiVersion: 'pontoon.dev/v1';
  kind: 'Function';
  metadata: {
    name: string;
    namespace: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    version: number;
    createdAt: string;
  };
  spec: FunctionSpec;
  status: {
    queued: number;
    running: number;
    lastExecution: { id: string; status: ExecutionStatus; createdAt: string } | null;
    /** A warm function's replicas on the controller that answered (null when on-demand). */
    replicas?: { desired: number; ready: number; starting: number; draining: number; inFlight: number } | null;
  };
}

/** A Function document as a user sends it: the server validates it and applies defaults. */
export interface FunctionDocumentInput {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; [key: string]: unknown };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** An uploaded source package, as the server names it (see `spec.package`). */
export interface PackageInfo {
  sha256: string;
  /** Size of the archive in bytes. */
  size: number;
}

/** What a deploy answers: the new version, and whether the function did not exist before. */
export interface DeployResult {
  function: FunctionResource;
  created: boolean;
}

/** Which stream a log line came from; `system` lines are written by Pontoon itself. */
export type LogStreamName = 'stdout' | 'stderr' | 'system';

/** One captured log line of an attempt, as the API answers it. */
export interface LogLine {
  /** Position in the execution's log; increases across attempts. */
  seq: number;
  attempt: number;
  time: string;
  stream: LogStreamName;
  line: string;
}

/** One page of an execution's logs, with the execution's status when it was read. */
export interface LogPage {
  items: LogLine[];
  status: ExecutionStatus;
}

/** One page of executions, newest first; `nextCursor` fetches the next (older) page. */
export interface ExecutionPage {
  items: Execution[];
  nextCursor: string | null;
}

/** Filters for listing executions. */
export interface ExecutionFilter {
  function?: string;
  status?: ExecutionStatus;
  limit?: number;
  cursor?: string;
  /** Only executions created at or after this ISO time. */
  createdSince?: string;
  /** Only executions created before this ISO time. */
  createdBefore?: string;
}

/** Options of one invocation. */
export interface InvokeOptions {
  /** Server-side wait: a duration such as `30s`; the answer comes when the execution ends or the wait runs out. */
  wait?: string;
  /** Overrides the function's priority for this execution (-1000..1000). */
  priority?: number;
  /** A repeat with the same key returns the existing execution. */
  idempotencyKey?: string;
  /** Where Pontoon posts the execution when it ends. */
  callbackUrl?: string;
  /** Run later: start no sooner than this long from now (`10m`); not with runAt. */
  delay?: string;
  /** Run later: start no sooner than this ISO 8601 time; not with delay. */
  runAt?: string;
  /** Aborts the request (not the execution). */
  signal?: AbortSignal;
}

/** What an invocation answers, with what the response headers said about it. */
export interface InvokeResult {
  execution: Execution;
  /** True when a `wait` was asked for and ran out before the execution ended. */
  waitExpired: boolean;
  /** True when the idempotency key matched an existing execution. */
  replay: boolean;
}

/** Options of a batch invocation. */
export interface BatchOptions {
  priority?: number;
  /** Run later, every execution of the batch: see InvokeOptions. */
  delay?: string;
  runAt?: string;
}

/** An execution as GET /executions/:id answers it: a queued one says why it waits. */
export type ExecutionDetail = Execution & { waiting?: WaitReason };

/** What deleting a function answers. */
export interface DeleteFunctionResult {
  namespace: string;
  name: string;
  deleted: true;
}

/** A schedule as `GET /v1/namespaces/{ns}/schedules` answers it: its spec, its last ticks and its next one. */
export interface ScheduleView {
  namespace: string;
  function: string;
  schedule: string;
  cron: string;
  timezone: string;
  concurrencyPolicy: string;
  missedRunPolicy: string;
  suspend: boolean;
  /** The newest tick that started an execution. */
  lastFireTime: string | null;
  /** The newest tick accounted for (fired, or skipped by policy). */
  lastTick: string | null;
  /** The next tick the scheduler will consider; null when suspended or when the cron has none. */
  nextFireTime: string | null;
}

/** Execution statuses that are never left; the CLI and dashboard stop waiting on these. */
export const finalExecutionStatuses: readonly ExecutionStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled'];

/** A time window of ISO timestamps; the server's default is the hour up to now. */
export interface StatsWindow {
  since?: string;
  until?: string;
}

/** How one function's executions that ended in a window ended, and how long they took (first start to end). */
export interface FunctionStats {
  function: string;
  succeeded: number;
  failed: number;
  timedOut: number;
  cancelled: number;
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** The stats of every function that had an execution end in the window. */
export interface FunctionStatsPage {
  since: string;
  until: string;
  items: FunctionStats[];
}

/** One bucket of a series: creations, endings, durations, and the queue depth at its end. */
export interface SeriesBucket {
  start: string;
  created: number;
  succeeded: number;
  failed: number;
  timedOut: number;
  cancelled: number;
  p50Ms: number | null;
  p95Ms: number | null;
  /** Executions waiting for their first attempt at the bucket's end. */
  queueDepth: number;
}

/** What a series asks for: a window, a bucket width (`10s`, `1m`) and optionally one function. */
export interface SeriesOptions extends StatsWindow {
  function?: string;
  bucket?: string;
}

/** A series as the API answers it. */
export interface ExecutionSeries {
  since: string;
  until: string;
  bucketMs: number;
  items: SeriesBucket[];
}
