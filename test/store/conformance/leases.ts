import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../../src/store/store.js';
import { at, completion, enqueueMany, functionDocument, refOf, withStore, type OpenStore } from './fixtures.js';

async function claimOne(store: Store, owner = 'a', now = at(0)) {
  const [claimed] = await store.claimExecutions({ owner, now, leaseMs: 30_000, limit: 1 });
  assert.ok(claimed, 'expected an execution to claim');
  return claimed;
}

/** Leases: renewal, stale attempts, expiry, adoption. */
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
      'lets a restarted controller adopt the live attempts its predecessor left, fenced as renewals are',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueMany(store, 'report', 5);
        const [live, settled, expired, takenOver, logged] = await store.claimExecutions({ owner: 'old', now: at(0), leaseMs: 30_000, limit: 5 });
        await store.completeAttempt(completion(refOf(settled), { finishedAt: at(3) }));
        await store.renewLeases('old', [refOf(live), refOf(takenOver), refOf(logged)], at(10), 30_000);
        await store.appendLogs(refOf(logged), [
          { time: at(11), stream: 'stdout', line: 'one' },
          { time: at(11), stream: 'system', line: '[pontoon] note' },
          { time: at(12), stream: 'stderr', line: 'two' },
        ]);
        const other = await store.adoptAttempts('other', [{ ...refOf(takenOver), owner: 'old' }], at(20), 30_000);
        assert.deepEqual(other.adopted.map(refOf), [refOf(takenOver)]);

        const orphans = [live, settled, expired, takenOver, logged].map((claimed) => ({ ...refOf(claimed), owner: 'old' }));
        const { adopted, over } = await store.adoptAttempts('new', orphans, at(35), 30_000);
        assert.deepEqual(adopted.map(refOf), [refOf(live), refOf(logged)]);
        assert.deepEqual(adopted.map((attempt) => attempt.loggedLines), [0, 2]);
        assert.equal(adopted[0].execution.input, live.execution.input);
        assert.equal(adopted[0].function.version, live.function.version);
        assert.equal(adopted[0].leaseExpiresAt, at(65));
        // The settled attempt is over, and so is the expired one: from its expiry it counts as lost.
        assert.deepEqual(over, [refOf(settled), refOf(expired)]);

        // The leases are the adopter's now: it renews them, the old owner cannot.
        assert.deepEqual(await store.renewLeases('new', [refOf(live), refOf(logged)], at(60), 30_000), []);
        assert.deepEqual(await store.renewLeases('old', [refOf(live)], at(60), 30_000), [refOf(live)]);
        assert.equal((await store.getExecution(live.execution.id))!.attempts[0].owner, 'new');
        // Adopting again is harmless; the other controller keeps what it took.
        assert.deepEqual((await store.adoptAttempts('new', [orphans[0], orphans[3]], at(61), 30_000)).adopted.map(refOf), [refOf(live)]);
        assert.equal((await store.getExecution(takenOver.execution.id))!.attempts[0].owner, 'other');
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
