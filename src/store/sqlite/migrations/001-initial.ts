import type { Migration } from './migration.js';

/** Functions and their versions, executions, attempts and logs. */
export const initial: Migration = {
  version: 1,
  name: 'initial',
  sql: `
    -- Every deployed document, kept so that an execution runs the version it was enqueued with.
    CREATE TABLE function_versions (
      namespace  TEXT    NOT NULL,
      name       TEXT    NOT NULL,
      version    INTEGER NOT NULL,
      document   TEXT    NOT NULL,
      created_at TEXT    NOT NULL,
      PRIMARY KEY (namespace, name, version)
    ) WITHOUT ROWID;

    -- One row per function ever deployed. parallelism and priority are copied from the latest
    -- document so that a claim need not parse JSON.
    CREATE TABLE functions (
      namespace      TEXT    NOT NULL,
      name           TEXT    NOT NULL,
      latest_version INTEGER NOT NULL,
      deleted        INTEGER NOT NULL DEFAULT 0,
      parallelism    INTEGER NOT NULL,
      priority       INTEGER NOT NULL,
      PRIMARY KEY (namespace, name)
    ) WITHOUT ROWID;

    -- seq is the age order of the queue and the cursor of listings; AUTOINCREMENT so that a seq
    -- is never reused, even after the newest rows are deleted.
    CREATE TABLE executions (
      seq             INTEGER PRIMARY KEY AUTOINCREMENT,
      id              TEXT    NOT NULL UNIQUE,
      namespace       TEXT    NOT NULL,
      function        TEXT    NOT NULL,
      version         INTEGER NOT NULL,
      status          TEXT    NOT NULL,
      priority        INTEGER NOT NULL,
      input           TEXT    NOT NULL,
      result          TEXT,
      error           TEXT,
      idempotency_key TEXT,
      callback_url    TEXT,
      created_at      TEXT    NOT NULL,
      started_at      TEXT,
      finished_at     TEXT,
      not_before      TEXT,
      FOREIGN KEY (namespace, function, version) REFERENCES function_versions (namespace, name, version)
    );
    CREATE UNIQUE INDEX executions_idempotency ON executions (namespace, function, idempotency_key)
      WHERE idempotency_key IS NOT NULL;
    -- The head of each function's queue (see claim-executions.ts). Partial, so finished rows,
    -- however many, are not in it; not_before rides along so that skipping a retry still in its
    -- backoff needs no table lookup.
    CREATE INDEX executions_ready ON executions (namespace, function, priority DESC, seq, not_before)
      WHERE status = 'queued';
    -- Running counts per function, for parallelism.
    CREATE INDEX executions_running ON executions (namespace, function) WHERE status = 'running';
    -- Listings, newest first, by function, by status, or both.
    CREATE INDEX executions_by_namespace ON executions (namespace, seq);
    CREATE INDEX executions_by_function ON executions (namespace, function, seq);
    CREATE INDEX executions_by_status ON executions (namespace, status, seq);
    CREATE INDEX executions_by_function_status ON executions (namespace, function, status, seq);

    CREATE TABLE attempts (
      execution_id     TEXT    NOT NULL REFERENCES executions (id),
      number           INTEGER NOT NULL,
      status           TEXT    NOT NULL,
      exit_code        INTEGER,
      reason           TEXT,
      error            TEXT,
      started_at       TEXT    NOT NULL,
      finished_at      TEXT,
      owner            TEXT,
      lease_expires_at TEXT,
      late_report      TEXT,
      PRIMARY KEY (execution_id, number)
    ) WITHOUT ROWID;
    -- The lease reaper's scan.
    CREATE INDEX attempts_expiring ON attempts (lease_expires_at) WHERE status = 'running';

    CREATE TABLE logs (
      execution_id TEXT    NOT NULL,
      seq          INTEGER NOT NULL,
      attempt      INTEGER NOT NULL,
      time         TEXT    NOT NULL,
      stream       TEXT    NOT NULL,
      line         TEXT    NOT NULL,
      PRIMARY KEY (execution_id, seq),
      FOREIGN KEY (execution_id, attempt) REFERENCES attempts (execution_id, number)
    ) WITHOUT ROWID;
  `,
};
