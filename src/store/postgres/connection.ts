import pg from 'pg';

/** A pool of connections to one PostgreSQL database, every session in the store's schema. */
export type Pool = pg.Pool;
/** One connection: a pooled one inside a transaction, or the pool itself for single statements. */
export type Db = pg.Pool | pg.PoolClient;

const timestamptz = 1184;
const int8 = 20;
const parseTimestamptz = pg.types.getTypeParser(timestamptz);

/**
 * Values as the rest of Pontoon expects them: timestamps as the ISO strings `toISOString` writes
 * (the Store port speaks ISO strings, and the conformance suite compares them as text), and
 * bigints (seq, COUNT) as numbers, which they fit in for any queue that will ever exist.
 * Per pool, not pg.types.setTypeParser, so no other user of `pg` in the process is affected.
 */
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === timestamptz) return (text: string) => (parseTimestamptz(text) as Date).toISOString();
    if (oid === int8) return (text: string) => Number(text);
    return pg.types.getTypeParser(oid, format as 'text');
  },
} as pg.CustomTypesConfig;

/** Where a PostgreSQL store keeps its tables. */
export interface ConnectionOptions {
  /** A postgres:// URL. */
  url: string;
  /** Schema of the tables; created when missing. Default `pontoon`. */
  schema: string;
  /** Most connections this store opens for queries (the LISTEN and leader connections come on top). */
  maxConnections: number;
}

/** Quotes an identifier such as a schema name for use in SQL text. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/** The settings of every session this store opens: its schema first on the search path. */
export function clientConfig(options: ConnectionOptions): pg.ClientConfig {
  return {
    connectionString: options.url,
    types,
    // search_path in the startup packet: every pooled session is in the schema from its first statement.
    options: `-c search_path=${options.schema},public`,
    application_name: 'pontoon',
    // Lets the OS notice a controller's machine that vanished without closing its sockets.
    keepAlive: true,
  };
}

/** A pool for the store's queries. */
export function openPool(options: ConnectionOptions): Pool {
  const pool = new pg.Pool({ ...clientConfig(options), max: options.maxConnections, idleTimeoutMillis: 30_000 });
  // A pooled connection that the server drops while idle emits an error on the pool; the pool
  // discards it and opens another on demand, so this is not fatal.
  pool.on('error', () => {});
  return pool;
}

const retryableCodes = new Set([
  '40001', // serialization_failure
  '40P01', // deadlock_detected
]);

/**
 * Runs `work` in one READ COMMITTED transaction on one pooled connection and commits it, or
 * rolls back on any error. Lock orders are kept consistent (see claim-executions.ts), so a
 * deadlock should not happen; if PostgreSQL still reports one, the whole transaction is rerun,
 * which is safe because every operation decides from what it reads inside it. `opening` (text
 * without parameters, its values quoted by the connection's `client.escapeLiteral`) runs right
 * after BEGIN, its result handed to `work`.
 */
export async function transaction<T>(pool: Pool, work: (client: pg.PoolClient, opened: pg.QueryResult[]) => Promise<T>, opening?: (client: pg.PoolClient) => string): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      // `opening`, a statement without parameters, goes with BEGIN in one message: one round trip
      // fewer (node-postgres sends a statement only once the previous one is answered).
      const opened = opening ? ((await client.query(`BEGIN; ${opening(client)}`)) as unknown as pg.QueryResult[]).slice(1) : (await client.query('BEGIN'), []);
      const result = await work(client, opened);
      await client.query('COMMIT');
      return result;
    } catch (thrown) {
      try {
        await client.query('ROLLBACK');
      } catch (rollbackFailed) {
        broken = rollbackFailed instanceof Error ? rollbackFailed : new Error(String(rollbackFailed));
      }
      const code = (thrown as { code?: unknown }).code;
      if (typeof code === 'string' && retryableCodes.has(code) && attempt < 5) continue;
      throw thrown;
    } finally {
      // A connection whose rollback failed is in an unknown state: destroy it rather than reuse it.
      client.release(broken);
    }
  }
}

/** Two-key advisory locks of this store, one class per purpose, so they never collide. */
export const lockClass = {
  migrate: 7_001,
  leader: 7_002,
  logs: 7_003,
  schedule: 7_004,
} as const;
