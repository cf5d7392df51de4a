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
  const finishedAt = isoTime(completion.finishedAt);
  return transaction(pool, async (client) => {
    const { rows: executions } = await client.query<ExecutionRow>('SELECT * FROM executions WHERE id = $1 FOR UPDATE', [completion.executionId]);
    const execution = executions[0];
    const { rows: attempts } = await client.query<AttemptRow & { latest: number }>(
      `SELECT *, (SELECT MAX(number) FROM attempts l WHERE l.execution_id = a.execution_id) AS latest
       FROM attempts a WHERE execution_id = $1 AND number = $2`,
      [completion.executionId, completion.attempt],
    );
    const attempt = attempts[0];
    if (!attempt || !execution) throw attemptNotFound(completion);
    const current = isCurrentAttempt(attempt, attempt.latest, execution);
    if (!current) {
      const lateReport = lateReportOf(completion);
      if (lateReport) await storeLateReport(client, completion, lateReport);
      return false;
    }

    await client.query(
      `UPDATE attempts SET status = $1, exit_code = $2, reason = $3, error = $4, finished_at = $5, lease_expires_at = NULL
       WHERE execution_id = $6 AND number = $7`,
      [completion.status, completion.exitCode, completion.reason, completion.error, finishedAt, completion.executionId, completion.attempt],
    );

    const settlement = completion.settlement;
    if (settlement.next === 'retry' && (await functionLive(client, execution.namespace, execution.function))) {
      await client.query(`UPDATE executions SET status = 'queued', not_before = $1 WHERE id = $2`, [isoTime(settlement.notBefore), execution.id]);
    } else if (settlement.next === 'retry') {
      // A retry of a deleted function could never be claimed: end it as its queued peers ended.
      await client.query(`UPDATE executions SET status = 'cancelled', error = $1, finished_at = $2 WHERE id = $3`, [
        deletedFunctionError(execution.namespace, execution.function),
        finishedAt,
        execution.id,
      ]);
    } else {
      await client.query('UPDATE executions SET status = $1, result = $2::json, error = $3, finished_at = $4, not_before = NULL, notified = $5 WHERE id = $6', [
        settlement.status,
        storedResult(completion),
        completion.error,
        finishedAt,
        settlement.notified === true,
        execution.id,
      ]);
    }
    // A slot of the function is free (and a retry may be queued): other controllers may claim.
    await notifyWake(client, 'freed');
    return true;
  });
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
