import type { QueueStats } from '../store.js';
import { isoTime } from '../shared/stored-values.js';
import { sql, type Db } from './connection.js';

/**
 * Queued executions per function, from the partial index executions_ready alone (it carries
 * not_before): the cost grows with the queue, not with the finished history, so a metrics scrape
 * stays flat however many executions are stored. One primary-key lookup per function reads the
 * creation time of its oldest ready execution.
 */
export function queueStats(db: Db, now: string): QueueStats[] {
  const rows = sql(
    db,
    `SELECT q.namespace, q.function, q.queued, q.ready, e.created_at AS oldest_ready_at
     FROM (SELECT namespace, function, COUNT(*) AS queued,
                  SUM(not_before IS NULL OR not_before <= ?) AS ready,
                  MIN(CASE WHEN not_before IS NULL OR not_before <= ? THEN seq END) AS head
           FROM executions INDEXED BY executions_ready
           WHERE status = 'queued' GROUP BY namespace, function) AS q
     LEFT JOIN executions AS e ON e.seq = q.head`,
  ).all(isoTime(now), isoTime(now)) as { namespace: string; function: string; queued: number; ready: number; oldest_ready_at: string | null }[];
  return rows.map((row) => ({ namespace: row.namespace, function: row.function, queued: row.queued, ready: row.ready, oldestReadyAt: row.oldest_ready_at }));
}
