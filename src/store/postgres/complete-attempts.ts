import type { AttemptReport, AttemptStatus, ExecutionStatus } from '../../domain/execution.js';
import type pg from 'pg';
import type { AttemptCompletion, AttemptRef, ClaimedAttempt, FunctionRef } from '../store.js';
import type { ControlledFunction } from './claim-controls.js';
import { isCurrentAttempt, lateReportOf, storedResult } from '../shared/attempt-settlement.js';
import { attemptNotFound, deletedFunctionError } from '../shared/errors.js';
import { isoTime } from '../shared/stored-values.js';
import { prepared, transaction, type Pool } from './connection.js';
import { executeSql, type SessionStatement } from './session-statements.js';

/*
 * The one settlement of the PostgreSQL store: a single attempt (the reaper's, a stop's) is a
 * batch of one, the cold path's batches (settle-batcher.ts) and a warm replica's (postgres-store's
 * completeAttempts and completeAndClaimFunction) go through the same statements.
 *
 * Set-based, so the round trips do not grow with the batch: lock the executions, read the fence,
 * then one statement that ends the attempts and the executions that finish (attempts and
 * executions are different tables, so one statement with a data-modifying WITH sees one snapshot
 * and writes both). Retries and late reports add a statement each when the batch has some.
 * Before, the cold path's batches settled in three statements and a replica's in five to seven,
 * each through its own copy of this code.
 *
 * It notifies no one: whether other controllers need a wake-up depends on what the caller
 * claimed in the same transaction (see freedSlotsNews).
 */

/** What settling one attempt did, for the caller to decide whether other controllers need a wake-up. */
export interface Settled {
  /** False when the report missed the fence (kept as a late report, or dropped). */
  applied: boolean;
  /** The execution's function. */
  function: FunctionRef;
  /** The execution went back to the queue for a retry. */
  requeued: boolean;
}

/** An execution as locked for the fence: the latest committed version of its row. */
interface LockedExecution {
  id: string;
  status: ExecutionStatus;
  namespace: string;
  function: string;
}

/** A function's row as a claim locks it. */
export type LockedFunction = ControlledFunction & { parallelism: number };

/** An attempt as the fence reads it, with the number of its execution's latest attempt. */
interface FenceAttempt {
  execution_id: string;
  number: number;
  status: AttemptStatus;
  latest: number;
}

/** Settles attempts in one transaction (all or none) and notifies no one; see settleAttempts. */
export async function completeAttempts(pool: Pool, completions: AttemptCompletion[]): Promise<Settled[]> {
  if (completions.length === 0) return [];
  return transaction(pool, (client) => settleAttempts(client, completions), undefined, { genericPlans: true });
}

/**
 * Settles attempts inside the caller's transaction, each fenced: it applies only while the attempt
 * is its execution's latest, is still running, and the execution runs; a late `lost` is dropped,
 * any other late report kept as `lateReport`. Executions are locked first, FOR UPDATE and in byte
 * order of their ids, so two controllers settling overlapping batches (or the leader's reaper and
 * a slow observer settling one attempt) apply one after the other and never deadlock. A batch
 * that settles one execution twice (a late report and its successor) is fenced as two calls in a
 * row would be.
 */
export async function settleAttempts(client: pg.PoolClient, completions: AttemptCompletion[]): Promise<Settled[]> {
  return (await settleAttemptsLocking(client, completions)).settled;
}

/** Locks the settled executions, in one order (by id) that every settlement follows. */
const lockExecutions: SessionStatement = {
  name: 'pontoon_lock_executions',
  parameterTypes: '(text[])',
  text: `SELECT id, status, namespace, function FROM executions WHERE id = ANY($1) ORDER BY id COLLATE "C" FOR UPDATE`,
};

/**
 * The lock of the settled executions as text for a transaction's opening, with BEGIN in one
 * message (see transaction()); settleAttemptsLocking takes its result as `alreadyLocked`.
 */
export function lockExecutionsSql(client: pg.PoolClient, ids: readonly string[]): string {
  return executeSql(client, lockExecutions, [ids]);
}

