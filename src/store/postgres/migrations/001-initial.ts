import type { Migration } from './migration.js';

/** Functions and their versions, executions, attempts and logs: the tables of the SQLite store, in PostgreSQL types. */
export const initial: Migration = {
  version: 1,
  name: 'initial',
  sql: `
    -- Every deployed document, kept so that an execution runs the version it was enqueued with.
    -- Documents and payloads are json, not jsonb: json keeps the caller's text (key order,
    -- duplicate keys, \\u0000) exactly as SQLite does.
    CREATE TABLE function_versions (
      namespace  text        NOT NULL,
      name       text        NOT NULL,
      version    integer     NOT NULL,
      document   json        NOT NULL,
      created_at timestamptz NOT NULL,
      PRIMARY KEY (namespace, name, version)
    );

    -- One row per function ever deployed. Claims lock this row while they count and take the
    -- function's executions (see claim-executions.ts), so parallelism holds across controllers.
    CREATE TABLE functions (
      namespace      text    NOT NULL,
      name           text    NOT NULL,
      latest_version integer NOT NULL,
      deleted        boolean NOT NULL DEFAULT false,
      parallelism    integer NOT NULL,
      priority       integer NOT NULL,
      PRIMARY KEY (namespace, name)
    );

    -- seq is the age order of the queue and the cursor of listings.
    CREATE TABLE executions (
      seq             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
      id              text        NOT NULL UNIQUE,
      namespace       text        NOT NULL,
      function        text        NOT NULL,
      version         integer     NOT NULL,
      status          text        NOT NULL,
      priority        integer     NOT NULL,
      input           json        NOT NULL,
      result          json,
      error           text,
      idempotency_key text,
      callback_url    text,
      created_at      timestamptz NOT NULL,
      started_at      timestamptz,
      finished_at     timestamptz,
      not_before      timestamptz,
      FOREIGN KEY (namespace, function, version) REFERENCES function_versions (namespace, name, version)
    );
    CREATE UNIQUE INDEX executions_idempotency ON executions (namespace, function, idempotency_key)
      WHERE idempotency_key IS NOT NULL;
    -- The head of each function's queue (see claim-executions.ts). Partial, so finished rows,
    -- however many, are not in it.
    CREATE INDEX executions_ready ON executions (namespace, function, priority DESC, seq) INCLUDE (not_before)
      WHERE status = 'queued';
    -- Running counts per function, for parallelism.
    CREATE INDEX executions_running ON executions (namespace, function) WHERE status = 'running';
    -- Listings, newest first, by function, by status, or both.
    CREATE INDEX executions_by_namespace ON executions (namespace, seq);
    CREATE INDEX executions_by_function ON executions (namespace, function, seq);
    CREATE INDEX executions_by_status ON executions (namespace, status, seq);
    CREATE INDEX executions_by_function_status ON executions (namespace, function, status, seq);

    CREATE TABLE attempts (
      execution_id     text        NOT NULL REFERENCES executions (id),
      number           integer     NOT NULL,
      status           text        NOT NULL,
      exit_code        integer,
      reason           text,
      error            text,
      started_at       timestamptz NOT NULL,
      finished_at      timestamptz,
      owner            text,
      lease_expires_at timestamptz,
      late_report      json,
      PRIMARY KEY (execution_id, number)
    );
    -- The lease reaper's scan.
    CREATE INDEX attempts_expiring ON attempts (lease_expires_at) WHERE status = 'running';

    -- time is the observer's text, kept as given (as SQLite does).
    CREATE TABLE logs (
      execution_id text    NOT NULL,
      seq          integer NOT NULL,
      attempt      integer NOT NULL,
      time         text    NOT NULL,
      stream       text    NOT NULL,
      line         text    NOT NULL,
      PRIMARY KEY (execution_id, seq),
      FOREIGN KEY (execution_id, attempt) REFERENCES attempts (execution_id, number)
    );
  `,
};
