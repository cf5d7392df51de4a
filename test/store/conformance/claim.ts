import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, completion, enqueueMany, enqueueOne, functionDocument, refOf, withStore, type OpenStore } from './fixtures.js';

/** Claiming: order, parallelism, limit, delayed retries, versions. */
export function claimSpecs(open: OpenStore): void {
  describe('claiming executions', () => {
    it(
      'opens attempt 1 with the owner and a lease, and hands over the function version',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        const { execution } = await enqueueOne(store, { function: 'report', input: { n: 1 } });
        const claimed = await store.claimExecutions({ owner: 'controller-a', now: at(10), leaseMs: 30_000, limit: 5 });
        assert.equal(claimed.length, 1);
        const [first] = claimed;
        assert.equal(first.attempt, 1);
        assert.equal(first.leaseExpiresAt, at(40));
        assert.equal(first.function.version, 1);
        assert.deepEqual(first.function.document, functionDocument('report'));
        assert.equal(first.execution.id, execution.id);
        assert.equal(first.execution.status, 'running');
        assert.equal(first.execution.startedAt, at(10));
        assert.deepEqual(first.execution.input, { n: 1 });
        assert.deepEqual(first.execution.attempts, [
          { number: 1, status: 'running', exitCode: null, reason: null, error: null, startedAt: at(10), finishedAt: null, owner: 'controller-a', lateReport: null },
        ]);
        assert.deepEqual(await store.getExecution(execution.id), first.execution);
        assert.deepEqual(await store.claimExecutions({ owner: 'controller-a', now: at(11), leaseMs: 30_000, limit: 5 }), []);
      }),
    );

    it(
      'claims nothing from an empty store',
      withStore(open, async (store) => {
        assert.deepEqual(await store.claimExecutions({ owner: 'a', now: at(0), leaseMs: 1000, limit: 10 }), []);
        await store.putFunction(functionDocument('report'));
        assert.deepEqual(await store.claimExecutions({ owner: 'a', now: at(0), leaseMs: 1000, limit: 10 }), []);
      }),
    );

    it(
      'takes the highest priority first, then the oldest, across functions',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('low', { priority: 0 }));
        await store.putFunction(functionDocument('high', { priority: 5 }));
        const order: string[] = [];
        for (const [fn, input, priority] of [
          ['low', 'low-old', undefined],
          ['high', 'high-old', undefined],
          ['low', 'low-urgent', 9],
          ['high', 'high-new', undefined],
          ['low', 'low-new', undefined],
        ] as const) {
          await enqueueOne(store, { function: fn, input, priority }, at(order.push(input)));
        }
        const oneByOne: unknown[] = [];
        for (let round = 0; round < 6; round++) {
          const claimed = await store.claimExecutions({ owner: 'a', now: at(10), leaseMs: 30_000, limit: 1 });
          oneByOne.push(...claimed.map((attempt) => attempt.execution.input));
        }
        assert.deepEqual(oneByOne, ['low-urgent', 'high-old', 'high-new', 'low-old', 'low-new']);
      }),
    );

    it(
      'returns a multi-claim in dispatch order',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await store.enqueueExecutions(
          [1, 2, 3, 4].map((input) => ({ namespace: 'default', function: 'report', input, priority: input % 2 })),
          at(0),
        );
        const claimed = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 10 });
        assert.deepEqual(
          claimed.map((attempt) => attempt.execution.input),
          [1, 3, 2, 4],
        );
      }),
    );

    it(
      'claims at most `limit` executions',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report', { parallelism: 100 }));
        await enqueueMany(store, 'report', 7);
        assert.equal((await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 3 })).length, 3);
        assert.equal((await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 3 })).length, 3);
        assert.equal((await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 3 })).length, 1);
        assert.equal((await store.countExecutions()).running, 7);
      }),
    );

    it(
      "never runs more of a function than its parallelism, across claims and owners, and frees a slot when one finishes",
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('narrow', { parallelism: 2, priority: 5 }));
        await store.putFunction(functionDocument('wide', { parallelism: 10 }));
        await enqueueMany(store, 'narrow', 5);
        await enqueueMany(store, 'wide', 3);
        const claim = (owner: string, limit: number) => store.claimExecutions({ owner, now: at(1), leaseMs: 30_000, limit });

        const byA = await claim('a', 1);
        const byB = await claim('b', 10);
        const byC = await claim('c', 10);
        assert.deepEqual(
          byA.map((attempt) => attempt.execution.function),
          ['narrow'],
        );
        assert.deepEqual(
          byB.map((attempt) => attempt.execution.function),
          ['narrow', 'wide', 'wide', 'wide'],
        );
        assert.deepEqual(byC, []);
        assert.equal((await store.countExecutions('default', 'narrow')).running, 2);

        assert.equal(await store.completeAttempt(completion(refOf(byA[0]))), true);
        const afterFinish = await claim('c', 10);
        assert.deepEqual(
          afterFinish.map((attempt) => attempt.execution.function),
          ['narrow'],
        );
        assert.equal((await store.countExecutions('default', 'narrow')).running, 2);
      }),
    );

    it(
      'does not claim a retry before its notBefore, then opens the next attempt',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueOne(store, { function: 'report' });
        const [first] = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 1 });
        const retry = completion(refOf(first), { status: 'failed', finishedAt: at(2), settlement: { next: 'retry', notBefore: at(60) } });
        assert.equal(await store.completeAttempt(retry), true);

        const waiting = await store.getExecution(first.execution.id);
        assert.equal(waiting?.status, 'queued');
        assert.equal(waiting?.notBefore, at(60));
        assert.deepEqual(await store.claimExecutions({ owner: 'a', now: at(59), leaseMs: 30_000, limit: 1 }), []);

        const [second] = await store.claimExecutions({ owner: 'b', now: at(60), leaseMs: 30_000, limit: 1 });
        assert.equal(second.execution.id, first.execution.id);
        assert.equal(second.attempt, 2);
        assert.equal(second.execution.startedAt, at(1));
        assert.equal(second.execution.notBefore, null);
        assert.deepEqual(
          second.execution.attempts.map((attempt) => [attempt.number, attempt.status, attempt.owner]),
          [
            [1, 'failed', 'a'],
            [2, 'running', 'b'],
          ],
        );
      }),
    );

    it(
      'lets a ready execution pass a higher-priority retry that still waits',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueOne(store, { function: 'report', input: 'urgent', priority: 9 });
        const [urgent] = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 1 });
        await store.completeAttempt(completion(refOf(urgent), { status: 'failed', settlement: { next: 'retry', notBefore: at(100) } }));
        await enqueueOne(store, { function: 'report', input: 'normal' }, at(2));
        const claimed = await store.claimExecutions({ owner: 'a', now: at(3), leaseMs: 30_000, limit: 5 });
        assert.deepEqual(
          claimed.map((attempt) => attempt.execution.input),
          ['normal'],
        );
      }),
    );

    it(
      'keeps the version an execution was enqueued with after a redeploy',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report', { revision: 'r1', priority: 1 }));
        const { execution: older } = await enqueueOne(store, { function: 'report', input: 'older' });
        await store.putFunction(functionDocument('report', { revision: 'r2', priority: 7 }));
        const { execution: newer } = await enqueueOne(store, { function: 'report', input: 'newer' });
        assert.equal(older.version, 1);
        assert.equal(newer.version, 2);
        assert.equal(newer.priority, 7);

        const claimed = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 5 });
        const byInput = new Map(claimed.map((attempt) => [attempt.execution.input, attempt]));
        assert.equal(byInput.get('older')?.function.version, 1);
        assert.equal(byInput.get('older')?.function.document.metadata.labels?.revision, 'r1');
        assert.equal(byInput.get('newer')?.function.document.metadata.labels?.revision, 'r2');
        assert.equal((await store.getExecution(older.id))?.version, 1);
      }),
    );
  });
}
