import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../../src/store/store.js';
import { at, completion, enqueueMany, functionDocument, refOf, withStore, type OpenStore } from './fixtures.js';

async function claimOne(store: Store, owner = 'a', now = at(0)) {
  const [claimed] = await store.claimExecutions({ owner, now, leaseMs: 30_000, limit: 1 });
  assert.ok(claimed, 'expected an execution to claim');
  return claimed;
}

/** Leases: renewal, stale attempts, expiry. */
export function leaseSpecs(open: OpenStore): void {
  describe('leases', () => {
    it(
      'renews the leases its owner holds, which keeps them from expiring',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueMany(store, 'report', 1);
        const claimed = await claimOne(store);
        assert.deepEqual(await store.renewLeases('a', [refOf(claimed)], at(20), 30_000), []);
        assert.deepEqual(await store.listExpiredAttempts(at(35), 10), []);
        const expired = await store.listExpiredAttempts(at(51), 10);
        assert.deepEqual(
          expired.map((attempt) => [attempt.executionId, attempt.attempt]),
          [[claimed.execution.id, 1]],
        );
      }),
    );

    it(
      'returns as stale the attempts of another owner, cancelled, finished, expired, and expired then reaped',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueMany(store, 'report', 5);
        const [mine, cancelled, finished, reaped, expired] = await store.claimExecutions({ owner: 'a', now: at(0), leaseMs: 30_000, limit: 5 });
        const theirs = refOf(mine);
        assert.deepEqual(await store.renewLeases('b', [theirs], at(1), 30_000), [theirs]);

        await store.cancelExecution(cancelled.execution.id, at(2));
        await store.completeAttempt(completion(refOf(finished), { finishedAt: at(3) }));
        assert.deepEqual(await store.renewLeases('a', [refOf(mine), refOf(cancelled), refOf(finished)], at(4), 30_000), [
          refOf(cancelled),
          refOf(finished),
        ]);

        // mine was renewed to at(34); the others of the claim expire at at(30).
        const lost = completion(refOf(reaped), { status: 'lost', finishedAt: at(31), settlement: { next: 'retry', notBefore: at(32) } });
        assert.equal(await store.completeAttempt(lost), true);
        assert.deepEqual(await store.renewLeases('a', [refOf(mine), refOf(reaped), refOf(expired)], at(31), 30_000), [
          refOf(reaped),
          refOf(expired),
        ]);
      }),
    );

    it(
      'lists running attempts whose lease expired, oldest lease first, with their executions, up to a limit',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueMany(store, 'report', 4);
        const early = await claimOne(store, 'a', at(0));
        const later = await claimOne(store, 'a', at(5));
        const renewed = await claimOne(store, 'a', at(0));
        const finished = await claimOne(store, 'a', at(0));
        await store.renewLeases('a', [refOf(renewed)], at(10), 30_000);
        await store.completeAttempt(completion(refOf(finished), { finishedAt: at(10) }));

        assert.deepEqual(await store.listExpiredAttempts(at(30), 10), [], 'a lease that ends exactly now has not expired yet');
        const expired = await store.listExpiredAttempts(at(36), 10);
        assert.deepEqual(
          expired.map((attempt) => attempt.executionId),
          [early.execution.id, later.execution.id],
        );
        assert.equal(expired[0].attempt, 1);
        assert.equal(expired[0].execution.status, 'running');
        assert.equal(expired[0].execution.attempts[0].owner, 'a');
        assert.equal((await store.listExpiredAttempts(at(36), 1)).length, 1);
      }),
    );
  });
}
