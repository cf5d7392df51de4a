import type { ExecutionStatus } from '../../domain/execution.js';
import { decodeCursor, encodeCursor, zeroCounts } from '../shared/execution-listing.js';
import type { ExecutionPage, ExecutionQuery, StatusCounts } from '../store.js';
import { sql, type Db } from './connection.js';
import { readExecutions, type ExecutionRow } from './rows.js';
import { boundLimit } from './bound-limit.js';

/**
 * The ended statuses, as the status listings' partial indexes (migration 8) spell their WHERE
 * clause: SQLite uses a partial index only for a query that carries this same term.
 */
const ended = `status IN ('succeeded', 'failed', 'timed_out', 'cancelled')`;
const endedStatuses: readonly ExecutionStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled'];
const liveStatuses: readonly ExecutionStatus[] = ['queued', 'running'];

/** Up to this many queued executions in scope are listed by sorting them (see liveIndex). */
const sortableQueue = 20_000;

/**
 * One page of executions, newest first. Paging by seq (not offset) keeps pages stable while new
 * executions arrive. Without a status filter, or with an ended one, an index ending in seq serves
 * the filter combination, so a page costs `limit` index steps; live statuses see liveIndex.
 */
export function listExecutions(db: Db, query: ExecutionQuery): ExecutionPage {
  const before = query.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(query.cursor);
  // One statement per filter combination rather than `(? IS NULL OR …)`, which the planner
  // cannot match to an index.
  const filters = [
    'namespace = ?',
    query.function !== undefined && 'function = ?',
    // A live status as a literal: a partial index's WHERE must be implied by the query's text.
    query.status !== undefined && (liveStatuses.includes(query.status) ? `status = '${query.status}'` : 'status = ?'),
    query.status !== undefined && endedStatuses.includes(query.status) && ended,
    query.createdSince !== undefined && 'created_at >= ?',
    query.createdBefore !== undefined && 'created_at < ?',
    'seq < ?',
  ];
  const boundStatus = query.status !== undefined && endedStatuses.includes(query.status) ? query.status : undefined;
  const values = [query.namespace, query.function, boundStatus, query.createdSince, query.createdBefore, before, query.limit + 1].filter(
    (value) => value !== undefined,
  );
  const rows = sql(
    db,
    `SELECT * FROM executions ${liveIndex(db, query)} WHERE ${filters.filter(Boolean).join(' AND ')} ORDER BY seq DESC ${boundLimit}`,
  ).all(...values) as ExecutionRow[];
  const page = rows.slice(0, query.limit);
  const nextCursor = rows.length > query.limit ? encodeCursor(page[page.length - 1].seq) : null;
  return { items: readExecutions(db, page), nextCursor };
}

/**
 * The index a live status's listing reads. Queued and running executions have no index in seq
 * order (it would be rewritten at every claim); their partial indexes hold only them, so reading
 * those and sorting costs the live rows in scope, whatever the history. Running rows are bounded by
 * parallelism; a queue longer than sortableQueue is instead walked newest first, where a backlog's
 * rows are.
 */
function liveIndex(db: Db, query: ExecutionQuery): string {
  if (query.status === 'running') return 'INDEXED BY executions_running';
  if (query.status !== 'queued') return '';
  const queued = countExecutions(db, query.namespace, query.function, ['queued']).queued;
  return queued <= sortableQueue ? 'INDEXED BY executions_ready' : '';
}

/**
 * How many executions are in each status, in all namespaces, one namespace, or one function. Live
 * statuses are counted one by one (each through its own partial index: executions_ready,
 * executions_running), ended ones in one pass over the ended rows' index.
 */
export function countExecutions(db: Db, namespace?: string, fn?: string, statuses?: readonly ExecutionStatus[]): StatusCounts {
  const wanted = statuses ?? [...liveStatuses, ...endedStatuses];
  const scope = [namespace !== undefined && 'namespace = ?', fn !== undefined && 'function = ?'].filter(Boolean) as string[];
  const scopeValues = [namespace, fn].filter((value) => value !== undefined);
  const counts = zeroCounts();
  for (const status of liveStatuses.filter((live) => wanted.includes(live))) {
    // The status as a literal: a partial index's WHERE must be implied by the query's own text.
    const row = sql(db, `SELECT COUNT(*) AS count FROM executions WHERE ${[...scope, `status = '${status}'`].join(' AND ')}`).get(...scopeValues) as { count: number };
    counts[status] = row.count;
  }
  const endedWanted = endedStatuses.filter((status) => wanted.includes(status));
  if (endedWanted.length > 0) {
    const only = `status IN (${endedWanted.map(() => '?').join(', ')})`;
    const rows = sql(db, `SELECT status, COUNT(*) AS count FROM executions WHERE ${[...scope, ended, only].join(' AND ')} GROUP BY status`).all(
      ...scopeValues,
      ...endedWanted,
    ) as { status: ExecutionStatus; count: number }[];
    for (const row of rows) counts[row.status] = row.count;
  }
  return counts;
}