/**
 * The fence: each reported attempt with its execution's latest attempt number. A statement of its
 * own after the locks: READ COMMITTED gives it a snapshot taken once they are held, so it sees an
 * attempt that a concurrent claim or reaper committed while this one waited. (Joined into the
 * locking statement, attempts would be read from the snapshot before the wait, and a report of an
 * attempt already superseded could pass the fence.) Each statement of a message with several
 * takes its own snapshot too, so the fence may follow the locks in a transaction's opening.
 * `attemptNumbers` is how its $2 reads as int[]: a session statement gets the numbers as text[].
 */
function fenceText(attemptNumbers = '$2::int[]'): string {
  return `SELECT a.execution_id, a.number, a.status, (SELECT MAX(number) FROM attempts m WHERE m.execution_id = a.execution_id) AS latest
   FROM attempts a JOIN unnest($1::text[], ${attemptNumbers}) AS r (execution_id, number) ON a.execution_id = r.execution_id AND a.number = r.number`;
}

/**
 * The fence with the lock a claim of the function takes next ($3, $4), in one row: `locked`, the
 * function's row (none when deleted), and `attempts`, the fence's rows, both as JSON.
 */
function fenceWithFunctionText(readShared: boolean, attemptNumbers = '$2::int[]'): string {
  return `WITH f AS MATERIALIZED (
       SELECT namespace, name, parallelism, rate_limit, rate_period_ms, concurrency_limit FROM functions
       WHERE namespace = $3 AND name = $4 AND NOT deleted ${readShared ? 'FOR KEY SHARE' : 'FOR NO KEY UPDATE'}
     )
     SELECT (SELECT json_agg(f) FROM f) AS locked, (SELECT json_agg(fence) FROM (${fenceText(attemptNumbers)}) fence) AS attempts`;
}

/** The fences as session statements: their attempt numbers arrive quoted, as text. */
const fenceAttempts: SessionStatement = {
  name: 'pontoon_fence_attempts',
  parameterTypes: '(text[], text[])',
  text: fenceText('$2::text[]::int[]'),
};
const fenceLockingFunction: SessionStatement = {
  name: 'pontoon_fence_locking_function',
  parameterTypes: '(text[], text[], text, text)',
  text: fenceWithFunctionText(false, '$2::text[]::int[]'),
};
const fenceSharingFunction: SessionStatement = {
  name: 'pontoon_fence_sharing_function',
  parameterTypes: '(text[], text[], text, text)',
  text: fenceWithFunctionText(true, '$2::text[]::int[]'),
};

/**
 * The fence of `completions` as text for a transaction's opening, after lockExecutionsSql in the
 * same message, with `fn`'s lock as settleAttemptsLocking would take it (its `fn` and
 * `readShared`); settleAttemptsLocking takes its result as `alreadyFenced`.
 */
export function fenceAttemptsSql(client: pg.PoolClient, completions: readonly AttemptCompletion[], fn?: FunctionRef, readShared = false): string {
  const reported = [completions.map((completion) => completion.executionId), completions.map((completion) => String(completion.attempt))];
  if (!fn) return executeSql(client, fenceAttempts, reported);
  return executeSql(client, readShared ? fenceSharingFunction : fenceLockingFunction, [...reported, fn.namespace, fn.name]);
}

/** How settleAttemptsLocking locks and reads the fence, and whether it may leave the end to the caller. */
export interface SettleOptions {
  /** The function whose lock the fence statement takes too, for the caller's claim. */
  fn?: FunctionRef;
  /** The executions' lock, sent in the transaction's opening (lockExecutionsSql). */
  alreadyLocked?: pg.QueryResult;
  /** The fence, sent in the opening after the lock (fenceAttemptsSql, with the same `fn` and `readShared`). */
  alreadyFenced?: pg.QueryResult;
  /** Leave an end that only finishes executions to the caller's next statement (`ending`). */
  deferEnd?: boolean;
  /** Read `fn`'s row FOR KEY SHARE instead of locking it (a swap, see mayReadShared). */
  readShared?: boolean;
}

