import type { AttemptReason, AttemptReport, Execution, ExecutionStatus } from '../domain/execution.js';
import type { AttributeMatch, FunctionDocument, FunctionVersion } from '../domain/function-spec.js';
import type { FunctionLoad } from '../domain/wait-reason.js';
import type { TraceContext } from '../domain/trace-context.js';

/** A request to create one execution. */
export interface NewExecution {
  namespace: string;
  function: string;
  input: unknown;
  /** Overrides the function's priority when given. */
  priority?: number;
  /**
   * A repeat with the same key (per namespace and function) returns the existing execution; the
   * store keeps a fingerprint of the request to tell a repeat from a reuse (Enqueued.matchesRequest).
   */
  idempotencyKey?: string;
  callbackUrl?: string;
  /** ISO time before which the execution must not start (run later); at once when absent. */
  notBefore?: string;
  /** The trace it belongs to (see Execution.traceContext); stored with it. */
  traceContext?: TraceContext;
}

/** The answer to one NewExecution: the execution, and whether this request created it. */
export interface Enqueued {
  execution: Execution;
  created: boolean;
  /**
   * False when the idempotency key found an execution that a different request created (another
   * input, priority override or callback URL): the API refuses such a reuse, while a CloudEvent's
   * source+id or a schedule's tick names the one event whatever it carries. True otherwise.
   */
  matchesRequest: boolean;
}

/** Filters and paging of an execution listing; newest first. */
export interface ExecutionQuery {
  namespace: string;
  function?: string;
  status?: ExecutionStatus;
  limit: number;
  /** Opaque cursor from a previous page's `nextCursor`. */
  cursor?: string;
  /** Only executions created at or after this ISO time. */
  createdSince?: string;
  /** Only executions created before this ISO time. */
  createdBefore?: string;
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
  /**
   * The trace context the attempt's program continues (its TRACEPARENT): the attempt span's when
   * tracing is on (telemetry/traced-store.ts sets it), else the execution's own, if any.
   */
  traceContext?: TraceContext;
}

/** Identifies one attempt of one execution. */
export interface AttemptRef {
  executionId: string;
  attempt: number;
}

/** An attempt still running that a controller found without having started it, and whose lease it was started under. */
export interface OrphanedAttempt extends AttemptRef {
  /** The lease owner the attempt was started for (a previous run of this controller). */
  owner: string;
}

/** An attempt taken over by adoptAttempts, with the log lines of its program already stored. */
export interface AdoptedAttempt extends ClaimedAttempt {
  /** Lines stored for the attempt so far, system lines aside: a resumed log reader skips them. */
  loggedLines: number;
}

