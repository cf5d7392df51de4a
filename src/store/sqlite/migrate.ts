import { writeTransaction, type Db } from './connection.js';
import { migrations as allMigrations } from './migrations/index.js';
import type { Migration } from './migrations/migration.js';

/**
 * Brings the file's schema up to date. Each migration runs in its own write transaction that
 * first checks whether it is still needed, so two processes opening the same new file at once
 * apply each migration exactly once: the second waits for the first and then skips it.
 */
export function migrate(db: Db, migrations: readonly Migration[] = allMigrations): void {
  db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,
    name       TEXT NOT NULL,
    applied_at TEXT NOT NULL
  )`);
  const newest = db.prepare('SELECT MAX(version) AS version FROM schema_migrations').get() as { version: number | null };
  const known = migrations.at(-1)?.version ?? 0;
  if ((newest.version ?? 0) > known) {
    // Running older code on a newer schema would silently misread it.
    throw new Error(`the store file has schema version ${newest.version}, newer than this Pontoon knows (${known}); upgrade Pontoon`);
  }
  for (const migration of migrations) {
    writeTransaction(db, () => {
      const applied = db.prepare('SELECT 1 FROM schema_migrations WHERE version = ?').get(migration.version);
      if (applied) return;
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
        migration.version,
        migration.name,
        new Date().toISOString(),
      );
    });
  }
}
