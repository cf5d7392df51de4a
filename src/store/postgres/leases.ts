import type { Execution } from '../../domain/execution.js';
import type { AttemptRef } from '../store.js';
import { isoAfter, isoTime } from '../shared/stored-values.js';
import type { Pool } from './connection.js';
import { readExecutionsById } from './rows.js';

/**
 * Extends the leases `owner` still holds, in one statement, and returns the attempts it must
 * stop. A lease that has already expired is not revived, even before the reaper has settled it:
 * from the moment it expired the attempt counts as lost and may be retried elsewhere.
 */
export async function renewLeases(pool: Pool, owner: string, attempts: AttemptRef[], now: string, leaseMs: number): Promise<AttemptRef[]> {
  if (attempts.length === 0) return [];
  const at = isoTime(now);
  const { rows } = await pool.query<{ execution_id: string; number: number }>(
    `UPDATE attempts a SET lease_expires_at = $5
     FROM unnest($1::text[], $2::int[]) AS r (execution_id, number)
     WHERE a.execution_id = r.execution_id AND a.number = r.number
       AND a.owner = $3 AND a.status = 'running' AND a.lease_expires_at >= $4
     RETURNING a.execution_id, a.number`,
    [attempts.map((ref) => ref.executionId), attempts.map((ref) => ref.attempt), owner, at, isoAfter(at, leaseMs)],
  );
  const renewed = new Set(rows.map((row) => `${row.execution_id}#${row.number}`));
  return attempts
    .filter((ref) => !renewed.has(`${ref.executionId}#${ref.attempt}`))
    .map((ref) => ({ executionId: ref.executionId, attempt: ref.attempt }));
}

/** Running attempts whose lease expired before `now`, longest expired first, with their executions. */
export async function listExpiredAttempts(pool: Pool, now: string, limit: number): Promise<(AttemptRef & { execution: Execution })[]> {
  const { rows } = await pool.query<{ execution_id: string; number: number }>(
    `SELECT execution_id, number FROM attempts
     WHERE status = 'running' AND lease_expires_at < $1
     ORDER BY lease_expires_at, execution_id LIMIT $2`,
    [isoTime(now), limit],
  );
  const executions = await readExecutionsById(pool, rows.map((row) => row.execution_id));
  return rows
    .filter((row) => executions.has(row.execution_id))
    .map((row) => ({ executionId: row.execution_id, attempt: row.number, execution: executions.get(row.execution_id)! }));
}