/** What adoptAttempts did with each orphan. */
export interface Adoption {
  /** Now leased to the adopting owner: resume watching them. */
  adopted: AdoptedAttempt[];
  /** Settled, or their lease expired (lost): their programs must stop. */
  over: AttemptRef[];
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

/** Who claims, when, for how long, and how many executions at most (see Store.claimExecutions). */
export interface ClaimOptions {
  owner: string;
  now: string;
  leaseMs: number;
  limit: number;
  /** Functions this claim leaves alone: their executions go to warm replicas (claimFunctionExecutions). */
  except?: readonly FunctionRef[];
}

/** Names one function. */
export interface FunctionRef {
  namespace: string;
  name: string;
}

/** A claim for the replicas of one function (see Store.claimFunctionExecutions). */
export interface FunctionClaimOptions extends Omit<ClaimOptions, 'except'> {
  function: FunctionRef;
}

/** How a settled attempt leaves its execution. */
export type AttemptSettlement =
  | { next: 'retry'; notBefore: string }
  | {
      next: 'finish';
      status: Exclude<ExecutionStatus, 'queued' | 'running'>;
      /**
       * True when the ending has no completion event to deliver (no sink, no callback): the
       * execution is stored as notified, and the deliverer has nothing to decide for it.
       */
      notified?: boolean;
    };

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

/** A time window [since, until) of ISO timestamps. */
export interface TimeWindow {
  since: string;
  until: string;
}

/** How the executions of one function that ended in a window ended, and how long they took. */
export interface FunctionStats {
  function: string;
  succeeded: number;
  failed: number;
  timedOut: number;
  cancelled: number;
  /** Nearest-rank percentiles of first start to end, in ms, over those that started; null when none did. */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
}

/** A time series of a namespace's executions, or of one function's, in fixed-width buckets. */
export interface SeriesQuery extends TimeWindow {
  namespace: string;
  function?: string;
  bucketMs: number;
}

/** One bucket [start, start + bucketMs) of a series. */
export interface SeriesBucket {
  start: string;
  /** Executions created in the bucket. */
  created: number;
  /** Executions that ended in the bucket, by how. */
  succeeded: number;
  failed: number;
  timedOut: number;
  cancelled: number;
  /** Nearest-rank percentiles of first start to end (ms) of those that ended in the bucket. */
  p50Ms: number | null;
  p95Ms: number | null;
  /** Executions created and not yet started (nor ended) at the bucket's end. */
  queueDepth: number;
}

/** The queue of one function: what waits, and since when the oldest that could run has waited. */
export interface QueueStats {
  namespace: string;
  function: string;
  /** Queued executions, those waiting out a retry's backoff included. */
  queued: number;
  /** Queued executions that may start now (no backoff left). */
  ready: number;
  /** When the oldest ready execution was submitted; null when none is ready. */
  oldestReadyAt: string | null;
}

/** A stored source package, named by the sha256 of its archive's bytes. */
export interface PackageInfo {
  sha256: string;
  /** Size of the archive in bytes. */
  size: number;
}

/** A source package with its archive (a checked .tar.gz of the function's source). */
export interface StoredPackage extends PackageInfo {
  archive: Buffer;
}

/** Counts by execution status, for readiness, metrics and the benchmarks. */
export type StatusCounts = Record<ExecutionStatus, number>;

/**
 * The store port: everything Pontoon keeps. Each operation is one atomic state change named after
 * the transition it makes. SQLite and PostgreSQL adapters both pass `test/store/*` conformance.
 * Schedules, rules and completion deliveries are in TriggerStore.
 */
export interface Store extends TriggerStore {
  /** Stores a new version of a function (version = previous + 1, starting at 1). */
  putFunction(document: FunctionDocument): Promise<FunctionVersion>;
  /** The latest version, or a given one, of a function that is not deleted. */
  getFunction(namespace: string, name: string, version?: number): Promise<FunctionVersion | undefined>;
  /** Latest versions of the functions not deleted, by name; all namespaces when none is given. */
  listFunctions(namespace?: string): Promise<FunctionVersion[]>;
  /** Stores an uploaded source package; storing the same bytes again changes nothing. */
  putPackage(stored: StoredPackage): Promise<PackageInfo>;
  /** A package with its archive, for builds and pods; undefined when none has that hash. */
  getPackage(sha256: string): Promise<StoredPackage | undefined>;
  /** A package's size, without its archive; undefined when none has that hash. */
  hasPackage(sha256: string): Promise<PackageInfo | undefined>;
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
  claimExecutions(options: ClaimOptions): Promise<ClaimedAttempt[]>;
  /**
   * The batched fast path of warm replicas: claimExecutions for one function only. Moves up to
   * `limit` of its ready executions to running, highest priority then oldest, never past its
   * `parallelism` (counted over every controller), with a lease for `owner` on each.
   */
  claimFunctionExecutions(options: FunctionClaimOptions): Promise<ClaimedAttempt[]>;
  /**
   * completeAttempt for a batch, in one transaction: every completion is fenced on its own, and all
   * are durable when this resolves. Returns, in order, whether each was applied.
   */
  completeAttempts(completions: AttemptCompletion[]): Promise<boolean[]>;
  /**
   * completeAttempts, then claimFunctionExecutions, as one step: a replica posts its batch and
   * takes the next one in a single round trip, and both stores in one transaction (one commit).
   */
  completeAndClaimFunction(completions: AttemptCompletion[], claim: FunctionClaimOptions): Promise<{ applied: boolean[]; claimed: ClaimedAttempt[] }>;
  /**
   * enqueueExecutions, then claimFunctionExecutions, in one transaction: the direct handoff of an
   * invoke to a warm replica waiting for work, stored and started with one commit. It answers as
   * the two calls would one after the other, with nothing between them.
   */
  enqueueAndClaimFunction(requests: NewExecution[], now: string, claim: FunctionClaimOptions): Promise<{ enqueued: Enqueued[]; claimed: ClaimedAttempt[] }>;
  /**
   * Extends the leases of these attempts if `owner` still holds them and they still run. Returns
   * the attempts that are no longer current (cancelled, reaped or superseded): stop them.
   */
  renewLeases(owner: string, attempts: AttemptRef[], now: string, leaseMs: number): Promise<AttemptRef[]>;
  /**
   * Moves to `owner` the leases of attempts a restarted controller found still running, each only
   * if the owner it was started for still holds it and it has not expired (the fence of
   * renewLeases: an attempt counted as lost is never revived). The rest are `over`, except those
   * another owner holds now, which are left alone.
   */
  adoptAttempts(owner: string, orphans: OrphanedAttempt[], now: string, leaseMs: number): Promise<Adoption>;
  /** Attempts still running whose lease expired before `now`. */
  listExpiredAttempts(now: string, limit: number): Promise<(AttemptRef & { execution: Execution })[]>;
  /**
   * Settles an attempt and moves its execution on (retry or finish), fenced: only when the attempt
   * is the execution's current one and is still running. Otherwise the report is kept on the
   * attempt as `lateReport` and nothing else changes; returns false then.
   */
  completeAttempt(completion: AttemptCompletion): Promise<boolean>;
  /**
   * completeAttempt, then claimExecutions, as one step: the slot an attempt frees is taken again
   * at once. A store may do both in one transaction (SQLite: one commit per attempt instead of
   * two) or one after the other; either way it answers as the two calls would.
   */
  completeAndClaim(completion: AttemptCompletion, claim: ClaimOptions): Promise<{ applied: boolean; claimed: ClaimedAttempt[] }>;
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

