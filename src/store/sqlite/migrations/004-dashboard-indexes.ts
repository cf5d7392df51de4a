import type { Migration } from './migration.js';

/**
 * Time indexes for the dashboard's views (function stats, series, listings by time range), so a
 * window costs the executions in it rather than the whole history (bench/dashboard.ts measures it).
 */
export const dashboardIndexes: Migration = {
  version: 4,
  name: 'dashboard-indexes',
  sql: `
    -- Each carries the other columns its queries read, so a window is read from the index alone:
    -- with 47,000 executions in the last hour, reading their rows instead cost several times more.
    CREATE INDEX executions_by_created ON executions (namespace, created_at, function);
    CREATE INDEX executions_by_finished ON executions (namespace, finished_at, function, status, started_at) WHERE finished_at IS NOT NULL;
    -- When an execution left the queue (first start, or end when it never started): queue depth over time.
    CREATE INDEX executions_by_dequeued ON executions (namespace, COALESCE(started_at, finished_at), function, created_at);
  `,
};
