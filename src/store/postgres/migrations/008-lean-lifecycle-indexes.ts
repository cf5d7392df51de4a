import type { Migration } from './migration.js';

/**
 * Fewer index entries per execution (issue 16; the SQLite store's migration 8 did the same there).
 * The claim (queued → running) and the end both change `status`, which the partial indexes'
 * WHERE clauses name, so neither can be a HOT update: PostgreSQL then writes a new entry into
 * every index whose WHERE the new row version meets, not only the ones whose columns changed.
 * (A claim cannot become HOT while executions_ready drops claimed rows, and that is what keeps
 * the claim's SKIP LOCKED scan as short as the queue.) So what an execution pays is the number of
 * indexes that hold running rows and ended rows; this takes the running ones from ten to seven
 * and a queued one's from eight to seven (bench/store-warm-step.ts measures the WAL per batch).
 *
 * - The status listings index only ended executions. Queued and running ones are listed and
 *   counted through the partial indexes the claim keeps anyway (executions_ready,
 *   executions_running): list-executions.ts spells the status as a literal so the planner can
 *   prove those WHERE clauses.
 * - "Left the queue" is read as first start (started_at, only for executions that started) or,
 *   for an execution that never started, its end (a partial index of those few), instead of one
 *   expression index over every execution, queued ones included.
 * - A keyed claim counts running executions per key through executions_running: the running rows
 *   of one function are bounded by its parallelism, and every other function stops paying for it.
 */
export const leanLifecycleIndexes: Migration = {
  version: 8,
  name: 'lean-lifecycle-indexes',
  sql: `
    DROP INDEX executions_by_status;
    DROP INDEX executions_by_function_status;
    CREATE INDEX executions_ended_by_status ON executions (namespace, status, seq)
      WHERE status IN ('succeeded', 'failed', 'timed_out', 'cancelled');
    CREATE INDEX executions_ended_by_function_status ON executions (namespace, function, status, seq)
      WHERE status IN ('succeeded', 'failed', 'timed_out', 'cancelled');

    DROP INDEX executions_by_dequeued;
    CREATE INDEX executions_by_started ON executions (namespace, started_at, function, created_at)
      WHERE started_at IS NOT NULL;
    CREATE INDEX executions_ended_unstarted ON executions (namespace, finished_at, function, created_at)
      WHERE started_at IS NULL AND finished_at IS NOT NULL;

    DROP INDEX executions_running_by_key;
  `,
};