/**
 * settleAttempts, and, when `fn` is given, the lock a claim of that function takes next (FOR NO
 * KEY UPDATE on its live row, see claim-function-executions.ts), in the statement that reads the
 * fence: a warm replica's batch settles and claims one function, and that saves it a round trip.
 * The lock order stays executions, then the function, as when the claim took it after. Waiting
 * for the function's lock there does not stale the fence: the attempts it reads only change
 * under the execution locks already held. `locked` is the function's row, null when deleted.
 *
 * With `deferEnd`, a batch whose applied attempts all finish their executions (no retry) is not
 * ended here: it comes back as `ending`, for the caller's next statement to carry (endingSql) or
 * to send alone (endDeferred) before the transaction commits.
 *
 * With `readShared`, `fn`'s row is only read FOR KEY SHARE, for a batch that may be a swap (see
 * mayReadShared in claim-function-executions.ts).
 */
export async function settleAttemptsLocking(
  client: pg.PoolClient,
  completions: AttemptCompletion[],
  options: SettleOptions = {},
): Promise<{ settled: Settled[]; locked?: LockedFunction | null; ending?: DeferredEnding }> {
  const { fn, alreadyLocked, alreadyFenced, deferEnd = false, readShared = false } = options;
  if (completions.length === 0) return { settled: [] };
  const ids = completions.map((completion) => completion.executionId);
  const locked = (alreadyLocked ?? (await client.query(prepared(lockExecutions.text, [ids])))).rows as LockedExecution[];
  const attemptNumbers = completions.map((completion) => completion.attempt);
  let attempts: FenceAttempt[];
  let lockedFunction: LockedFunction | null | undefined;
  if (fn) {
    // One row: the function's lock first (a CTE with FOR NO KEY UPDATE runs once, whether or not a fence row joins it).
    const { rows } = alreadyFenced ?? (await client.query(prepared(fenceWithFunctionText(readShared), [ids, attemptNumbers, fn.namespace, fn.name])));
    attempts = rows[0].attempts ?? [];
    lockedFunction = rows[0].locked?.[0] ?? null;
  } else {
    attempts = (alreadyFenced ?? (await client.query(prepared(fenceText(), [ids, attemptNumbers])))).rows;
  }
  const executions = new Map(locked.map((row) => [row.id, row]));
  const fence = new Map(attempts.map((row) => [`${row.execution_id}#${row.number}`, row]));
  const settledNow = new Set<string>();
  const current = completions.map((completion) => {
    const execution = executions.get(completion.executionId);
    const attempt = fence.get(`${completion.executionId}#${completion.attempt}`);
    if (!execution || !attempt) throw attemptNotFound(completion);
    const applies = !settledNow.has(completion.executionId) && isCurrentAttempt(attempt, attempt.latest, execution);
    if (applies) settledNow.add(completion.executionId);
    return applies;
  });
  const applied = completions.filter((_, index) => current[index]);
  // What the caller learns of each completion; `requeued`: the executions sent back to the queue.
  const settledOf = (requeued: ReadonlySet<string>): Settled[] =>
    completions.map((completion, index) => {
      const execution = executions.get(completion.executionId)!;
      return { applied: current[index], function: { namespace: execution.namespace, name: execution.function }, requeued: current[index] && requeued.has(completion.executionId) };
    });
  await storeLateReports(client, completions.filter((_, index) => !current[index]));
  if (deferEnd && applied.length > 0 && applied.every((completion) => completion.settlement.next === 'finish')) {
    const leaving = new Map<string, number>();
    for (const completion of applied) {
      const execution = executions.get(completion.executionId)!;
      const key = `${execution.namespace}/${execution.function}`;
      leaving.set(key, (leaving.get(key) ?? 0) + 1);
    }
    return { settled: settledOf(new Set()), locked: lockedFunction, ending: { applied, leaving } };
  }
  await endAttempts(client, applied);
  const requeued = await requeueOrCancel(client, applied.filter((completion) => completion.settlement.next === 'retry'), executions);
  return { settled: settledOf(requeued), locked: lockedFunction };
}

