import type { Execution } from '../../domain/execution.js';
import type { AttemptRef } from '../store.js';
import { isoAfter, isoTime } from '../shared/stored-values.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { readExecution } from './rows.js';
import { boundLimit } from './bound-limit.js';

/**
 * Extends the leases `owner` still holds and returns the attempts it must stop. A lease that has
 * already expired is not revived, even before the reaper has settled it: from the moment it
 * expired the attempt counts as lost and may be retried elsewhere, so letting its owner carry
 * on would run the execution twice at once.
 */
export function renewLeases(db: Db, owner: string, attempts: AttemptRef[], now: string, leaseMs: number): AttemptRef[] {
  const at = isoTime(now);
  const leaseExpiresAt = isoAfter(at, leaseMs);
  return writeTransaction(db, () => {
    const stale: AttemptRef[] = [];
    for (const ref of attempts) {
      const renewed = sql(
        db,
        `UPDATE attempts SET lease_expires_at = ?
         WHERE execution_id = ? AND number = ? AND owner = ? AND status = 'running' AND lease_expires_at >= ?`,
      ).run(leaseExpiresAt, ref.executionId, ref.attempt, owner, at);
      if (renewed.changes === 0) stale.push({ executionId: ref.executionId, attempt: ref.attempt });
    }
    return stale;
  });
}

/** Running attempts whose lease expired before `now`, longest expired first, with their executions. */
export function listExpiredAttempts(db: Db, now: string, limit: number): (AttemptRef & { execution: Execution })[] {
  const rows = sql(
    db,
    `SELECT execution_id, number FROM attempts
     WHERE status = 'running' AND lease_expires_at < ?
     ORDER BY lease_expires_at ${boundLimit}`,
  ).all(isoTime(now), limit) as { execution_id: string; number: number }[];
  return rows.map((row) => ({ executionId: row.execution_id, attempt: row.number, execution: readExecution(db, row.execution_id)! }));
}
