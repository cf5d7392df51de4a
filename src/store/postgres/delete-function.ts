import { deletedFunctionError } from '../shared/errors.js';
import { transaction, type Pool } from './connection.js';

/**
 * Marks a function deleted and cancels its queued executions (they could never be claimed
 * again). FOR UPDATE on the function's row waits for enqueues (FOR KEY SHARE) and claims (FOR NO
 * KEY UPDATE) of it in flight, and makes later ones wait for this, so no execution is queued
 * behind the delete's back. Running executions keep their attempt and finish.
 */
export async function deleteFunction(pool: Pool, namespace: string, name: string): Promise<boolean> {
  return transaction(pool, async (client) => {
    const { rows } = await client.query<{ deleted: boolean }>('SELECT deleted FROM functions WHERE namespace = $1 AND name = $2 FOR UPDATE', [
      namespace,
      name,
    ]);
    if (rows.length === 0 || rows[0].deleted) return false;
    await client.query('UPDATE functions SET deleted = true WHERE namespace = $1 AND name = $2', [namespace, name]);
    await client.query(
      `UPDATE executions SET status = 'cancelled', finished_at = now(), not_before = NULL, error = $3
       WHERE namespace = $1 AND function = $2 AND status = 'queued'`,
      [namespace, name, deletedFunctionError(namespace, name)],
    );
    return true;
  });
}
