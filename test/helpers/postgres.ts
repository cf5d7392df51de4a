import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * The PostgreSQL the tests use: PONTOON_TEST_PG_URL, which scripts/run-tests.mjs sets after
 * starting a throwaway cluster (scripts/pg-cluster.sh). Without it the PostgreSQL tests skip
 * with a visible reason, except in CI (CI set), where a missing database must fail the run.
 */
export const testPgUrl: string | undefined = process.env.PONTOON_TEST_PG_URL;

/** Why the PostgreSQL tests do not run here, or undefined when they do; throws in CI. */
export function pgSkipReason(): string | undefined {
  if (testPgUrl) return undefined;
  const reason = 'PONTOON_TEST_PG_URL is not set: run through `npm test` (scripts/run-tests.mjs starts PostgreSQL) or set it';
  if (process.env.CI) throw new Error(`PostgreSQL tests cannot run in CI: ${reason}`);
  process.stderr.write(`# skipping PostgreSQL tests: ${reason}\n`);
  return reason;
}

const schemas: string[] = [];

/** A fresh schema name for one test's store; dropSchemas() removes them all. */
export function freshSchema(prefix = 't'): string {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  schemas.push(name);
  return name;
}

/** Runs one statement on a short-lived connection of the test database. */
export async function pgQuery<T extends pg.QueryResultRow = pg.QueryResultRow>(text: string, values: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: testPgUrl });
  await client.connect();
  try {
    return (await client.query<T>(text, values)).rows;
  } finally {
    await client.end();
  }
}

/** Drops every schema freshSchema handed out (the tests' reset helper). */
export async function dropSchemas(): Promise<void> {
  if (!testPgUrl) return;
  const names = schemas.splice(0);
  for (const name of names) await pgQuery(`DROP SCHEMA IF EXISTS "${name}" CASCADE`);
}