/**
 * Whether other controllers should hear (`freed`) of what a settlement left: a retry back in the
 * queue always; freed slots only when the claim made with them (of `asked` executions, none when
 * the caller claimed nothing) took all it asked for, so more may be ready, and took fewer of some
 * function than were settled. A claim that took fewer than it asked left nothing claimable for
 * anyone; one that refilled every function's slots left no function with more free than before.
 * A wake-up is only a hint: a controller that misses one claims on its next poll. Notifying every
 * batch serialized commits (PostgreSQL holds a global lock across a notifying commit) and woke
 * this controller's own dispatcher into lock waits beside its batches (see settle-batcher.ts).
 */
export function freedSlotsNews(settled: readonly Settled[], claimed: readonly ClaimedAttempt[], asked: number): boolean {
  if (settled.some((item) => item.requeued)) return true;
  if (claimed.length < asked) return false;
  const freed = freedSlots(settled);
  for (const attempt of claimed) {
    const key = `${attempt.execution.namespace}/${attempt.execution.function}`;
    if (freed.has(key)) freed.set(key, freed.get(key)! - 1);
  }
  return [...freed.values()].some((left) => left > 0);
}

/** The slots a settlement freed, per `namespace/name` of function: one per report that applied (it took its execution out of running). */
export function freedSlots(settled: readonly Settled[]): Map<string, number> {
  const freed = new Map<string, number>();
  for (const item of settled) {
    if (!item.applied) continue;
    const key = `${item.function.namespace}/${item.function.name}`;
    freed.set(key, (freed.get(key) ?? 0) + 1);
  }
  return freed;
}

/** Keeps a report that arrived after its attempt was settled. */
export async function recordLateReport(pool: Pool, ref: AttemptRef, report: AttemptReport): Promise<void> {
  const changed = await pool.query('UPDATE attempts SET late_report = $1::json WHERE execution_id = $2 AND number = $3', [JSON.stringify(report), ref.executionId, ref.attempt]);
  if (changed.rowCount === 0) throw attemptNotFound(ref);
}

async function storeLateReports(client: pg.PoolClient, late: AttemptCompletion[]): Promise<void> {
  const kept = late.flatMap((completion) => {
    const report = lateReportOf(completion);
    return report ? [{ completion, report }] : [];
  });
  if (kept.length === 0) return;
  await client.query(
    `UPDATE attempts a SET late_report = r.report FROM unnest($1::text[], $2::int[], $3::json[]) AS r (id, number, report)
     WHERE a.execution_id = r.id AND a.number = r.number`,
    [kept.map((k) => k.completion.executionId), kept.map((k) => k.completion.attempt), kept.map((k) => JSON.stringify(k.report))],
  );
}

/**
 * Attempts that passed the fence and finish their executions, not yet ended (settleAttemptsLocking
 * with `deferEnd`). Until the statement that ends them runs, their executions still read as running.
 */
export interface DeferredEnding {
  applied: AttemptCompletion[];
  /** How many of their executions leave `running`, per `namespace/name` of their function. */
  leaving: Map<string, number>;
}

/** Sends a deferred ending as a statement of its own. */
export async function endDeferred(client: pg.PoolClient, ending: DeferredEnding | undefined): Promise<void> {
  if (ending) await endAttempts(client, ending.applied);
}

/**
 * The statement that ends attempts: the WITH entries (named `ending_*`) that end the attempts of
 * `applied`, and the executions of those that finish, with their parameters numbered from
 * `$first`. Alone it is a statement of its own (endAttempts); a warm claim puts it in front of its
 * start statement instead (start-attempts.ts), one round trip fewer.
 */
