import { assembleSeries, percentileRanks, type CountRow, type RankRow } from '../shared/execution-stats.js';
import type { SeriesBucket, SeriesQuery } from '../store.js';
import { sql, type Db } from './connection.js';
import { durationMs } from './function-stats.js';

/** When an execution left the queue: its first start, or its end when it never started. */
const dequeuedAt = 'COALESCE(started_at, finished_at)';

/** The bucket index of a time column: whole milliseconds since `since`, divided by the width. */
const bucketOf = (column: string) => `(CAST(ROUND((julianday(${column}) - julianday(?)) * 86400000) AS INTEGER) / CAST(? AS INTEGER))`;

/**
 * A namespace's (or one function's) series over a window. Each statement reads one range of an
 * index of migration 5 (by created, finished or dequeued time), so its cost is the executions
 * that moved in the window, however long the history.
 */
export function executionSeries(db: Db, query: SeriesQuery): SeriesBucket[] {
  const ofFunction = query.function === undefined ? '' : 'AND function = ?';
  const scope = [query.namespace, query.function].filter((value) => value !== undefined);
  const bucketArgs = [query.since, query.bucketMs];
  const inWindow = (column: string) => `namespace = ? ${ofFunction} AND ${column} >= ? AND ${column} < ?`;
  const window = [query.since, query.until];
  const perBucket = (column: string) =>
    sql(db, `SELECT ${bucketOf(column)} AS key, COUNT(*) AS count FROM executions WHERE ${inWindow(column)} GROUP BY key`).all(
      ...bucketArgs, ...scope, ...window,
    ) as CountRow[];
  const ended = sql(
    db,
    `SELECT ${bucketOf('finished_at')} AS key, status, COUNT(*) AS count FROM executions WHERE ${inWindow('finished_at')} GROUP BY key, status`,
  ).all(...bucketArgs, ...scope, ...window) as CountRow[];
  const ranks = sql(
    db,
    `WITH durations AS (
       SELECT ${bucketOf('finished_at')} AS key, ${durationMs} AS ms FROM executions WHERE ${inWindow('finished_at')} AND started_at IS NOT NULL),
     ranked AS (SELECT key, ms, ROW_NUMBER() OVER (PARTITION BY key ORDER BY ms) AS rank, COUNT(*) OVER (PARTITION BY key) AS n FROM durations)
     SELECT key, rank, n, ms FROM ranked WHERE ${percentileRanks}`,
  ).all(...bucketArgs, ...scope, ...window) as RankRow[];
  // Waiting at `since`: created before it and either still waiting now, or left at or after it.
  const leftLater = sql(db, `SELECT COUNT(*) AS count FROM executions WHERE namespace = ? ${ofFunction} AND ${dequeuedAt} >= ? AND created_at < ?`).get(
    ...scope, query.since, query.since,
  ) as { count: number };
  const stillWaiting = sql(
    db,
    // `+created_at` keeps the planner off executions_by_created, which would visit every execution
    // created before `since`; through executions_by_status it visits only the queued ones.
    `SELECT COUNT(*) AS count FROM executions WHERE namespace = ? ${ofFunction} AND status = 'queued' AND started_at IS NULL AND +created_at < ?`,
  ).get(...scope, query.since) as { count: number };
  return assembleSeries(query, {
    created: perBucket('created_at'),
    ended,
    ranks,
    departed: perBucket(dequeuedAt),
    depthAtSince: leftLater.count + stillWaiting.count,
  });
}
