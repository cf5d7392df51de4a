import type { Migration } from './migration.js';

/** Schedule ticks, rules, and the outbox of completion events (the SQLite store's migration 2). */
export const triggers: Migration = {
  version: 2,
  name: 'triggers',
  sql: `
    -- The newest tick of each schedule that was accounted for (fired or skipped by policy).
    CREATE TABLE schedule_states (
      namespace       text        NOT NULL,
      function        text        NOT NULL,
      schedule        text        NOT NULL,
      last_tick       timestamptz NOT NULL,
      last_fired_tick timestamptz,
      recorded_at     timestamptz NOT NULL,
      PRIMARY KEY (namespace, function, schedule)
    );

    -- Executions of a schedule still queued or running, for the Forbid and Replace policies.
    CREATE INDEX executions_live_keys ON executions (namespace, function, idempotency_key)
      WHERE idempotency_key IS NOT NULL AND status IN ('queued', 'running');

    CREATE TABLE rules (
      namespace  text        NOT NULL,
      name       text        NOT NULL,
      match      json        NOT NULL,
      function   text        NOT NULL,
      priority   integer,
      created_at timestamptz NOT NULL,
      updated_at timestamptz NOT NULL,
      PRIMARY KEY (namespace, name)
    );

    -- True once the completion events of an ended execution are decided (rows in deliveries).
    -- Executions that ended before this migration count as notified: upgrading must not send
    -- the whole history.
    ALTER TABLE executions ADD COLUMN notified boolean NOT NULL DEFAULT false;
    UPDATE executions SET notified = true WHERE status IN ('succeeded', 'failed', 'timed_out', 'cancelled');
    CREATE INDEX executions_unnotified ON executions (seq)
      WHERE NOT notified AND status IN ('succeeded', 'failed', 'timed_out', 'cancelled');

    CREATE TABLE deliveries (
      seq             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      id              text        NOT NULL UNIQUE,
      execution_id    text        NOT NULL REFERENCES executions (id),
      namespace       text        NOT NULL,
      function        text        NOT NULL,
      kind            text        NOT NULL,
      url             text        NOT NULL,
      event           json        NOT NULL,
      status          text        NOT NULL,
      attempts        integer     NOT NULL DEFAULT 0,
      last_error      text,
      next_attempt_at timestamptz,
      created_at      timestamptz NOT NULL,
      delivered_at    timestamptz
    );
    CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
    CREATE INDEX deliveries_by_execution ON deliveries (execution_id, seq);
    CREATE INDEX deliveries_by_namespace ON deliveries (namespace, seq);
  `,
};
