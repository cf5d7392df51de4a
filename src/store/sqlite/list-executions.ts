import type { ExecutionStatus } from '../../domain/execution.js';
import { decodeCursor, encodeCursor, zeroCounts } from '../shared/execution-listing.js';
import type { ExecutionPage, ExecutionQuery, StatusCounts } from '../store.js';
import { sql, type Db } from './connection.js';
import { readExecutions, type ExecutionRow } from './rows.js';

/**
 * One page of executions, newest first. Paging by seq (not offset) keeps pages stable while new
 * executions arrive, and each filter combination has an index ending in seq, so a page costs
 * `limit` index steps.
 */
export function listExecutions(db: Db, query: ExecutionQuery): ExecutionPage {
  const before = query.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(query.cursor);
  // One statement per filter combination rather than `(? IS NULL OR …)`, which the planner
  // cannot match to an index.
  const filters = [
    'namespace = ?',
    query.function !== undefined && 'function = ?',
    query.status !== undefined && 'status = ?',
    query.createdSince !== undefined && 'created_at >= ?',
    query.createdBefore !== undefined && 'created_at < ?',
    'seq < ?',
  ];
  const values = [query.namespace, query.function, query.status, query.createdSince, query.createdBefore, before, query.limit + 1].filter(
    (value) => value !== undefined,
  );
  const rows = sql(
    db,
    `SELECT * FROM executions WHERE ${filters.filter(Boolean).join(' AND ')} ORDER BY seq DESC LIMIT ?`,
  ).all(...values) as ExecutionRow[];
  const page = rows.slice(0, query.limit);
  const nextCursor = rows.length > query.limit ? encodeCursor(page[page.length - 1].seq) : null;
  return { items: readExecutions(db, page), nextCursor };
}

/** How many executions are in each status, in all namespaces, one namespace, or one function. */
export function countExecutions(db: Db, namespace?: string, fn?: string, statuses?: readonly ExecutionStatus[]): StatusCounts {
  const only = statuses && `status IN (${statuses.map(() => '?').join(', ')})`;
  const filters = [namespace !== undefined && 'namespace = ?', fn !== undefined && 'function = ?', only].filter(Boolean);
  const where = filters.length > 0 ? `WHERE ${filters.join(' AND ')}` : '';
  const values = [namespace, fn, ...(statuses ?? [])].filter((value) => value !== undefined);
  const rows = sql(db, `SELECT status, COUNT(*) AS count FROM executions ${where} GROUP BY status`).all(...values) as {
    status: ExecutionStatus;
    count: number;
  }[];
  const counts = zeroCounts();
  for (const row of rows) counts[row.status] = row.count;
  return counts;
}
