import type { QueueStats } from '../store.js';
import type { Db } from './connection.js';

/**
 * Queued executions per function, from the partial index executions_ready (an index-only scan:
 * it includes not_before), so the cost grows with the queue and not with the finished history.
 * One primary-key lookup per function reads the creation time of its oldest ready execution.
 */
export async function queueStats(db: Db, now: string): Promise<QueueStats[]> {
  const { rows } = await db.query<{ namespace: string; function: string; queued: number; ready: number; oldest_ready_at: string | null }>(
    `SELECT q.namespace, q.function, q.queued, q.ready, e.created_at AS oldest_ready_at
     FROM (SELECT namespace, function, COUNT(*)::int AS queued,
                  (COUNT(*) FILTER (WHERE not_before IS NULL OR not_before <= $1))::int AS ready,
                  MIN(seq) FILTER (WHERE not_before IS NULL OR not_before <= $1) AS head
           FROM executions WHERE status = 'queued' GROUP BY namespace, function) AS q
     LEFT JOIN executions AS e ON e.seq = q.head`,
    [now],
  );
  // Timestamps arrive as ISO strings (the pool's type parsers, see connection.ts).
  return rows.map((row) => ({ namespace: row.namespace, function: row.function, queued: row.queued, ready: row.ready, oldestReadyAt: row.oldest_ready_at }));
}
