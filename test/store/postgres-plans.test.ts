import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import type pg from 'pg';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { ClaimedAttempt } from '../../src/store/store.js';
import { dropSchemas, freshSchema, pgSkipReason, testPgUrl } from '../helpers/postgres.js';
import { at, completion, enqueueMany, functionDocument, refOf } from './conformance/fixtures.js';

const skip = pgSkipReason();
after(dropSchemas);

/** The store's own pool: with one connection, a query on it runs in the backend that ran the store's statements. */
const poolOf = (store: PostgresStore) => (store as unknown as { pool: pg.Pool }).pool;

/**
 * Sequential scans of `executions` and `attempts` that the store's one backend made so far. The
 * backend publishes its counts at most once a second, or when told to (pg_stat_force_next_flush,
 * at the end of the statement that asks), and the counts are then read afresh.
 */
async function tableScans(store: PostgresStore, schema: string): Promise<number> {
  const pool = poolOf(store);
  await pool.query('SELECT pg_stat_force_next_flush()');
  const { rows } = await pool.query<{ scans: number }>(
    `SELECT COALESCE(SUM(seq_scan), 0)::int AS scans FROM pg_stat_user_tables WHERE schemaname = $1 AND relname IN ('executions', 'attempts')`,
    [schema],
  );
  return rows[0].scans;
}

/** Index entries of `executions` that the store's one backend has read so far (published as in tableScans). */
async function executionIndexReads(store: PostgresStore, schema: string): Promise<number> {
  const pool = poolOf(store);
  await pool.query('SELECT pg_stat_force_next_flush()');
  const { rows } = await pool.query<{ reads: number }>(
    `SELECT COALESCE(SUM(idx_tup_read), 0)::int AS reads FROM pg_stat_user_indexes WHERE schemaname = $1 AND relname = 'executions'`,
    [schema],
  );
  return rows[0].reads;
}

/** Plans the store's one backend made so far for its named statements, custom (per run) and generic (kept). */
async function namedStatementPlans(store: PostgresStore): Promise<{ statements: number; custom: number; generic: number; names: string[] }> {
  const { rows } = await poolOf(store).query<{ statements: number; custom: number; generic: number; names: string[] }>(
    `SELECT COUNT(*)::int AS statements, COALESCE(SUM(custom_plans), 0)::int AS custom, COALESCE(SUM(generic_plans), 0)::int AS generic,
            COALESCE(array_agg(name::text), '{}') AS names
     FROM pg_prepared_statements WHERE name LIKE 'pontoon_%'`,
  );
  return rows[0];
}

/** A warm function's batches on `store`: each settles the 8 taken last and takes the next 8, as a replica's results post does. */
function warmBatches(store: PostgresStore, name = 'warm') {
  const claim = (now: string) => ({ owner: 'a', leaseMs: 60_000, limit: 8, now, function: { namespace: 'default', name } });
  let claimed: ClaimedAttempt[] = [];
  return {
    claimed: () => claimed,
    async first(second: number) {
      claimed = await store.claimFunctionExecutions(claim(at(second)));
    },
    async batch(second: number) {
      const step = await store.completeAndClaimFunction(claimed.map((c) => completion(refOf(c), { finishedAt: at(second) })), claim(at(second)));
      assert.ok(step.applied.every(Boolean));
      claimed = step.claimed;
    },
  };
}

