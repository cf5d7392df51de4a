import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, completion, enqueueMany, functionDocument, refOf, withStore, type OpenStore } from './fixtures.js';

/** Cancelling executions in each state. */
export function cancelSpecs(open: OpenStore): void {
  describe('cancelling executions', () => {
    it(
      'cancels a queued execution at once so that it is never claimed',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        const [id] = await enqueueMany(store, 'report', 1);
        const cancelled = await store.cancelExecution(id, at(3));
        assert.equal(cancelled?.status, 'cancelled');
        assert.equal(cancelled?.finishedAt, at(3));
        assert.deepEqual(cancelled?.attempts, []);
        assert.deepEqual(await store.getExecution(id), cancelled);
        assert.deepEqual(await store.claimExecutions({ owner: 'a', now: at(4), leaseMs: 30_000, limit: 5 }), []);
      }),
    );

    it(
      'cancels a running execution and its attempt, which then fails renewal and frees its slot',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report', { parallelism: 1 }));
        const [id, next] = await enqueueMany(store, 'report', 2);
        const [claimed] = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 5 });
        const cancelled = await store.cancelExecution(id, at(5));
        assert.equal(cancelled?.status, 'cancelled');
        assert.equal(cancelled?.finishedAt, at(5));
        assert.deepEqual(
          cancelled?.attempts.map((attempt) => [attempt.status, attempt.reason, attempt.finishedAt]),
          [['cancelled', 'Cancelled', at(5)]],
        );
        assert.deepEqual(await store.renewLeases('a', [refOf(claimed)], at(6), 30_000), [refOf(claimed)]);
        assert.deepEqual(await store.listExpiredAttempts(at(100), 10), []);

        assert.equal(await store.completeAttempt(completion(refOf(claimed), { finishedAt: at(7) })), false);
        const after = await store.getExecution(id);
        assert.equal(after?.status, 'cancelled');
        assert.equal(after?.attempts[0].lateReport?.status, 'succeeded');

        const [freed] = await store.claimExecutions({ owner: 'a', now: at(8), leaseMs: 30_000, limit: 5 });
        assert.equal(freed.execution.id, next);
      }),
    );

    it(
      'returns a finished execution unchanged, and undefined for an unknown one',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueMany(store, 'report', 1);
        const [claimed] = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 5 });
        await store.completeAttempt(completion(refOf(claimed), { result: 'done' }));
        const finished = await store.getExecution(claimed.execution.id);
        assert.deepEqual(await store.cancelExecution(claimed.execution.id, at(9)), finished);
        assert.deepEqual(await store.getExecution(claimed.execution.id), finished);
        assert.equal(await store.cancelExecution('00000000-0000-7000-8000-000000000000', at(9)), undefined);
      }),
    );
  });
}
