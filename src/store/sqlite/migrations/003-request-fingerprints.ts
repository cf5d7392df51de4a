import type { Migration } from './migration.js';

/** The fingerprint of the request that created an execution with an idempotency key. */
export const requestFingerprints: Migration = {
  version: 3,
  name: 'request-fingerprints',
  sql: `
    -- A digest of the input, priority override and callback URL of the request that created an
    -- execution with an idempotency key (null without a key, and for executions stored before this
    -- migration, which then match any repeat as before): a key reused with a different request is
    -- refused rather than answered with another request's execution.
    ALTER TABLE executions ADD COLUMN request_fingerprint TEXT;
  `,
};