  /**
   * How many executions are in each status (optionally of one function). With `statuses`, only
   * those are counted (the others read 0): counting the live ones of a function then costs as
   * many index steps as it has queued and running, however long its history.
   */
  countExecutions(namespace?: string, fn?: string, statuses?: readonly ExecutionStatus[]): Promise<StatusCounts>;
  /** Per function of a namespace, how its executions that ended in the window ended and took; by name. */
  functionStats(namespace: string, window: TimeWindow): Promise<FunctionStats[]>;
  /**
   * Throughput, failures, durations and queue depth in buckets over a window. The queue depth is
   * of executions waiting for their first attempt (a retry waiting out its backoff is not counted).
   */
  executionSeries(query: SeriesQuery): Promise<SeriesBucket[]>;
  /**
   * The queue of every function that has queued executions, as of `now`. Costs as many index
   * steps as there are queued executions, however many have finished (metrics scrape it).
   */
  queueStats(now: string): Promise<QueueStats[]>;
  /**
   * The earliest time after `now` at which queued work that is not ready may become ready (a
   * delay's or a backoff's end, a rate-limited function's next slot), for the dispatcher's timer;
   * null when none is known.
   */
  nextStartAt(now: string): Promise<string | null>;
  /** What a function's executions use at `now`, for saying why one of them waits (domain/wait-reason.ts). */
  functionLoad(fn: FunctionRef, concurrencyKey: string | null, now: string): Promise<FunctionLoad>;
  /**
   * Optional, for stores shared by several controllers: calls `listener` when work may have
   * become claimable (enqueued, requeued, a slot freed) by another controller: its own changes
   * are the caller's to know. Only a hint to claim sooner; returns an unsubscribe.
   */
  onWake?(listener: () => void): () => void;
  /** Frees resources; the store is unusable afterwards. */
  close(): Promise<void>;
}

/** Identifies one schedule of one function: its `name`, or its index in `spec.schedules` when unnamed. */
export interface ScheduleRef {
  namespace: string;
  function: string;
  schedule: string;
}

/** What the store remembers of a schedule: the last tick it fired (or skipped) and when. */
export interface ScheduleState extends ScheduleRef {
  /** The newest tick accounted for; ticks up to it never fire again. */
  lastTick: string;
  /** The newest tick that started an execution (not skipped by policy); null until one did. */
  lastFiredTick: string | null;
  /** When the scheduler recorded lastTick. */
  recordedAt: string;
}

/**
 * One step of a schedule, decided by the scheduler from `expectedLastTick`: record `tick` as the
 * newest accounted tick and start `executions`, all in one transaction, and only if the stored
 * last tick is still `expectedLastTick` (compare and set), so two controllers deciding from the
 * same state fire once between them.
 */
export interface ScheduleAdvance extends ScheduleRef {
  /** The last tick the decision was made from; null when the schedule had none stored. */
  expectedLastTick: string | null;
  tick: string;
  /** Executions of this schedule carry idempotency keys starting with this prefix. */
  keyPrefix: string;
  /**
   * Allow: start them. Forbid: start nothing while an execution of this schedule is queued or
   * running (the tick is still recorded). Replace: cancel those first, then start.
   */
  concurrencyPolicy: 'Allow' | 'Forbid' | 'Replace';
  /** Each with an idempotency key under keyPrefix. */
  executions: NewExecution[];
}

/** What an advance did. */
export interface ScheduleAdvanced {
  /** False when the stored last tick had moved on: nothing was written. */
  applied: boolean;
  started: Execution[];
  /** Executions of this schedule cancelled by Replace. */
  cancelled: string[];
  /** True when Forbid held the executions back. */
  forbidden: boolean;
}

/** A standalone rule: a CloudEvent match and the function it starts (as OpenWhisk's rules). */
export interface Rule {
  namespace: string;
  name: string;
  /** Attribute matches, as in a function's `spec.triggers[].cloudevent`. */
  match: { type?: AttributeMatch; source?: AttributeMatch; subject?: AttributeMatch; extensions?: Record<string, AttributeMatch> };
  function: string;
  priority?: number;
  createdAt: string;
  updatedAt: string;
}

/**
 * Where a completion event is delivered:
 * - `pending`: waiting for its next try (or being tried: `nextAttemptAt` is then the claim's end);
 * - `delivered`: an endpoint answered 2xx;
 * - `failed`: every try failed; kept to be seen.
 */
export type DeliveryStatus = 'pending' | 'delivered' | 'failed';

/** One completion event to send to one URL. */
export interface NewDelivery {
  url: string;
  /** `sink` (function or global) or `callback` (the invocation's X-Callback-Url). */
  kind: 'sink' | 'callback';
  /** The CloudEvent in structured JSON form. */
  event: Record<string, unknown>;
}

/** A stored delivery of a completion event. */
export interface Delivery extends NewDelivery {
  id: string;
  executionId: string;
  namespace: string;
  function: string;
  status: DeliveryStatus;
  /** Tries made so far. */
  attempts: number;
  lastError: string | null;
  nextAttemptAt: string | null;
  createdAt: string;
  deliveredAt: string | null;
}

/** The deliveries decided for one ended execution. */
export interface ExecutionNotification {
  executionId: string;
  deliveries: NewDelivery[];
}

/** How a try of a delivery ended. */
export type DeliveryOutcome =
  | { status: 'delivered'; at: string }
  | { status: 'pending'; error: string; nextAttemptAt: string }
  | { status: 'failed'; error: string; at: string };

/**
 * Store operations of triggers: schedule ticks, rules and the outbox of completion events. Kept
 * apart from Store so that each group reads on its own; every adapter implements both.
 */
export interface TriggerStore {
  /** Stored schedule states; of one namespace when given. */
  listScheduleStates(namespace?: string): Promise<ScheduleState[]>;
  /** Records a schedule's newest tick and starts its executions atomically (see ScheduleAdvance). */
  advanceSchedule(advance: ScheduleAdvance, now: string): Promise<ScheduleAdvanced>;

