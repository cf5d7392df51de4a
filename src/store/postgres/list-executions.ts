import type { ExecutionStatus } from '../../domain/execution.js';
import { decodeCursor, encodeCursor, zeroCounts } from '../shared/execution-listing.js';
import type { ExecutionPage, ExecutionQuery, StatusCounts } from '../store.js';
import type { Db } from './connection.js';
import { selectExecutions } from './rows.js';

/**
 * One page of executions, newest first, by seq (stable while new executions arrive). The WHERE
 * clause names only the filters given, so the planner picks the index ending in seq for that
 * combination and a page costs `limit` index steps.
 */
export async function listExecutions(db: Db, query: ExecutionQuery): Promise<ExecutionPage> {
  const before = query.cursor === undefined ? Number.MAX_SAFE_INTEGER : decodeCursor(query.cursor);
  const values: unknown[] = [query.namespace];
  const filters = ['e.namespace = $1'];
  if (query.function !== undefined) filters.push(`e.function = $${values.push(query.function)}`);
  if (query.status !== undefined) filters.push(`e.status = $${values.push(query.status)}`);
  if (query.createdSince !== undefined) filters.push(`e.created_at >= $${values.push(query.createdSince)}`);
  if (query.createdBefore !== undefined) filters.push(`e.created_at < $${values.push(query.createdBefore)}`);
  filters.push(`e.seq < $${values.push(before)}`);
  const limit = `$${values.push(query.limit + 1)}`;
  const rows = await selectExecutions(db, filters.join(' AND '), values, `ORDER BY e.seq DESC LIMIT ${limit}`);
  const page = rows.slice(0, query.limit);
  const nextCursor = rows.length > query.limit ? encodeCursor(page[page.length - 1].seq) : null;
  return { items: page.map((row) => row.execution), nextCursor };
}

/** How many executions are in each status, in all namespaces, one namespace, or one function. */
export async function countExecutions(db: Db, namespace?: string, fn?: string, statuses?: readonly ExecutionStatus[]): Promise<StatusCounts> {
  const { rows } = await db.query<{ status: ExecutionStatus; count: number }>(
    `SELECT status, COUNT(*) AS count FROM executions
     WHERE ($1::text IS NULL OR namespace = $1) AND ($2::text IS NULL OR function = $2)
       AND ($3::text[] IS NULL OR status = ANY($3))
     GROUP BY status`,
    [namespace ?? null, fn ?? null, statuses ?? null],
  );
  const counts = zeroCounts();
  for (const row of rows) counts[row.status] = row.count;
  return counts;
}
