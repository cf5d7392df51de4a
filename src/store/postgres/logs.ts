import { attemptNotFound } from '../shared/errors.js';
import type { AttemptRef, LogLine, StoredLogLine } from '../store.js';
import { lockClass, transaction, type Db, type Pool } from './connection.js';

/**
 * Appends lines to an attempt's log. Lines get the next seqs of their execution (not a global
 * counter), so a reader resuming with afterSeq sees each line once and in order. Two writers of
 * one execution (a superseded attempt's last flush and the current attempt, on two controllers)
 * would both read the same MAX(seq); an advisory lock per execution, held to the end of the
 * transaction, orders them without touching the execution's row, which claims and settlements lock.
 */
export async function appendLogs(pool: Pool, ref: AttemptRef, lines: LogLine[]): Promise<void> {
  if (lines.length === 0) return;
  await transaction(pool, async (client) => {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [lockClass.logs, ref.executionId]);
    const { rows } = await client.query<{ last: number | null; exists: boolean }>(
      `SELECT EXISTS (SELECT 1 FROM attempts WHERE execution_id = $1 AND number = $2) AS exists,
              (SELECT MAX(seq) FROM logs WHERE execution_id = $1) AS last`,
      [ref.executionId, ref.attempt],
    );
    if (!rows[0].exists) throw attemptNotFound(ref);
    await client.query(
      `INSERT INTO logs (execution_id, seq, attempt, time, stream, line)
       SELECT $1, $2::int + position, $3, time, stream, line
       FROM unnest($4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS l (time, stream, line, position)`,
      [ref.executionId, rows[0].last ?? 0, ref.attempt, lines.map((line) => line.time), lines.map((line) => line.stream), lines.map((line) => line.line)],
    );
  });
}

/** Lines of an execution after `afterSeq`, oldest first, optionally of one attempt. */
export async function readLogs(db: Db, executionId: string, options: { afterSeq?: number; attempt?: number; limit: number }): Promise<StoredLogLine[]> {
  const { rows } = await db.query<StoredLogLine>(
    `SELECT seq, attempt, time, stream, line FROM logs
     WHERE execution_id = $1 AND seq > $2 AND ($3::int IS NULL OR attempt = $3)
     ORDER BY seq LIMIT $4`,
    [executionId, options.afterSeq ?? 0, options.attempt ?? null, options.limit],
  );
  return rows;
}
