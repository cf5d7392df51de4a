import { lockClass, quoteIdent, transaction, type Pool } from './connection.js';
import { migrations as allMigrations } from './migrations/index.js';
import type { Migration } from './migrations/migration.js';

/**
 * Brings the schema up to date, safely when several controllers start at once. Each migration
 * runs in its own transaction that first takes a transaction-level advisory lock (one per
 * schema), then checks schema_migrations: a second controller waits for the first to commit and
 * then finds the migration applied. The lock is taken before CREATE SCHEMA / CREATE TABLE IF NOT
 * EXISTS too, because two of those racing fail on the catalog's unique index instead of waiting.
 * A migration that fails rolls back whole, with its row in schema_migrations.
 */
export async function migrate(pool: Pool, schema: string, migrations: readonly Migration[] = allMigrations): Promise<void> {
  const known = migrations.at(-1)?.version ?? 0;
  const lock = (client: { query: Pool['query'] }) => client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [lockClass.migrate, schema]);
  await transaction(pool, async (client) => {
    await lock(client);
    await client.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(schema)}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${quoteIdent(schema)}.schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const { rows } = await client.query(`SELECT MAX(version) AS version FROM ${quoteIdent(schema)}.schema_migrations`);
    const newest = (rows[0]?.version as number | null) ?? 0;
    if (newest > known) {
      // Running older code on a newer schema would silently misread it.
      throw new Error(`the database schema ${schema} has version ${newest}, newer than this Pontoon knows (${known}); upgrade Pontoon`);
    }
  });
  for (const migration of migrations) {
    await transaction(pool, async (client) => {
      await lock(client);
      const applied = await client.query(`SELECT 1 FROM ${quoteIdent(schema)}.schema_migrations WHERE version = $1`, [migration.version]);
      if (applied.rowCount) return;
      await client.query(`SET LOCAL search_path = ${quoteIdent(schema)}`);
      await client.query(migration.sql);
      await client.query(`INSERT INTO ${quoteIdent(schema)}.schema_migrations (version, name) VALUES ($1, $2)`, [migration.version, migration.name]);
    });
  }
}
