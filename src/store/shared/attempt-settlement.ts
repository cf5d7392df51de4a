import type { AttemptReport, AttemptStatus, ExecutionStatus } from '../../domain/execution.js';
import type { AttemptCompletion } from '../store.js';
import { toJson } from './stored-values.js';

/**
 * The fence of a settlement: a report applies only while its attempt is the execution's latest,
 * is still running, and the execution runs. Anything else means the attempt was reaped,
 * cancelled or superseded.
 */
export function isCurrentAttempt(attempt: { number: number; status: AttemptStatus }, latest: number, execution: { status: ExecutionStatus }): boolean {
  return attempt.number === latest && attempt.status === 'running' && execution.status === 'running';
}

/**
 * The report to keep as `lateReport` for a completion that missed the fence, or undefined: a
 * late `lost` (the reaper racing a report that won) is not a program's report and is dropped.
 */
export function lateReportOf(completion: AttemptCompletion): AttemptReport | undefined {
  if (completion.status === 'lost') return undefined;
  const { status, exitCode, reason, error, result } = completion;
  return { status, exitCode, reason, error, result: result ?? null };
}

/** JSON text of an execution's result as stored when it ends; no result is SQL NULL. */
export function storedResult(completion: AttemptCompletion): string | null {
  return completion.result === undefined || completion.result === null ? null : toJson(completion.result);
}
