import type { Migration } from './migration.js';

/** The trace context of each execution (docs/tracing.md). */
export const traceContext: Migration = {
  version: 7,
  name: 'trace-context',
  sql: `
    -- The W3C traceparent and tracestate an execution's attempts continue: stored with it, so a
    -- restarted controller, or another one sharing the store, puts its attempt spans in the same
    -- trace. Null when neither tracing nor the caller gave one (and for older executions).
    ALTER TABLE executions ADD COLUMN traceparent TEXT;
    ALTER TABLE executions ADD COLUMN tracestate TEXT;
  `,
};