export function endingSql(applied: readonly AttemptCompletion[], first: number): { sql: string; values: unknown[] } {
  const column = <T>(pick: (completion: AttemptCompletion) => T) => applied.map(pick);
  const finish = (c: AttemptCompletion) => (c.settlement.next === 'finish' ? c.settlement : undefined);
  const p = (index: number) => `$${first + index}`;
  return {
    sql: `ending_r AS (
       SELECT * FROM unnest(${p(0)}::text[], ${p(1)}::int[], ${p(2)}::text[], ${p(3)}::int[], ${p(4)}::text[], ${p(5)}::text[], ${p(6)}::timestamptz[], ${p(7)}::text[], ${p(8)}::text[], ${p(9)}::bool[])
         AS r (execution_id, number, status, exit_code, reason, error, finished_at, final_status, result, notified)
     ), ending_attempts AS (
       UPDATE attempts a SET status = r.status, exit_code = r.exit_code, reason = r.reason, error = r.error, finished_at = r.finished_at, lease_expires_at = NULL
       FROM ending_r r WHERE a.execution_id = r.execution_id AND a.number = r.number
     ), ending_executions AS (
       UPDATE executions e SET status = r.final_status, result = r.result::json, error = r.error, finished_at = r.finished_at, not_before = NULL, notified = r.notified
       FROM ending_r r WHERE e.id = r.execution_id AND r.final_status IS NOT NULL
     )`,
    values: [
      column((c) => c.executionId),
      column((c) => c.attempt),
      column((c) => c.status),
      column((c) => c.exitCode),
      column((c) => c.reason),
      column((c) => c.error),
      column((c) => isoTime(c.finishedAt)),
      column((c) => finish(c)?.status ?? null),
      column((c) => (finish(c) ? storedResult(c) : null)),
      column((c) => finish(c)?.notified === true),
    ],
  };
}

/** Ends the applied attempts, and the executions of those that finish, in one statement. */
async function endAttempts(client: pg.PoolClient, applied: AttemptCompletion[]): Promise<void> {
  if (applied.length === 0) return;
  const ending = endingSql(applied, 1);
  await client.query(prepared(`WITH ${ending.sql} SELECT 1`, ending.values));
}

/**
 * Retries go back to the queue while their function lives, and the ids of those are returned; a
 * deleted function's retry could never be claimed, so it ends as its queued peers ended. Only a
 * retry reads the function: FOR KEY SHARE orders it against a delete (FOR UPDATE), which either
 * finished before, and the retry is cancelled, or waits until this commits, and then cancels the
 * requeued execution.
 */
async function requeueOrCancel(client: pg.PoolClient, retried: AttemptCompletion[], executions: Map<string, LockedExecution>): Promise<Set<string>> {
  if (retried.length === 0) return new Set();
  const functionsOf = retried.map((c) => executions.get(c.executionId)!);
  const { rows: live } = await client.query<{ namespace: string; name: string }>(
    `SELECT namespace, name FROM functions f WHERE (namespace, name) IN (SELECT * FROM unnest($1::text[], $2::text[])) AND NOT deleted FOR KEY SHARE`,
    [functionsOf.map((row) => row.namespace), functionsOf.map((row) => row.function)],
  );
  const liveKeys = new Set(live.map((row) => `${row.namespace}/${row.name}`));
  const isLive = (c: AttemptCompletion) => {
    const row = executions.get(c.executionId)!;
    return liveKeys.has(`${row.namespace}/${row.function}`);
  };
  const requeued = retried.filter(isLive);
  const cancelled = retried.filter((c) => !isLive(c));
  await client.query(
    `WITH requeued AS (
       UPDATE executions e SET status = 'queued', not_before = r.not_before FROM unnest($1::text[], $2::timestamptz[]) AS r (id, not_before) WHERE e.id = r.id
     )
     UPDATE executions e SET status = 'cancelled', error = r.error, finished_at = r.finished_at
     FROM unnest($3::text[], $4::text[], $5::timestamptz[]) AS r (id, error, finished_at) WHERE e.id = r.id`,
    [
      requeued.map((c) => c.executionId),
      requeued.map((c) => isoTime((c.settlement as { notBefore: string }).notBefore)),
      cancelled.map((c) => c.executionId),
      cancelled.map((c) => deletedFunctionError(executions.get(c.executionId)!.namespace, executions.get(c.executionId)!.function)),
      cancelled.map((c) => isoTime(c.finishedAt)),
    ],
  );
  return new Set(requeued.map((c) => c.executionId));
}
