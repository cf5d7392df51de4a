import type { ExecutionStatus } from '../../domain/execution.js';
import { decodeCursor, encodeCursor, zeroCounts } from '../shared/execution-listing.js';
import type { ExecutionPage, ExecutionQuery, StatusCounts } from '../store.js';
import type { Db } from './connection.js';
import { selectExecutions } from './rows.js';

/** The ended statuses, as the status listings' partial indexes (migration 8) spell their WHERE clause. */
const endedStatuses: readonly ExecutionStatus[] = ['succeeded', 'failed', 'timed_out', 'cancelled'];
const ended = `(${endedStatuses.map((status) => `'${status}'`).join(', ')})`;
const liveStatuses: readonly ExecutionStatus[] = ['queued', 'running'];

/**
 * One page of executions, newest first, by seq (stable while new executions arrive). The WHERE
 * clause names only the filters given, so the planner picks the index ending in seq for that
 * combination and a page costs `limit` index steps. Queued and running executions have no index
 * in seq order (it would take an entry at every claim, migration 8): a live status is spelt as a
 * literal so that the planner can read the partial index of that status (executions_ready,
 * executions_running), which holds only live rows, and sort them; an ended one carries the ended
 * indexes' WHERE so that a generic plan can use them too.
 */
export async function listExecutions(db: Db, query: ExecutionQuery): Promise<ExecutionPage> {
  const before = query.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(query.cursor);
  const values: unknown[] = [query.namespace];
  const filters = ['e.namespace = $1'];
  if (query.function !== undefined) filters.push(`e.function = $${values.push(query.function)}`);
  if (query.status !== undefined && liveStatuses.includes(query.status)) filters.push(`e.status = '${query.status}'`);
  else if (query.status !== undefined) filters.push(`e.status = $${values.push(query.status)}`, `e.status IN ${ended}`);
  if (query.createdSince !== undefined) filters.push(`e.created_at >= $${values.push(query.createdSince)}`);
  if (query.createdBefore !== undefined) filters.push(`e.created_at < $${values.push(query.createdBefore)}`);
  filters.push(`e.seq < $${values.push(before)}`);
  const limit = `$${values.push(query.limit + 1)}`;
  const rows = await selectExecutions(db, filters.join(' AND '), values, `ORDER BY e.seq DESC LIMIT ${limit}`);
  const page = rows.slice(0, query.limit);
  const nextCursor = rows.length > query.limit ? encodeCursor(page[page.length - 1].seq) : null;
  return { items: page.map((row) => row.execution), nextCursor };
}

/**
 * How many executions are in each status, in all namespaces, one namespace, or one function, in
 * one statement. Live statuses are counted one by one, each through its own partial index
 * (executions_ready, executions_running), ended ones in one pass over an ended rows' index
 * (migration 8). Only the filters given are named, so the planner can match an index to them.
 */
export async function countExecutions(db: Db, namespace?: string, fn?: string, statuses?: readonly ExecutionStatus[]): Promise<StatusCounts> {
  const wanted = statuses ?? [...liveStatuses, ...endedStatuses];
  const values: unknown[] = [];
  const scope = [namespace !== undefined && `namespace = $${values.push(namespace)}`, fn !== undefined && `function = $${values.push(fn)}`].filter(Boolean);
  const where = (...terms: string[]) => [...scope, ...terms].join(' AND ');
  const parts = liveStatuses
    .filter((live) => wanted.includes(live))
    .map((live) => `SELECT '${live}'::text AS status, COUNT(*)::int AS count FROM executions WHERE ${where(`status = '${live}'`)}`);
  const endedWanted = endedStatuses.filter((status) => wanted.includes(status));
  if (endedWanted.length > 0) {
    parts.push(`SELECT status, COUNT(*)::int AS count FROM executions WHERE ${where(`status IN ${ended}`, `status = ANY($${values.push(endedWanted)}::text[])`)} GROUP BY status`);
  }
  if (parts.length === 0) return zeroCounts();
  const { rows } = await db.query<{ status: ExecutionStatus; count: number }>(parts.join(' UNION ALL '), values);
  const counts = zeroCounts();
  for (const row of rows) counts[row.status] = row.count;
  return counts;
}
