import type { Migration } from './migration.js';

/** The fingerprint of the request that created an execution with an idempotency key (the SQLite store's migration 3). */
export const requestFingerprints: Migration = {
  version: 3,
  name: 'request-fingerprints',
  sql: `
    -- Null without an idempotency key, and for executions stored before this migration (they
    -- match any repeat, as before). Adding a nullable column without a default rewrites nothing.
    ALTER TABLE executions ADD COLUMN request_fingerprint text;
  `,
};
