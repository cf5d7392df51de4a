import type { Migration } from './migration.js';

/**
 * Uploaded source packages (issue 14): the checked archive of a function's source, keyed by the
 * sha256 of its bytes, so that every controller sharing the store, and every pod through its
 * controller, gets the same code. A package is immutable; a new upload of the same bytes is the
 * same row.
 */
export const packages: Migration = {
  version: 6,
  name: 'packages',
  sql: `
    CREATE TABLE packages (
      sha256     TEXT PRIMARY KEY,
      size       INTEGER NOT NULL,
      archive    BLOB NOT NULL,
      created_at TEXT NOT NULL
    );
  `,
};
