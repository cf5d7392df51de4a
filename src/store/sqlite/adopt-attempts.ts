import type { AdoptedAttempt, Adoption, AttemptRef, OrphanedAttempt } from '../store.js';
import { isoAfter, isoTime } from '../shared/stored-values.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { selectFunctionVersion } from './functions.js';
import { readExecution } from './rows.js';

/**
 * Moves the leases of orphaned attempts to `owner` (see Store.adoptAttempts), in one write
 * transaction: an attempt is taken only from the owner it was started for, while it runs and
 * before its lease expires, the same fence that renewLeases keeps.
 */
export function adoptAttempts(db: Db, owner: string, orphans: OrphanedAttempt[], now: string, leaseMs: number): Adoption {
  const at = isoTime(now);
  const leaseExpiresAt = isoAfter(at, leaseMs);
  return writeTransaction(db, () => {
    const adopted: AdoptedAttempt[] = [];
    const over: AttemptRef[] = [];
    for (const orphan of orphans) {
      const ref = { executionId: orphan.executionId, attempt: orphan.attempt };
      const row = sql(db, 'SELECT status, owner, lease_expires_at FROM attempts WHERE execution_id = ? AND number = ?').get(ref.executionId, ref.attempt) as
        | { status: string; owner: string | null; lease_expires_at: string | null }
        | undefined;
      if (!row || row.status !== 'running' || !row.lease_expires_at || row.lease_expires_at < at) {
        over.push(ref);
        continue;
      }
      // Taken over by another controller meanwhile: theirs now.
      if (row.owner !== orphan.owner && row.owner !== owner) continue;
      sql(db, 'UPDATE attempts SET owner = ?, lease_expires_at = ? WHERE execution_id = ? AND number = ?').run(owner, leaseExpiresAt, ref.executionId, ref.attempt);
      const execution = readExecution(db, ref.executionId)!;
      const fn = selectFunctionVersion(db, execution.namespace, execution.function, execution.version)!;
      const { count } = sql(db, `SELECT COUNT(*) AS count FROM logs WHERE execution_id = ? AND attempt = ? AND stream <> 'system'`).get(ref.executionId, ref.attempt) as { count: number };
      adopted.push({ execution, attempt: ref.attempt, function: fn, leaseExpiresAt, loggedLines: count });
    }
    return { adopted, over };
  });
}
