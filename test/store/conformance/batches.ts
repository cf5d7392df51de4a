import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../../src/store/store.js';
import { at, completion, enqueueMany, enqueueOne, functionDocument, hasCode, refOf, withStore, type OpenStore } from './fixtures.js';

const claimOf = (store: Store, name: string, limit: number, now = at(1)) =>
  store.claimFunctionExecutions({ owner: 'a', now, leaseMs: 30_000, limit, function: { namespace: 'default', name } });

/** The batched fast path of warm replicas: claims of one function, settlements of a batch. */
export function batchSpecs(open: OpenStore): void {
  describe('batched claims and settlements', () => {
    it(
      "claims only the given function's executions, highest priority then oldest, up to the limit",
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm'));
        await store.putFunction(functionDocument('other', { priority: 100 }));
        await enqueueMany(store, 'other', 3);
        const ids = await enqueueMany(store, 'warm', 4);
        const urgent = await enqueueOne(store, { function: 'warm', priority: 5 });
        const claimed = await claimOf(store, 'warm', 3);
        assert.deepEqual(
          claimed.map((c) => c.execution.id),
          [urgent.execution.id, ids[0], ids[1]],
        );
        for (const c of claimed) {
          assert.equal(c.attempt, 1);
          assert.equal(c.execution.status, 'running');
          assert.equal(c.function.name, 'warm');
          assert.equal(c.leaseExpiresAt, at(31));
        }
        const counts = await store.countExecutions('default', 'other');
        assert.equal(counts.queued, 3);
      }),
    );

    it(
      'never passes the function’s parallelism, counting what other claims run',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm', { parallelism: 3 }));
        await enqueueMany(store, 'warm', 10);
        const [first] = await store.claimExecutions({ owner: 'b', now: at(1), leaseMs: 30_000, limit: 1 });
        assert.equal((await claimOf(store, 'warm', 10)).length, 2);
        assert.deepEqual(await claimOf(store, 'warm', 10), []);
        await store.completeAttempts([completion(refOf(first))]);
        assert.equal((await claimOf(store, 'warm', 10)).length, 1);
      }),
    );

    it(
      'leaves retries waiting for their backoff, and claims nothing of a deleted function',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm'));
        await enqueueMany(store, 'warm', 1);
        const [first] = await claimOf(store, 'warm', 1);
        await store.completeAttempts([completion(refOf(first), { status: 'failed', settlement: { next: 'retry', notBefore: at(10) } })]);
        assert.deepEqual(await claimOf(store, 'warm', 5, at(9)), []);
        const [second] = await claimOf(store, 'warm', 5, at(10));
        assert.equal(second.execution.id, first.execution.id);
        assert.equal(second.attempt, 2);
        await enqueueMany(store, 'warm', 2);
        await store.deleteFunction('default', 'warm');
        assert.deepEqual(await claimOf(store, 'warm', 5, at(11)), []);
      }),
    );

    it(
      'settles a batch in one step, each fenced on its own: finishes, retries, and keeps a stale report as late',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm'));
        await enqueueMany(store, 'warm', 4);
        const [done, failed, cancelled, later] = await claimOf(store, 'warm', 4);
        await store.cancelExecution(cancelled.execution.id, at(2));
        const applied = await store.completeAttempts([
          completion(refOf(done), { result: { n: 1 }, finishedAt: at(3) }),
          completion(refOf(failed), { status: 'failed', error: 'boom', finishedAt: at(3), settlement: { next: 'retry', notBefore: at(4) } }),
          completion(refOf(cancelled), { result: 'too late', finishedAt: at(3) }),
        ]);
        assert.deepEqual(applied, [true, true, false]);
        const [d, f, c, l] = await Promise.all([done, failed, cancelled, later].map((x) => store.getExecution(x.execution.id)));
        assert.equal(d?.status, 'succeeded');
        assert.deepEqual(d?.result, { n: 1 });
        assert.equal(d?.attempts[0].finishedAt, at(3));
        assert.equal(f?.status, 'queued');
        assert.equal(f?.notBefore, at(4));
        assert.equal(f?.attempts[0].error, 'boom');
        assert.equal(c?.status, 'cancelled');
        assert.deepEqual(c?.attempts[0].lateReport, { status: 'succeeded', exitCode: 0, reason: null, error: null, result: 'too late' });
        assert.equal(l?.status, 'running');
        // The same batch posted again (a retried request) applies nothing twice.
        assert.deepEqual(await store.completeAttempts([completion(refOf(done), { result: { n: 2 } })]), [false]);
        assert.deepEqual((await store.getExecution(done.execution.id))?.result, { n: 1 });
      }),
    );

    it(
      'applies an attempt named twice in one batch once, keeping the second report as late, and stores each ending’s own values',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm'));
        await enqueueMany(store, 'warm', 2);
        const [first, second] = await claimOf(store, 'warm', 2);
        const applied = await store.completeAttempts([
          completion(refOf(first), { result: { n: 1 }, finishedAt: at(3) }),
          completion(refOf(second), { status: 'failed', exitCode: 3, error: 'no', finishedAt: at(4), settlement: { next: 'finish', status: 'failed', notified: false } }),
          completion(refOf(first), { result: { n: 2 }, finishedAt: at(5) }),
        ]);
        assert.deepEqual(applied, [true, true, false]);
        const [a, b] = await Promise.all([first, second].map((x) => store.getExecution(x.execution.id)));
        assert.equal(a?.status, 'succeeded');
        assert.deepEqual(a?.result, { n: 1 });
        assert.equal(a?.finishedAt, at(3));
        assert.deepEqual(a?.attempts[0].lateReport, { status: 'succeeded', exitCode: 0, reason: null, error: null, result: { n: 2 } });
        assert.equal(b?.status, 'failed');
        assert.equal(b?.error, 'no');
        assert.equal(b?.result, null);
        assert.equal(b?.finishedAt, at(4));
        assert.equal(b?.attempts[0].exitCode, 3);
        assert.equal(b?.attempts[0].status, 'failed');
      }),
    );

    it(
      'applies none of a batch that names an unknown attempt',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm'));
        await enqueueMany(store, 'warm', 1);
        const [claimed] = await claimOf(store, 'warm', 1);
        await assert.rejects(
          store.completeAttempts([completion(refOf(claimed)), completion({ executionId: claimed.execution.id, attempt: 7 })]),
          hasCode('EXECUTION_NOT_FOUND'),
        );
        assert.equal((await store.getExecution(claimed.execution.id))?.status, 'running');
      }),
    );

    it(
      'settles a batch and claims the next one of the same function in one step',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm', { parallelism: 2 }));
        const ids = await enqueueMany(store, 'warm', 4);
        const first = await claimOf(store, 'warm', 2);
        const { applied, claimed } = await store.completeAndClaimFunction(
          first.map((c) => completion(refOf(c))),
          { owner: 'a', now: at(2), leaseMs: 30_000, limit: 5, function: { namespace: 'default', name: 'warm' } },
        );
        assert.deepEqual(applied, [true, true]);
        // The two slots the batch freed, and no more: parallelism 2.
        assert.deepEqual(claimed.map((c) => c.execution.id), ids.slice(2));
        assert.equal((await store.getExecution(ids[0]))?.status, 'succeeded');
      }),
    );

    it(
      'settles and claims nothing in a step whose batch names an unknown attempt',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm', { parallelism: 1 }));
        const ids = await enqueueMany(store, 'warm', 2);
        const [claimed] = await claimOf(store, 'warm', 1);
        await assert.rejects(
          store.completeAndClaimFunction([completion(refOf(claimed)), completion({ executionId: claimed.execution.id, attempt: 7 })], {
            owner: 'a',
            now: at(2),
            leaseMs: 30_000,
            limit: 1,
            function: { namespace: 'default', name: 'warm' },
          }),
          hasCode('EXECUTION_NOT_FOUND'),
        );
        assert.equal((await store.getExecution(ids[0]))?.status, 'running');
        assert.equal((await store.getExecution(ids[1]))?.status, 'queued');
      }),
    );

    it(
      'frees in one step only the slots of the function it claims, counting its executions still running',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm', { parallelism: 3 }));
        await store.putFunction(functionDocument('other', { parallelism: 2 }));
        const ids = await enqueueMany(store, 'warm', 6);
        const [a, b] = await claimOf(store, 'warm', 3);
        const others = await claimOf(store, 'other', 2);
        assert.equal(others.length, 0);
        await enqueueMany(store, 'other', 2);
        const [elsewhere] = await claimOf(store, 'other', 1);
        const { applied, claimed } = await store.completeAndClaimFunction(
          [completion(refOf(a)), completion(refOf(elsewhere)), completion(refOf(b))],
          { owner: 'a', now: at(2), leaseMs: 30_000, limit: 5, function: { namespace: 'default', name: 'warm' } },
        );
        assert.deepEqual(applied, [true, true, true]);
        // Two of warm's slots freed, its third still running: two claimed, whatever `other` freed.
        assert.deepEqual(claimed.map((c) => c.execution.id), ids.slice(3, 5));
        assert.equal((await store.countExecutions('default', 'warm')).running, 3);
        assert.equal((await store.getExecution(elsewhere.execution.id))?.status, 'succeeded');
        assert.deepEqual((await store.getExecution(a.execution.id))?.attempts.map((x) => x.status), ['succeeded']);
      }),
    );

    it(
      'settles and claims in one step with the fence kept, reading back every attempt of a retry, and claims nothing of a deleted function',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm', { parallelism: 2 }));
        const ids = await enqueueMany(store, 'warm', 3);
        const [failed, cancelled] = await claimOf(store, 'warm', 2);
        await store.cancelExecution(cancelled.execution.id, at(2));
        const claim = { owner: 'b', now: at(3), leaseMs: 30_000, limit: 2, function: { namespace: 'default', name: 'warm' } };
        const first = await store.completeAndClaimFunction(
          [completion(refOf(failed), { status: 'failed', error: 'boom', finishedAt: at(3), settlement: { next: 'retry', notBefore: at(3) } }), completion(refOf(cancelled))],
          claim,
        );
        assert.deepEqual(first.applied, [true, false]);
        // Both slots were free again: the retry (first in the queue) and the third execution.
        assert.deepEqual(first.claimed.map((c) => [c.execution.id, c.attempt]), [[ids[0], 2], [ids[2], 1]]);
        const retried = first.claimed[0];
        assert.deepEqual(retried.execution.attempts.map((a) => [a.number, a.status]), [[1, 'failed'], [2, 'running']]);
        assert.equal(retried.execution.status, 'running');
        assert.equal(retried.function.version, retried.execution.version);
        assert.equal(retried.function.name, 'warm');
        assert.equal(retried.leaseExpiresAt, at(33));
        assert.deepEqual(await store.getExecution(ids[0]), retried.execution);
        await enqueueMany(store, 'warm', 1);
        await store.deleteFunction('default', 'warm');
        const last = await store.completeAndClaimFunction(first.claimed.map((c) => completion(refOf(c))), { ...claim, now: at(4) });
        assert.deepEqual(last, { applied: [true, true], claimed: [] });
      }),
    );

    it(
      'lets the general claim leave the functions served by warm replicas alone',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm', { priority: 10 }));
        await store.putFunction(functionDocument('cold'));
        await enqueueMany(store, 'warm', 2);
        const cold = await enqueueMany(store, 'cold', 2);
        const claimed = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 10, except: [{ namespace: 'default', name: 'warm' }] });
        assert.deepEqual(claimed.map((c) => c.execution.id), cold);
      }),
    );
  });
}
