import type { Migration } from './migration.js';

/**
 * Fewer index writes per execution (issue 16). Every index an execution's row is in is rewritten
 * when a column it covers changes, and each one touched adds pages to the commit: an execution's
 * life (queued → running → ended) cost about twenty index entry writes and 28 WAL pages per
 * batch of 8 settled and 8 claimed; this brings the claim to three entry writes and the end to
 * four or five (bench/store-warm-step.ts).
 *
 * - The status listings index only ended executions. Queued and running ones are listed and
 *   counted through the partial indexes the claim keeps anyway (executions_ready,
 *   executions_running), so the moves between live states no longer touch these.
 * - "Left the queue" is read as first start (a partial index written once, at the claim) or, for
 *   an execution that never started, its end (a partial index of those few), instead
 *   of one expression index rewritten at both the claim and the end.
 * - A keyed claim reads running executions' keys through executions_running: the running rows of
 *   one function are bounded by its parallelism, and every other function stops paying for it.
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
