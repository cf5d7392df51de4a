import type { AttemptStatus, ExecutionStatus } from '../../domain/execution.js';
import type { AttemptCompletion } from '../store.js';
import { isCurrentAttempt, storedResult } from '../shared/attempt-settlement.js';
import { isoTime } from '../shared/stored-values.js';
import { applyCompletion, endAttemptRow } from './complete-attempt.js';
import { sql, writeTransaction, type Db } from './connection.js';

/** A row of the batch fence: where one completion of the batch stands. */
interface FenceRow {
  position: number;
  execution_status: ExecutionStatus;
  number: number;
  attempt_status: AttemptStatus;
  latest: number;
}

/**
 * Settles a batch of attempts in one write transaction, each fenced as completeAttempt fences it:
 * one commit (one WAL append) for the batch a replica posts, instead of one per attempt. The
 * common case, attempts that are current and end their execution, is fenced and applied with three
 * statements for the whole batch; a retry, a late report or an attempt met twice in the batch
 * takes completeAttempt's path, one at a time, after them.
 */
export function completeAttempts(db: Db, completions: AttemptCompletion[]): boolean[] {
  if (completions.length === 0) return [];
  return writeTransaction(db, () => {
    const fence = fenceBatch(db, completions);
    const ending: number[] = [];
    const oneByOne: number[] = [];
    const seen = new Set<string>();
    completions.forEach((completion, position) => {
      const key = `${completion.executionId}/${completion.attempt}`;
      const stands = fence.get(position);
      const current = stands && isCurrentAttempt({ number: stands.number, status: stands.attempt_status }, stands.latest, { status: stands.execution_status });
      if (current && completion.settlement.next !== 'retry' && !seen.has(key)) ending.push(position);
      else oneByOne.push(position);
      seen.add(key);
    });
    endAttempts(db, ending.map((position) => completions[position]));
    const applied = completions.map(() => true);
    for (const position of oneByOne) applied[position] = applyCompletion(db, completions[position]);
    return applied;
  });
}

/** Where each completion's attempt and execution stand, by position in the batch; absent when either is unknown. */
function fenceBatch(db: Db, completions: AttemptCompletion[]): Map<number, FenceRow> {
  const rows = sql(
    db,
    `SELECT c.key AS position, e.status AS execution_status, a.number, a.status AS attempt_status,
            (SELECT MAX(number) FROM attempts m WHERE m.execution_id = e.id) AS latest
     FROM json_each(?) c
     JOIN executions e ON e.id = c.value ->> 0
     JOIN attempts a ON a.execution_id = e.id AND a.number = c.value ->> 1`,
  ).all(JSON.stringify(completions.map((completion) => [completion.executionId, completion.attempt]))) as FenceRow[];
  return new Map(rows.map((row) => [row.position, row]));
}

/**
 * Applies current attempts that end their executions, two prepared statements each with its values
 * bound. (One statement for the batch over json_each of the completions cost more: each `->>`
 * parsed the completion's JSON text again, ~10% of the store step's CPU.) not_before is left
 * alone: a running execution has none (the claim cleared it), and naming the column would make
 * SQLite weigh the queue's partial indexes on it for every row.
 */
function endAttempts(db: Db, completions: AttemptCompletion[]): void {
  const endExecution = sql(db, 'UPDATE executions SET status = ?, result = ?, error = ?, finished_at = ?, notified = ? WHERE id = ?');
  for (const completion of completions) {
    const settlement = completion.settlement as Extract<AttemptCompletion['settlement'], { next: 'finish' }>;
    const finishedAt = isoTime(completion.finishedAt);
    endAttemptRow(db, completion, finishedAt);
    endExecution.run(settlement.status, storedResult(completion), completion.error, finishedAt, settlement.notified ? 1 : 0, completion.executionId);
  }
}
