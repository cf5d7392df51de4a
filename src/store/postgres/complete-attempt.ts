import type { AttemptReport } from '../../domain/execution.js';
import type pg from 'pg';
import type { AttemptCompletion, AttemptRef } from '../store.js';
import { isCurrentAttempt, lateReportOf, storedResult } from '../shared/attempt-settlement.js';
import { attemptNotFound, deletedFunctionError } from '../shared/errors.js';
import { isoTime } from '../shared/stored-values.js';
import { transaction, type Pool } from './connection.js';
import { notifyWake } from './notify.js';
import type { AttemptRow, ExecutionRow } from './rows.js';

/** Keeps a report on an attempt that was already settled, without applying it. */
async function storeLateReport(client: pg.PoolClient, ref: AttemptRef, report: AttemptReport): Promise<void> {
  const changed = await client.query('UPDATE attempts SET late_report = $1::json WHERE execution_id = $2 AND number = $3', [
    JSON.stringify(report),
    ref.executionId,
    ref.attempt,
  ]);
  if (changed.rowCount === 0) throw attemptNotFound(ref);
}

/**
 * Settles an attempt and moves its execution on, fenced: it applies only while the attempt is
 * the execution's latest, is still running, and the execution runs. The execution's row is
 * locked first (FOR UPDATE), so two controllers settling the same attempt at once, say the
 * leader's reaper (lost) and a slow observer (succeeded), are applied one after the other and
 * the second sees that the first already settled it. A late `lost` is dropped; any other late
 * report is kept as `lateReport`.
 */
export async function completeAttempt(pool: Pool, completion: AttemptCompletion): Promise<boolean> {
  return transaction(pool, async (client) => {
    const { applied } = await settleAttempt(client, completion);
    // A slot of the function is free (and a retry may be queued): other controllers may claim.
    if (applied) await notifyWake(client, 'freed');
    return applied;
  });
}

/** What settling one attempt did, for the caller to decide whether other controllers need a wake-up. */
export interface Settled {
  /** False when the report missed the fence (kept as a late report, or dropped). */
  applied: boolean;
  /** `namespace/name` of the execution's function. */
  functionKey: string;
  /** The execution went back to the queue for a retry. */
  requeued: boolean;
}

/**
 * Settles several attempts in one transaction: one commit (one WAL flush) for all of them
 * instead of one each, which is what a cold execution on PostgreSQL waited on most (see
 * settle-batcher.ts). Executions are locked in id order, so two controllers settling
 * overlapping batches cannot deadlock. All or none: a failure rolls the whole batch back.
 * Notifies no one: the caller claims for the freed slots and wakes the others when that left
 * some free (see settle-batcher.ts).
 */
export async function completeAttempts(pool: Pool, completions: AttemptCompletion[]): Promise<Settled[]> {
  return transaction(pool, (client) => settleAttempts(client, completions));
}

/**
 * completeAttempts inside a transaction the caller holds (a claim's, see claim-executions.ts).
 * Attempts of distinct executions that finish (the usual batch) are settled in three statements
 * whatever their number: lock the executions, read the attempts, update both tables. A retry or
 * a late report takes settleAttempt's path for its own row.
 */
export async function settleAttempts(client: pg.PoolClient, completions: AttemptCompletion[]): Promise<Settled[]> {
  const ids = completions.map((completion) => completion.executionId);
  if (completions.length < 2 || new Set(ids).size < ids.length) {
    // Byte order, as ORDER BY id COLLATE "C" below: every batch locks executions in one order.
    const order = completions.map((_, index) => index).sort((a, b) => (ids[a] < ids[b] ? -1 : ids[a] > ids[b] ? 1 : a - b));
    const settled = new Array<Settled>(completions.length);
    for (const index of order) settled[index] = await settleAttempt(client, completions[index]);
    return settled;
  }
  const { rows: executionRows } = await client.query<ExecutionRow>('SELECT * FROM executions WHERE id = ANY($1::text[]) ORDER BY id COLLATE "C" FOR UPDATE', [ids]);
  const executions = new Map(executionRows.map((row) => [row.id, row]));
  // After the locks, in a statement of its own: see settleAttempt.
  const { rows: attemptRows } = await client.query<AttemptRow & { latest: number }>(
    `SELECT a.*, (SELECT MAX(number) FROM attempts l WHERE l.execution_id = a.execution_id) AS latest
     FROM attempts a JOIN unnest($1::text[], $2::int[]) AS r (execution_id, number) ON a.execution_id = r.execution_id AND a.number = r.number`,
    [ids, completions.map((completion) => completion.attempt)],
  );
  const attempts = new Map(attemptRows.map((row) => [row.execution_id, row]));
  const settled = new Array<Settled>(completions.length);
  const finishing: number[] = [];
  for (const [index, completion] of completions.entries()) {
    const execution = executions.get(completion.executionId);
    const attempt = attempts.get(completion.executionId);
    if (!execution || !attempt) throw attemptNotFound(completion);
    if (completion.settlement.next === 'finish' && isCurrentAttempt(attempt, attempt.latest, execution)) {
      finishing.push(index);
      settled[index] = { applied: true, functionKey: `${execution.namespace}/${execution.function}`, requeued: false };
    } else {
      settled[index] = await settleAttempt(client, completion);
    }
  }
  if (finishing.length > 0) await finishAttempts(client, finishing.map((index) => completions[index]));
  return settled;
}

