import { assembleFunctionStats, percentileRanks, type CountRow, type RankRow } from '../shared/execution-stats.js';
import type { FunctionStats, TimeWindow } from '../store.js';
import { sql, type Db } from './connection.js';

/** Whole milliseconds from an execution's first start to its end (rounded, as julianday is a double). */
export const durationMs = 'CAST(ROUND((julianday(finished_at) - julianday(started_at)) * 86400000) AS INTEGER)';

/**
 * How each function's executions that ended in the window ended, and their duration percentiles.
 * Both statements read the window through executions_by_finished (migration 5), so the cost is
 * the number of executions that ended in it, not the length of the history.
 */
export function functionStats(db: Db, namespace: string, window: TimeWindow): FunctionStats[] {
  const ended = 'namespace = ? AND finished_at >= ? AND finished_at < ?';
  const values = [namespace, window.since, window.until];
  const counts = sql(db, `SELECT function AS key, status, COUNT(*) AS count FROM executions WHERE ${ended} GROUP BY function, status`).all(...values) as CountRow[];
  const ranks = sql(
    db,
    `WITH durations AS (SELECT function AS key, ${durationMs} AS ms FROM executions WHERE ${ended} AND started_at IS NOT NULL),
     ranked AS (SELECT key, ms, ROW_NUMBER() OVER (PARTITION BY key ORDER BY ms) AS rank, COUNT(*) OVER (PARTITION BY key) AS n FROM durations)
     SELECT key, rank, n, ms FROM ranked WHERE ${percentileRanks}`,
  ).all(...values) as RankRow[];
  return assembleFunctionStats(counts, ranks);
}
