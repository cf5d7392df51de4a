import type { Migration } from './migration.js';

/** Schedule ticks, rules, and the outbox of completion events. */
export const triggers: Migration = {
  version: 2,
  name: 'triggers',
  sql: `
    -- The newest tick of each schedule that was accounted for (fired or skipped by policy).
    -- Rows of schedules that left their spec stay: harmless, and a schedule put back resumes.
    CREATE TABLE schedule_states (
      namespace   TEXT NOT NULL,
      function    TEXT NOT NULL,
      schedule    TEXT NOT NULL,
      last_tick   TEXT NOT NULL,
      -- The newest tick that started an execution; null until one did.
      last_fired_tick TEXT,
      recorded_at TEXT NOT NULL,
      PRIMARY KEY (namespace, function, schedule)
    ) WITHOUT ROWID;

    -- Executions of a schedule still queued or running, by their idempotency key prefix, for
    -- the Forbid and Replace policies. Partial, so it holds only live executions however long
    -- the history grows.
    CREATE INDEX executions_live_keys ON executions (namespace, function, idempotency_key)
      WHERE idempotency_key IS NOT NULL AND status IN ('queued', 'running');

    CREATE TABLE rules (
      namespace  TEXT NOT NULL,
      name       TEXT NOT NULL,
      match      TEXT NOT NULL,
      function   TEXT NOT NULL,
      priority   INTEGER,
      created_at TEXT NOT NULL,
      updated_at TEXT NOT NULL,
      PRIMARY KEY (namespace, name)
    ) WITHOUT ROWID;

    -- 1 once the completion events of an ended execution are decided (rows in deliveries).
    -- Executions that ended before this migration count as notified: upgrading must not send
    -- the whole history.
    ALTER TABLE executions ADD COLUMN notified INTEGER NOT NULL DEFAULT 0;
    UPDATE executions SET notified = 1 WHERE status IN ('succeeded', 'failed', 'timed_out', 'cancelled');
    CREATE INDEX executions_unnotified ON executions (seq)
      WHERE notified = 0 AND status IN ('succeeded', 'failed', 'timed_out', 'cancelled');

    CREATE TABLE deliveries (
      seq             INTEGER PRIMARY KEY AUTOINCREMENT,
      id              TEXT    NOT NULL UNIQUE,
      execution_id    TEXT    NOT NULL REFERENCES executions (id),
      namespace       TEXT    NOT NULL,
      function        TEXT    NOT NULL,
      kind            TEXT    NOT NULL,
      url             TEXT    NOT NULL,
      event           TEXT    NOT NULL,
      status          TEXT    NOT NULL,
      attempts        INTEGER NOT NULL DEFAULT 0,
      last_error      TEXT,
      next_attempt_at TEXT,
      created_at      TEXT    NOT NULL,
      delivered_at    TEXT
    );
    CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX deliveries_by_execution ON deliveries (execution_id, seq);
    CREATE INDEX deliveries_by_namespace ON deliveries (namespace, seq);
  `,
};
