import type { Migration } from './migration.js';

/** The trace context of each execution (the SQLite store's migration 7; docs/tracing.md). */
export const traceContext: Migration = {
  version: 7,
  name: 'trace-context',
  sql: `
    -- Null without one. Adding nullable columns without a default rewrites nothing.
    ALTER TABLE executions ADD COLUMN traceparent text;
    ALTER TABLE executions ADD COLUMN tracestate text;
  `,
};
