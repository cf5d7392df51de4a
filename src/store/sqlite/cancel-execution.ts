import type { Execution } from '../../domain/execution.js';
import { isoTime } from '../shared/stored-values.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { readExecution, selectExecutionRow } from './rows.js';

/**
 * Cancels a queued execution at once, or a running one together with its running attempt; the
 * attempt then fails its next lease renewal, which is how its executor learns to stop it. A
 * terminal execution is returned unchanged.
 */
export function cancelExecution(db: Db, id: string, now: string): Execution | undefined {
  const at = isoTime(now);
  return writeTransaction(db, () => {
    const execution = selectExecutionRow(db, id);
    if (!execution) return undefined;
    if (execution.status === 'queued' || execution.status === 'running') {
      sql(db, `UPDATE executions SET status = 'cancelled', finished_at = ?, not_before = NULL WHERE id = ?`).run(at, id);
      sql(
        db,
        `UPDATE attempts SET status = 'cancelled', reason = 'Cancelled', finished_at = ?, lease_expires_at = NULL
         WHERE execution_id = ? AND status = 'running'`,
      ).run(at, id);
    }
    return readExecution(db, id);
  });
}
