import { assembleFunctionStats, percentileRanks, type CountRow, type RankRow } from '../shared/execution-stats.js';
import type { FunctionStats, TimeWindow } from '../store.js';
import type { Db } from './connection.js';

/** Whole milliseconds from an execution's first start to its end. */
export const durationMs = 'ROUND(EXTRACT(EPOCH FROM (finished_at - started_at)) * 1000)::bigint';

/**
 * How each function's executions that ended in the window ended, and their duration percentiles,
 * both read through executions_by_finished (migration 5): the cost is the executions that ended
 * in the window. One statement, so both parts come from one snapshot.
 */
export async function functionStats(db: Db, namespace: string, window: TimeWindow): Promise<FunctionStats[]> {
  const { rows } = await db.query<{ counts: CountRow[] | null; ranks: RankRow[] | null }>(
    `WITH ended AS (
       SELECT function, status, CASE WHEN started_at IS NULL THEN NULL ELSE ${durationMs} END AS ms
       FROM executions WHERE namespace = $1 AND finished_at >= $2 AND finished_at < $3),
     counts AS (SELECT function AS key, status, COUNT(*) AS count FROM ended GROUP BY function, status),
     ranked AS (
       SELECT function AS key, ms, ROW_NUMBER() OVER (PARTITION BY function ORDER BY ms) AS rank,
              COUNT(*) OVER (PARTITION BY function) AS n
       FROM ended WHERE ms IS NOT NULL)
     SELECT (SELECT json_agg(counts) FROM counts) AS counts,
            (SELECT json_agg(ranked) FROM ranked WHERE ${percentileRanks}) AS ranks`,
    [namespace, window.since, window.until],
  );
  return assembleFunctionStats(rows[0].counts ?? [], rows[0].ranks ?? []);
}
