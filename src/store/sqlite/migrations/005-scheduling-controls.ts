import type { Migration } from './migration.js';

/** Run later, rate limits and concurrency keys (issue 17): what claims need to enforce them. */
export const schedulingControls: Migration = {
  version: 5,
  name: 'scheduling-controls',
  sql: `
    -- The latest version's controls, beside parallelism, for claims to read under their lock.
    -- rate_period_ms and rate_limit are both set or both null; so are concurrency_key and
    -- concurrency_limit (the key is a JSON Pointer, evaluated at enqueue).
    ALTER TABLE functions ADD COLUMN rate_limit INTEGER;
    ALTER TABLE functions ADD COLUMN rate_period_ms INTEGER;
    ALTER TABLE functions ADD COLUMN concurrency_key TEXT;
    ALTER TABLE functions ADD COLUMN concurrency_limit INTEGER;

    -- The value of the key in the input, fixed at enqueue. Null for functions without a key.
    ALTER TABLE executions ADD COLUMN concurrency_key TEXT;
    -- A keyed claim counts running executions per key and ranks the ready ones per key.
    CREATE INDEX executions_running_by_key ON executions (namespace, function, concurrency_key) WHERE status = 'running';

    -- When the next delayed execution (run later, or a retry's backoff) becomes ready, for the
    -- dispatcher's timer: a seek to the smallest not_before, whatever the queue's length.
    CREATE INDEX executions_waiting ON executions (not_before) WHERE status = 'queued' AND not_before IS NOT NULL;

    -- Attempt starts of rate-limited functions, one row per claim that started some: a claim
    -- counts those of the last period and deletes the older ones, so the table holds at most
    -- one period of claims per function.
    CREATE TABLE rate_limit_starts (
      namespace  TEXT    NOT NULL,
      function   TEXT    NOT NULL,
      started_at TEXT    NOT NULL,
      count      INTEGER NOT NULL
    );
    CREATE INDEX rate_limit_starts_by_function ON rate_limit_starts (namespace, function, started_at);
  `,
};
