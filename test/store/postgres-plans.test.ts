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

describe('PostgreSQL store plans', { skip }, () => {
  it('settles and claims warm batches through indexes, never a whole table, after its connection cached their plans on a store that began empty', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore({ url: testPgUrl!, schema, maxConnections: 1 });
    try {
      await store.putFunction(functionDocument('warm', { parallelism: 8 }));
      await enqueueMany(store, 'warm', 160);
      const claim = (now: string) => ({ owner: 'a', leaseMs: 60_000, limit: 8, now, function: { namespace: 'default', name: 'warm' } });
      let claimed: ClaimedAttempt[] = await store.claimFunctionExecutions(claim(at(1)));
      const batch = async (second: number) => {
        const step = await store.completeAndClaimFunction(claimed.map((c) => completion(refOf(c), { finishedAt: at(second) })), claim(at(second)));
        assert.ok(step.applied.every(Boolean));
        claimed = step.claimed;
      };
      // PostgreSQL plans a named statement afresh for its first five runs, then keeps a generic plan.
      for (let second = 2; second < 10; second++) await batch(second);
      const before = await tableScans(store, schema);
      for (let second = 10; second < 18; second++) await batch(second);
      assert.equal(claimed.length, 8);
      assert.equal(await tableScans(store, schema), before, 'warm batches scanned executions or attempts whole');
      assert.equal((await store.countExecutions('default', 'warm', ['succeeded'])).succeeded, 16 * 8);
    } finally {
      await store.close();
    }
  });
});
