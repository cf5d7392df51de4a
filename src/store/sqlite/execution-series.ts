import { assembleSeries, percentileRanks, type CountRow, type RankRow } from '../shared/execution-stats.js';
import type { SeriesBucket, SeriesQuery } from '../store.js';
import { sql, type Db } from './connection.js';
import { durationMs } from './function-stats.js';


/** The bucket index of a time column: whole milliseconds since `since`, divided by the width. */
const bucketOf = (column: string) => `(CAST(ROUND((julianday(${column}) - julianday(?)) * 86400000) AS INTEGER) / CAST(? AS INTEGER))`;

/**
 * A namespace's (or one function's) series over a window. Each statement reads one range of an
 * index (by created, finished or started time: migrations 4 and 8), so its cost is the executions
 * that moved in the window, however long the history.
 */
export function executionSeries(db: Db, query: SeriesQuery): SeriesBucket[] {
  const ofFunction = query.function === undefined ? '' : 'AND function = ?';
  const scope = [query.namespace, query.function].filter((value) => value !== undefined);
  const bucketArgs = [query.since, query.bucketMs];
  const inWindow = (column: string) => `namespace = ? ${ofFunction} AND ${column} >= ? AND ${column} < ?`;
  const window = [query.since, query.until];
  const perBucket = (column: string, also = '') =>
    sql(db, `SELECT ${bucketOf(column)} AS key, COUNT(*) AS count FROM executions WHERE ${inWindow(column)} ${also} GROUP BY key`).all(
      ...bucketArgs, ...scope, ...window,
    ) as CountRow[];
  // An execution leaves the queue at its first start, or at its end when it never started: two
  // ranges, of executions_by_started and executions_ended_unstarted (whose partial WHEREs they repeat).
  const departed = [...perBucket('started_at', 'AND started_at IS NOT NULL'), ...perBucket('finished_at', 'AND started_at IS NULL AND finished_at IS NOT NULL')];
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
  const leftLater = sql(
    db,
    `SELECT (SELECT COUNT(*) FROM executions WHERE namespace = ? ${ofFunction} AND started_at IS NOT NULL AND started_at >= ? AND created_at < ?)
          + (SELECT COUNT(*) FROM executions WHERE namespace = ? ${ofFunction} AND started_at IS NULL AND finished_at IS NOT NULL AND finished_at >= ? AND created_at < ?) AS count`,
  ).get(...scope, query.since, query.since, ...scope, query.since, query.since) as { count: number };
  const stillWaiting = sql(
    db,
    // Through executions_ready it visits only the queued ones, not every execution created before `since`.
    `SELECT COUNT(*) AS count FROM executions INDEXED BY executions_ready WHERE namespace = ? ${ofFunction} AND status = 'queued' AND started_at IS NULL AND created_at < ?`,
  ).get(...scope, query.since) as { count: number };
  return assembleSeries(query, {
    created: perBucket('created_at'),
    ended,
    ranks,
    departed,
    depthAtSince: leftLater.count + stillWaiting.count,
  });
}
