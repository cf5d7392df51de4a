import type { AttemptReport, AttemptStatus, ExecutionStatus } from '../../domain/execution.js';
import type { AttemptCompletion, AttemptRef } from '../store.js';
import { isCurrentAttempt, lateReportOf, storedResult } from '../shared/attempt-settlement.js';
import { attemptNotFound, deletedFunctionError } from '../shared/errors.js';
import { isoTime } from '../shared/stored-values.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { selectFunctionRow } from './functions.js';

/** Keeps a report on an attempt that was already settled, without applying it. */
function storeLateReport(db: Db, ref: AttemptRef, report: AttemptReport): void {
  const changed = sql(db, 'UPDATE attempts SET late_report = ? WHERE execution_id = ? AND number = ?').run(
    JSON.stringify(report),
    ref.executionId,
    ref.attempt,
  );
  if (changed.changes === 0) throw attemptNotFound(ref);
}

/**
 * Settles an attempt and moves its execution on, fenced: it applies only while the attempt is
 * the execution's latest, is still running, and the execution runs. Anything else means the
 * attempt was reaped, cancelled or superseded, and its report is kept as `lateReport` only. A
 * late `lost` (the reaper racing a report that won) is not a program's report and is dropped.
 */
export function completeAttempt(db: Db, completion: AttemptCompletion): boolean {
  return writeTransaction(db, () => applyCompletion(db, completion));
}

/** completeAttempt's work, inside a write transaction the caller holds. */
export function applyCompletion(db: Db, completion: AttemptCompletion): boolean {
  const finishedAt = isoTime(completion.finishedAt);
  // The fence in one statement: warm replicas settle batches, and this runs once per attempt in them.
  const fence = sql(
    db,
    `SELECT e.id, e.namespace, e.function, e.status AS execution_status, a.number, a.status AS attempt_status,
            (SELECT MAX(number) FROM attempts m WHERE m.execution_id = e.id) AS latest
     FROM executions e JOIN attempts a ON a.execution_id = e.id AND a.number = ? WHERE e.id = ?`,
  ).get(completion.attempt, completion.executionId) as
    | { id: string; namespace: string; function: string; execution_status: ExecutionStatus; number: number; attempt_status: AttemptStatus; latest: number }
    | undefined;
  if (!fence) throw attemptNotFound(completion);
  const execution = { id: fence.id, namespace: fence.namespace, function: fence.function };
  const current = isCurrentAttempt({ number: fence.number, status: fence.attempt_status }, fence.latest, { status: fence.execution_status });
  if (!current) {
    const lateReport = lateReportOf(completion);
    if (lateReport) storeLateReport(db, completion, lateReport);
    return false;
  }

  endAttemptRow(db, completion, finishedAt);

  const settlement = completion.settlement;
  if (settlement.next === 'retry' && functionLive(db, execution.namespace, execution.function)) {
    sql(db, `UPDATE executions SET status = 'queued', not_before = ? WHERE id = ?`).run(isoTime(settlement.notBefore), execution.id);
  } else if (settlement.next === 'retry') {
    // A retry of a deleted function could never be claimed: end it as its queued peers ended.
    sql(db, `UPDATE executions SET status = 'cancelled', error = ?, finished_at = ? WHERE id = ?`).run(
      deletedFunctionError(execution.namespace, execution.function),
      finishedAt,
      execution.id,
    );
  } else {
    sql(db, 'UPDATE executions SET status = ?, result = ?, error = ?, finished_at = ?, not_before = NULL, notified = ? WHERE id = ?').run(
      settlement.status,
      storedResult(completion),
      completion.error,
      finishedAt,
      settlement.notified ? 1 : 0,
      execution.id,
    );
  }
  return true;
}

/** Stores how a current attempt ended, and drops its lease. */
export function endAttemptRow(db: Db, completion: AttemptCompletion, finishedAt: string): void {
  sql(
    db,
    `UPDATE attempts SET status = ?, exit_code = ?, reason = ?, error = ?, finished_at = ?, lease_expires_at = NULL
     WHERE execution_id = ? AND number = ?`,
  ).run(completion.status, completion.exitCode, completion.reason, completion.error, finishedAt, completion.executionId, completion.attempt);
}

/** Keeps a report that arrived after its attempt was settled. */
export function recordLateReport(db: Db, ref: AttemptRef, report: AttemptReport): void {
  writeTransaction(db, () => storeLateReport(db, ref, report));
}

/** Whether a retry may go back to the queue: its function is still there. Only a retry asks: an ending reads no function row. */
function functionLive(db: Db, namespace: string, name: string): boolean {
  const fn = selectFunctionRow(db, namespace, name);
  return fn !== undefined && !fn.deleted;
}
