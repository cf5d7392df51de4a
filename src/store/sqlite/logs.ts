import { attemptNotFound } from '../shared/errors.js';
import type { AttemptRef, LogLine, StoredLogLine } from '../store.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { boundLimit } from './bound-limit.js';

/**
 * Appends lines to an attempt's log. Lines get the next seqs of their execution (not a global
 * counter), so a reader resuming with afterSeq sees each line once and in order. Lines may
 * arrive after the attempt settled: an observer flushes its last output after the exit.
 */
export function appendLogs(db: Db, ref: AttemptRef, lines: LogLine[]): void {
  if (lines.length === 0) return;
  writeTransaction(db, () => {
    const exists = sql(db, 'SELECT 1 FROM attempts WHERE execution_id = ? AND number = ?').get(ref.executionId, ref.attempt);
    if (!exists) throw attemptNotFound(ref);
    const { last } = sql(db, 'SELECT COALESCE(MAX(seq), 0) AS last FROM logs WHERE execution_id = ?').get(ref.executionId) as { last: number };
    const insert = sql(db, 'INSERT INTO logs (execution_id, seq, attempt, time, stream, line) VALUES (?, ?, ?, ?, ?, ?)');
    lines.forEach((line, index) => insert.run(ref.executionId, last + index + 1, ref.attempt, line.time, line.stream, line.line));
  });
}

/** Lines of an execution after `afterSeq`, oldest first, optionally of one attempt. */
export function readLogs(db: Db, executionId: string, options: { afterSeq?: number; attempt?: number; limit: number }): StoredLogLine[] {
  const byAttempt = options.attempt === undefined ? '' : 'AND attempt = ?';
  const values = [executionId, options.afterSeq ?? 0, options.attempt, options.limit].filter((value) => value !== undefined);
  return sql(
    db,
    `SELECT seq, attempt, time, stream, line FROM logs WHERE execution_id = ? AND seq > ? ${byAttempt} ORDER BY seq ${boundLimit}`,
  ).all(...values) as StoredLogLine[];
}