/** Ends current attempts and their executions, as settleAttempt's last statement does, for many rows at once. */
async function finishAttempts(client: pg.PoolClient, completions: AttemptCompletion[]): Promise<void> {
  const column = <T>(pick: (completion: AttemptCompletion) => T) => completions.map(pick);
  await client.query(
    `WITH r AS (
       SELECT * FROM unnest($1::text[], $2::int[], $3::text[], $4::int[], $5::text[], $6::text[], $7::timestamptz[], $8::text[], $9::text[], $10::bool[])
         AS r (execution_id, number, status, exit_code, reason, error, finished_at, final_status, result, notified)
     ), settled AS (
       UPDATE attempts a SET status = r.status, exit_code = r.exit_code, reason = r.reason, error = r.error, finished_at = r.finished_at, lease_expires_at = NULL
       FROM r WHERE a.execution_id = r.execution_id AND a.number = r.number
     )
     UPDATE executions e SET status = r.final_status, result = r.result::json, error = r.error, finished_at = r.finished_at, not_before = NULL, notified = r.notified
     FROM r WHERE e.id = r.execution_id`,
    [
      column((c) => c.executionId),
      column((c) => c.attempt),
      column((c) => c.status),
      column((c) => c.exitCode),
      column((c) => c.reason),
      column((c) => c.error),
      column((c) => isoTime(c.finishedAt)),
      column((c) => (c.settlement.next === 'finish' ? c.settlement.status : null)),
      column((c) => storedResult(c)),
      column((c) => c.settlement.next === 'finish' && c.settlement.notified === true),
    ],
  );
}

/** The fenced settlement of one attempt, inside the caller's transaction; false when it missed the fence. */
async function settleAttempt(client: pg.PoolClient, completion: AttemptCompletion): Promise<Settled> {
  const finishedAt = isoTime(completion.finishedAt);
  const { rows: executions } = await client.query<ExecutionRow>('SELECT * FROM executions WHERE id = $1 FOR UPDATE', [completion.executionId]);
  const execution = executions[0];
  // A statement of its own after the lock: READ COMMITTED gives it a snapshot taken once the lock
  // is held, so it sees an attempt that a concurrent claim or reaper just committed. (Joined into
  // the locking statement, the attempt would be read from the snapshot before the wait.)
  const { rows: attempts } = await client.query<AttemptRow & { latest: number }>(
    `SELECT *, (SELECT MAX(number) FROM attempts l WHERE l.execution_id = a.execution_id) AS latest
     FROM attempts a WHERE execution_id = $1 AND number = $2`,
    [completion.executionId, completion.attempt],
  );
  const attempt = attempts[0];
  if (!attempt || !execution) throw attemptNotFound(completion);
  const functionKey = `${execution.namespace}/${execution.function}`;
  const current = isCurrentAttempt(attempt, attempt.latest, execution);
  if (!current) {
    const lateReport = lateReportOf(completion);
    if (lateReport) await storeLateReport(client, completion, lateReport);
    return { applied: false, functionKey, requeued: false };
  }

  // The attempt's row and the execution's in one statement (one round trip): both updates see
  // the same snapshot and touch different tables.
  const settleAttemptRow = `UPDATE attempts SET status = $1, exit_code = $2, reason = $3, error = $4, finished_at = $5, lease_expires_at = NULL
     WHERE execution_id = $6 AND number = $7`;
  const attemptValues = [completion.status, completion.exitCode, completion.reason, completion.error, finishedAt, completion.executionId, completion.attempt];
  const settlement = completion.settlement;
  let requeued = false;
  if (settlement.next === 'retry' && (await functionLive(client, execution.namespace, execution.function))) {
    requeued = true;
    await client.query(`WITH settled AS (${settleAttemptRow}) UPDATE executions SET status = 'queued', not_before = $8 WHERE id = $6`, [
      ...attemptValues,
      isoTime(settlement.notBefore),
    ]);
  } else if (settlement.next === 'retry') {
    // A retry of a deleted function could never be claimed: end it as its queued peers ended.
    await client.query(`WITH settled AS (${settleAttemptRow}) UPDATE executions SET status = 'cancelled', error = $8, finished_at = $5 WHERE id = $6`, [
      ...attemptValues,
      deletedFunctionError(execution.namespace, execution.function),
    ]);
  } else {
    await client.query(
      `WITH settled AS (${settleAttemptRow})
       UPDATE executions SET status = $8, result = $9::json, error = $4, finished_at = $5, not_before = NULL, notified = $10 WHERE id = $6`,
      [...attemptValues, settlement.status, storedResult(completion), settlement.notified === true],
    );
  }
  return { applied: true, functionKey, requeued };
}

/** Keeps a report that arrived after its attempt was settled. */
export async function recordLateReport(pool: Pool, ref: AttemptRef, report: AttemptReport): Promise<void> {
  await transaction(pool, (client) => storeLateReport(client, ref, report));
}

/**
 * Whether a retry may go back to the queue: its function is still there. Only a retry asks, so an
 * ending costs no extra round trip. FOR KEY SHARE: a delete of the function (FOR UPDATE) either
 * finished before, and the retry is cancelled, or waits until this commits, and then cancels the
 * requeued execution.
 */
async function functionLive(client: pg.PoolClient, namespace: string, name: string): Promise<boolean> {
  const { rows } = await client.query<{ deleted: boolean }>('SELECT deleted FROM functions WHERE namespace = $1 AND name = $2 FOR KEY SHARE', [namespace, name]);
  return rows[0] !== undefined && !rows[0].deleted;
}
