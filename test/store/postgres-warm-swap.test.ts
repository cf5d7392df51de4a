import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import pg from 'pg';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/postgres-store.js';
import type { ClaimedAttempt } from '../../src/store/store.js';
import { dropSchemas, freshSchema, pgSkipReason, testPgUrl } from '../helpers/postgres.js';
import { at, completion, enqueueMany, functionDocument, refOf } from './conformance/fixtures.js';

/*
 * A warm batch that starts no more executions of its function than it ended (a swap) reads the
 * function's row FOR KEY SHARE instead of locking it for the claim (mayReadShared and isSwap in
 * claim-function-executions.ts): replicas of one function then settle and take side by side.
 */

const skip = pgSkipReason();
after(dropSchemas);

const fn = { namespace: 'default', name: 'warm' };
const claim = (limit: number, now: string) => ({ owner: 'a', now, leaseMs: 60_000, limit, function: fn });
const ended = (claims: ClaimedAttempt[], now: string) => claims.map((claimed) => completion(refOf(claimed), { finishedAt: now }));

/** Holds the function's row as a claim in flight holds it, until `release`. */
async function holdClaimLock(schema: string): Promise<{ release(): Promise<void> }> {
  const client = new pg.Client({ connectionString: testPgUrl });
  await client.connect();
  await client.query('BEGIN');
  await client.query(`SELECT 1 FROM "${schema}".functions WHERE namespace = $1 AND name = $2 FOR NO KEY UPDATE`, [fn.namespace, fn.name]);
  return {
    async release() {
      await client.query('ROLLBACK');
      await client.end();
    },
  };
}

/** 'pending' when `promise` has not settled within `ms`. */
const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> => Promise.race([promise, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms))]);

async function running(store: PostgresStore): Promise<number> {
  return (await store.countExecutions('default', 'warm', ['running'])).running;
}

describe('PostgreSQL warm swaps', { skip }, () => {
  it('settles and refills a batch while a claim holds the function, and makes a batch that asks for more wait for it', async () => {
    const schema = freshSchema();
    const store = await openPostgresStore({ url: testPgUrl!, schema });
    try {
      await store.putFunction(functionDocument('warm', { parallelism: 4 }));
      await enqueueMany(store, 'warm', 6);
      const first = await store.claimFunctionExecutions(claim(2, at(1)));
      const lock = await holdClaimLock(schema);
      let released = false;
      try {
        const swap = await within(store.completeAndClaimFunction(ended(first, at(2)), claim(2, at(2))), 10_000);
        assert.notEqual(swap, 'pending', 'a swap waited for the claim lock');
        assert.equal(swap !== 'pending' && swap.claimed.length, 2);
        // One ended, two asked for: that can raise the running count, so it takes the claim's lock.
        const growing = store.completeAndClaimFunction(ended(swap !== 'pending' ? swap.claimed.slice(0, 1) : [], at(3)), claim(2, at(3)));
        assert.equal(await within(growing, 500), 'pending');
        await lock.release();
        released = true;
        assert.deepEqual((await growing).applied, [true]);
        assert.equal((await growing).claimed.length, 2);
      } finally {
        if (!released) await lock.release();
      }
      assert.deepEqual(await store.countExecutions('default', 'warm', ['queued', 'running', 'succeeded']), { queued: 0, running: 3, succeeded: 3, failed: 0, timed_out: 0, cancelled: 0 });
    } finally {
      await store.close();
    }
  });

  it('keeps a lowered parallelism, and counts under the lock for a report that missed the fence', async () => {
    const store = await openPostgresStore({ url: testPgUrl!, schema: freshSchema() });
    try {
      await store.putFunction(functionDocument('warm', { parallelism: 4 }));
      await enqueueMany(store, 'warm', 10);
      const claimed = await store.claimFunctionExecutions(claim(4, at(1)));
      await store.putFunction(functionDocument('warm', { parallelism: 2 }));
      // 4 running, 1 ends: 3 stay, over the new limit of 2, so the swap takes none in its place.
      assert.equal((await store.completeAndClaimFunction(ended(claimed.slice(0, 1), at(2)), claim(1, at(2)))).claimed.length, 0);
      assert.equal(await running(store), 3);
      // 2 end, 1 stays: one more fits.
      assert.equal((await store.completeAndClaimFunction(ended(claimed.slice(1, 3), at(3)), claim(2, at(3)))).claimed.length, 1);
      assert.equal(await running(store), 2);
      // The same report again misses the fence and ends nothing: no swap, so it claims under the
      // lock like any claim, and two of two run.
      const repeat = await store.completeAndClaimFunction(ended(claimed.slice(1, 2), at(4)), claim(1, at(4)));
      assert.deepEqual([repeat.applied, repeat.claimed.length], [[false], 0]);
      assert.equal(await running(store), 2);
    } finally {
      await store.close();
    }
  });
});