  /** Creates or replaces a rule; `createdAt` is kept on replace. */
  putRule(rule: Omit<Rule, 'createdAt' | 'updatedAt'>, now: string): Promise<{ rule: Rule; created: boolean }>;
  getRule(namespace: string, name: string): Promise<Rule | undefined>;
  /** Rules by name; all namespaces when none is given. */
  listRules(namespace?: string): Promise<Rule[]>;
  /** False when absent. */
  deleteRule(namespace: string, name: string): Promise<boolean>;

  /** Ended executions whose completion events are not decided yet, oldest first. */
  listUnnotifiedExecutions(limit: number): Promise<Execution[]>;
  /**
   * Stores the deliveries of ended executions and marks them notified, in one transaction; an
   * execution already notified (by another controller) is skipped. Returns the deliveries created.
   */
  notifyExecutions(notifications: ExecutionNotification[], now: string): Promise<Delivery[]>;
  /**
   * Takes up to `limit` pending deliveries due at `now` and pushes their `nextAttemptAt` to
   * `now + leaseMs`, so another controller does not send them meanwhile; a crash mid-send leaves
   * them due again once the lease passes (at least once).
   */
  claimDeliveries(now: string, leaseMs: number, limit: number): Promise<Delivery[]>;
  /** Records a try's outcome and counts it. */
  settleDelivery(id: string, outcome: DeliveryOutcome): Promise<void>;
  /** Deliveries newest first, filtered. */
  listDeliveries(query: { namespace: string; executionId?: string; status?: DeliveryStatus; limit: number }): Promise<Delivery[]>;
}
