import { createHash } from 'node:crypto';
import pg from 'pg';
import { openingAnswered, openingFailed } from './session-statements.js';

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

const statementNames = new Map<string, string>();

/**
 * A statement that each connection parses once, and plans once when its transaction asks for
 * generic plans (transaction()'s `genericPlans`), under a name derived from its text
 * (node-postgres then sends only Bind and Execute for it). Why: the warm path's statements are
 * large WITH queries, and planning them on every batch was a third of PostgreSQL's CPU per
 * execution (pg_stat_statements with track_planning: 1.2 ms of planning per batch of 8 against
 * 2 ms of execution). Only for statements of a fixed shape: every distinct text stays prepared
 * on every pooled connection.
 */
export function prepared(text: string, values: unknown[]): pg.QueryConfig {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `pontoon_${createHash('sha1').update(text).digest('hex').slice(0, 24)}`;
    statementNames.set(text, name);
  }
  return { name, text, values };
}

/**
 * A prepared statement whose result columns changed under it (a newer controller migrated the
 * schema: "cached plan must not change result type") fails on its connection until that is
 * closed; the connection is dropped and the transaction rerun on a fresh one.
 */
function isStalePlan(thrown: unknown): boolean {
  return (thrown as { code?: unknown }).code === '0A000' && /cached plan/.test(String((thrown as { message?: unknown }).message));
}

/*
 * Every store transaction reads tables through their indexes and joins by nested loops over
 * them (issue 16). Its statements join a few keys (a batch's ids, unnested from arrays) to tables
 * that only grow, and the named ones (prepared()) keep the generic plan each connection made at
 * their first run (see beginGeneric). A fresh store makes that plan while the tables are a few pages, where a hash
 * join over a sequential scan (or a nested loop over one) costs less on paper, and kept it as
 * the tables grew: on a store that began empty, the warm batch's fence and end read every
 * attempt and every execution, and its time per batch grew with the tables
 * (test/store/postgres-plans.test.ts; bench/store-warm-step.ts, fsync on, alternating runs of
 * 20,000: 1,154-1,288 µs of PostgreSQL CPU per execution and 586-605/s before, 456-603 µs and
 * 736-1,280/s with hash and merge joins off). A statement with no index to use still scans: the
 * settings only weigh the plans, but by adding a huge cost to such a scan, which would then buy
 * it JIT compilation (measured: 587 ms to compile the claim's lock of the functions table, for
 * 0.1 ms of work), so JIT is off as well. The settings are local to the transaction (set_config's
 * `true`) and go with BEGIN, no round trip of their own.
 */
const plannerSettings = ['enable_hashjoin', 'enable_mergejoin', 'enable_seqscan', 'jit'].map((setting) => `set_config('${setting}', 'off', true)`);
const beginPlanned = `BEGIN; SELECT ${plannerSettings.join(', ')}`;
/*
 * With those settings PostgreSQL's own choice (plan_cache_mode auto) planned the named statements
 * afresh at every run: a generic plan's cost, made without the parameters' values, came out above
 * the custom plans' average, so the generic one was never kept, and planning cost more than
 * running (pg_stat_statements with track_planning, cold path on PostgreSQL: 0.55 ms of planning
 * per execution against 0.37 ms of execution; 0.21 ms after). The transactions that run named
 * statements ask for the generic plan outright: made once per connection, under the settings
 * above. Not every transaction: a statement such as `$1::text IS NULL OR namespace = $1` has a
 * good plan only for its values.
 */
/*
 * A kept plan is also kept as the queue grows. One made while few executions were queued (a fresh
 * store, or statistics taken after a burst had ended) read the next executions by creation time
 * and sorted them by priority: at no cost for a short queue, and every queued entry at every batch
 * of a long one (a warm drain of 10,000 after a warm-up of 500, alternating runs: 553-1,040/s and
 * 556-1,301 µs of PostgreSQL CPU per execution; 1,123-1,222/s and 408-439 µs with sorts off). With
 * sorts off the pick reads the head of executions_ready, which is already in priority order.
 */
const beginGeneric = `BEGIN; SELECT ${[...plannerSettings, "set_config('enable_sort', 'off', true)", "set_config('plan_cache_mode', 'force_generic_plan', true)"].join(', ')}`;
const beginStatements = 2;

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
 * after BEGIN, its result handed to `work`. `genericPlans` is for transactions of named
 * statements (prepared()) and key lookups: their parameterised statements are planned without
 * their values.
 */
export async function transaction<T>(
  pool: Pool,
  work: (client: pg.PoolClient, opened: pg.QueryResult[]) => Promise<T>,
  opening?: (client: pg.PoolClient) => string,
  options: { genericPlans?: boolean } = {},
): Promise<T> {
  const begin = options.genericPlans ? beginGeneric : beginPlanned;
  for (let attempt = 1; ; attempt++) {
    const client = await pool.connect();
    let broken: Error | undefined;
    try {
      // `opening`, a statement without parameters, goes with BEGIN in one message: one round trip
      // fewer (node-postgres sends a statement only once the previous one is answered).
      const opened = opening ? await open(client, begin, opening) : (await client.query(begin), []);
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
      // An opening that PREPAREd and failed may have prepared or not: the connection is not reused.
      if (isStalePlan(thrown) || openingFailed(client)) broken ??= thrown as Error;
      if (((typeof code === 'string' && retryableCodes.has(code)) || isStalePlan(thrown)) && attempt < 5) continue;
      throw thrown;
    } finally {
      // A connection whose rollback failed is in an unknown state: destroy it rather than reuse it.
      client.release(broken);
    }
  }
}

/** Sends BEGIN and `opening` in one message; their answers, but BEGIN's and the PREPAREs' (see session-statements.ts). */
async function open(client: pg.PoolClient, begin: string, opening: (client: pg.PoolClient) => string): Promise<pg.QueryResult[]> {
  const answers = ((await client.query(`${begin}; ${opening(client)}`)) as unknown as pg.QueryResult[]).slice(beginStatements);
  openingAnswered(client);
  return answers.filter((answer) => answer.command !== 'PREPARE');
}

/** Two-key advisory locks of this store, one class per purpose, so they never collide. */
export const lockClass = {
  migrate: 7_001,
  leader: 7_002,
  logs: 7_003,
  schedule: 7_004,
} as const;
