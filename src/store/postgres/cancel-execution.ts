import type pg from 'pg';
import type { Execution } from '../../domain/execution.js';
import { isoTime } from '../shared/stored-values.js';
import { transaction, type Pool } from './connection.js';
import { notifyWake } from './notify.js';
import { readExecution } from './rows.js';

/**
 * Cancels a queued execution at once, or a running one together with its running attempt; the
 * attempt then fails its next lease renewal, which is how its executor (on whichever controller)
 * learns to stop it. The execution's row is locked first, as a settlement locks it, so a cancel
 * and a settlement of the same execution apply one after the other. A terminal execution is
 * returned unchanged.
 */
export async function cancelExecution(pool: Pool, id: string, now: string): Promise<Execution | undefined> {
  return transaction(pool, (client) => cancelIn(client, id, now));
}

/** cancelExecution inside a transaction the caller holds (a schedule's Replace cancels with it). */
export async function cancelIn(client: pg.PoolClient, id: string, now: string): Promise<Execution | undefined> {
  const at = isoTime(now);
  {
    const { rows } = await client.query<{ status: string }>('SELECT status FROM executions WHERE id = $1 FOR UPDATE', [id]);
    if (rows.length === 0) return undefined;
    if (rows[0].status === 'queued' || rows[0].status === 'running') {
      await client.query(`UPDATE executions SET status = 'cancelled', finished_at = $1, not_before = NULL WHERE id = $2`, [at, id]);
      await client.query(
        `UPDATE attempts SET status = 'cancelled', reason = 'Cancelled', finished_at = $1, lease_expires_at = NULL
         WHERE execution_id = $2 AND status = 'running'`,
        [at, id],
      );
      if (rows[0].status === 'running') await notifyWake(client, 'freed');
    }
    return readExecution(client, id);
  }
}
