import { deletedFunctionError } from '../shared/errors.js';
import { sql, writeTransaction, type Db } from './connection.js';
import { selectFunctionRow } from './functions.js';

/**
 * Marks a function deleted and cancels its queued executions (they could never be claimed
 * again). Running executions keep their attempt and finish; their versions stay readable.
 */
export function deleteFunction(db: Db, namespace: string, name: string): boolean {
  return writeTransaction(db, () => {
    const current = selectFunctionRow(db, namespace, name);
    if (!current || current.deleted) return false;
    sql(db, 'UPDATE functions SET deleted = 1 WHERE namespace = ? AND name = ?').run(namespace, name);
    sql(
      db,
      `UPDATE executions SET status = 'cancelled', finished_at = ?, not_before = NULL, error = ?
       WHERE namespace = ? AND function = ? AND status = 'queued'`,
    ).run(new Date().toISOString(), deletedFunctionError(namespace, name), namespace, name);
    return true;
  });
}
