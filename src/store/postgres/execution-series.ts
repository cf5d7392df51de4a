import { assembleSeries, percentileRanks, type CountRow, type RankRow } from '../shared/execution-stats.js';
import type { SeriesBucket, SeriesQuery } from '../store.js';
import type { Db } from './connection.js';
import { durationMs } from './function-stats.js';

/** The bucket index of a time column: whole milliseconds since $since ($2), divided by the width ($4). */
const bucketOf = (column: string) => `FLOOR(ROUND(EXTRACT(EPOCH FROM (${column} - $2::timestamptz)) * 1000) / $4)::int`;

/**
 * A namespace's (or one function's) series over a window, in one statement (one snapshot). Each
 * part reads one range of an index of migrations 4 and 8 (by created, finished or started time),
 * so its cost is the executions that moved in the window, however long the history. An
 * execution leaves the queue at its first start, or at its end when it never started: two
 * ranges, of executions_by_started and executions_ended_unstarted (whose WHEREs they repeat).
 */
export async function executionSeries(db: Db, query: SeriesQuery): Promise<SeriesBucket[]> {
  // $1 namespace, $2 since, $3 until, $4 bucket width in ms, $5 function or null.
  const scope = 'namespace = $1 AND ($5::text IS NULL OR function = $5)';
  const inWindow = (column: string) => `${scope} AND ${column} >= $2 AND ${column} < $3`;
  const { rows } = await db.query<{ created: CountRow[] | null; ended: CountRow[] | null; ranks: RankRow[] | null; departed: CountRow[] | null; depth: string }>(
    `WITH created AS (
       SELECT ${bucketOf('created_at')} AS key, COUNT(*) AS count FROM executions WHERE ${inWindow('created_at')} GROUP BY 1),
     ended AS (
       SELECT ${bucketOf('finished_at')} AS key, status, COUNT(*) AS count FROM executions WHERE ${inWindow('finished_at')} GROUP BY 1, 2),
     durations AS (
       SELECT ${bucketOf('finished_at')} AS key, ${durationMs} AS ms FROM executions WHERE ${inWindow('finished_at')} AND started_at IS NOT NULL),
     ranked AS (
       SELECT key, ms, ROW_NUMBER() OVER (PARTITION BY key ORDER BY ms) AS rank, COUNT(*) OVER (PARTITION BY key) AS n FROM durations),
     departed AS (
       SELECT ${bucketOf('started_at')} AS key, COUNT(*) AS count FROM executions WHERE ${inWindow('started_at')} AND started_at IS NOT NULL GROUP BY 1
       UNION ALL
       SELECT ${bucketOf('finished_at')} AS key, COUNT(*) AS count FROM executions
       WHERE ${inWindow('finished_at')} AND started_at IS NULL AND finished_at IS NOT NULL GROUP BY 1)
     SELECT (SELECT json_agg(created) FROM created) AS created,
            (SELECT json_agg(ended) FROM ended) AS ended,
            (SELECT json_agg(ranked) FROM ranked WHERE ${percentileRanks}) AS ranks,
            (SELECT json_agg(departed) FROM departed) AS departed,
            -- Waiting at $since: created before it and either left at or after it, or still waiting.
            (SELECT COUNT(*) FROM executions WHERE ${scope} AND started_at IS NOT NULL AND started_at >= $2 AND created_at < $2)
              + (SELECT COUNT(*) FROM executions WHERE ${scope} AND started_at IS NULL AND finished_at IS NOT NULL AND finished_at >= $2 AND created_at < $2)
              + (SELECT COUNT(*) FROM executions WHERE ${scope} AND status = 'queued' AND started_at IS NULL AND created_at < $2) AS depth`,
    [query.namespace, query.since, query.until, query.bucketMs, query.function ?? null],
  );
  const row = rows[0];
  return assembleSeries(query, {
    created: row.created ?? [],
    ended: row.ended ?? [],
    ranks: row.ranks ?? [],
    departed: row.departed ?? [],
    depthAtSince: Number(row.depth),
  });
}
