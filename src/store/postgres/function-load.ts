import type { FunctionLoad } from '../../domain/wait-reason.js';
import type { FunctionRef } from '../store.js';
import type { Db } from './connection.js';

/** What a function's executions use at `now`: running, running with `concurrencyKey`, starts in its rate window. One statement. */
export async function functionLoad(db: Db, fn: FunctionRef, concurrencyKey: string | null, now: string): Promise<FunctionLoad> {
  const { rows } = await db.query<{ running: number; key_running: number; started: number; oldest: string | null }>(
    `SELECT
       (SELECT COUNT(*)::int FROM executions WHERE namespace = $1 AND function = $2 AND status = 'running') AS running,
       (SELECT COUNT(*)::int FROM executions WHERE namespace = $1 AND function = $2 AND status = 'running' AND concurrency_key IS NOT DISTINCT FROM $3) AS key_running,
       COALESCE(w.started, 0)::int AS started, w.oldest
     FROM (SELECT 1) one
     LEFT JOIN LATERAL (
       SELECT SUM(s.count) AS started, MIN(s.started_at) AS oldest FROM functions f
       JOIN rate_limit_starts s ON s.namespace = f.namespace AND s.function = f.name
       WHERE f.namespace = $1 AND f.name = $2 AND f.rate_period_ms IS NOT NULL
         AND s.started_at > $4::timestamptz - make_interval(secs => f.rate_period_ms / 1000.0)
     ) w ON true`,
    [fn.namespace, fn.name, concurrencyKey, now],
  );
  const row = rows[0];
  return { running: row.running, keyRunning: row.key_running, startedInWindow: row.started, oldestStartInWindow: row.oldest };
}