describe('PostgreSQL store plans', { skip }, () => {
  it('plans each named statement of the warm and cold claims and settlements once per connection, not at every run', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore({ url: testPgUrl!, schema, maxConnections: 1 });
    try {
      await store.putFunction(functionDocument('warm', { parallelism: 8 }));
      await store.putFunction(functionDocument('cold', { parallelism: 8 }));
      await enqueueMany(store, 'warm', 80);
      await enqueueMany(store, 'cold', 80);
      const warmClaim = (now: string) => ({ owner: 'a', leaseMs: 60_000, limit: 8, now, function: { namespace: 'default', name: 'warm' } });
      let warm: ClaimedAttempt[] = await store.claimFunctionExecutions(warmClaim(at(1)));
      let cold: ClaimedAttempt[] = [];
      const batch = async (second: number) => {
        const step = await store.completeAndClaimFunction(warm.map((c) => completion(refOf(c), { finishedAt: at(second) })), warmClaim(at(second)));
        warm = step.claimed;
        const settled = await store.completeAttempts(cold.map((c) => completion(refOf(c), { finishedAt: at(second) })));
        assert.ok(settled.every(Boolean));
        cold = (await store.claimExecutions({ owner: 'a', leaseMs: 60_000, limit: 8, now: at(second), except: [{ namespace: 'default', name: 'warm' }] }));
        assert.ok(cold.length > 0 && warm.length > 0);
      };
      for (let second = 2; second < 4; second++) await batch(second);
      const before = await namedStatementPlans(store);
      for (let second = 4; second < 10; second++) await batch(second);
      const after = await namedStatementPlans(store);
      assert.ok(before.statements >= 4, `the claims and settlements ran named statements (${before.statements})`);
      // The locks that go with BEGIN (session-statements.ts), prepared in SQL, among them.
      for (const lock of ['pontoon_lock_functions', 'pontoon_lock_executions']) assert.ok(before.names.includes(lock), `${lock} is not prepared`);
      assert.equal(after.custom, before.custom, 'named statements were planned again at a later run');
      assert.ok(after.generic > before.generic, 'the later runs used the kept generic plans');
    } finally {
      await store.close();
    }
  });

  it('settles and claims warm batches through indexes, never a whole table, after its connection cached their plans on a store that began empty', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore({ url: testPgUrl!, schema, maxConnections: 1 });
    try {
      await store.putFunction(functionDocument('warm', { parallelism: 8 }));
      await enqueueMany(store, 'warm', 160);
      const warm = warmBatches(store);
      await warm.first(1);
      // PostgreSQL plans a named statement afresh for its first five runs, then keeps a generic plan.
      for (let second = 2; second < 10; second++) await warm.batch(second);
      const before = await tableScans(store, schema);
      for (let second = 10; second < 18; second++) await warm.batch(second);
      assert.equal(warm.claimed().length, 8);
      assert.equal(await tableScans(store, schema), before, 'warm batches scanned executions or attempts whole');
      assert.equal((await store.countExecutions('default', 'warm', ['succeeded'])).succeeded, 16 * 8);
    } finally {
      await store.close();
    }
  });

  it('takes a warm batch from the head of the queue when the queue grew long after its connection cached the plan, before any ANALYZE', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore({ url: testPgUrl!, schema, maxConnections: 1 });
    try {
      // No autovacuum: the statistics stay as they were while the queue was short, as they do until it runs.
      await poolOf(store).query(`ALTER TABLE ${schema}.executions SET (autovacuum_enabled = false)`);
      // The short queue is another function's: while another session of the cluster holds an old
      // snapshot (a test file running beside this one), its drained executions' index entries stay
      // in the index, and a seek into the measured function's range must not walk them.
      await store.putFunction(functionDocument('short', { parallelism: 8 }));
      await store.putFunction(functionDocument('warm', { parallelism: 8 }));
      await enqueueMany(store, 'short', 500);
      const short = warmBatches(store, 'short');
      await short.first(1);
      for (let second = 2; short.claimed().length > 0; second++) await short.batch(second);
      await enqueueMany(store, 'warm', 3_000);
      const warm = warmBatches(store);
      const before = await executionIndexReads(store, schema);
      await warm.first(100);
      await warm.batch(101);
      const read = (await executionIndexReads(store, schema)) - before;
      assert.equal(warm.claimed().length, 8);
      // A claim and a batch of 8 read the entries of what they end and take, and count the running
      // (about 150), not the 3,000 queued twice over (a scan by creation time, sorted by priority
      // after: the plan made while every execution had ended, kept as the queue grew).
      assert.ok(read < 500, `a claim and a batch read ${read} index entries of executions`);
    } finally {
      await store.close();
    }
  });
});
