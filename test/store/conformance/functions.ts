import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, completion, enqueueMany, enqueueOne, functionDocument, hasCode, refOf, withStore, type OpenStore } from './fixtures.js';

/** Functions: versions, listing, delete and redeploy. */
export function functionSpecs(open: OpenStore): void {
  describe('functions', () => {
    it(
      'stores versions counting up from 1 and reads the latest or a given one',
      withStore(open, async (store) => {
        const first = await store.putFunction(functionDocument('report', { revision: 'r1' }));
        const second = await store.putFunction(functionDocument('report', { revision: 'r2' }));
        assert.equal(first.version, 1);
        assert.equal(second.version, 2);
        assert.equal(second.namespace, 'default');
        assert.equal(second.name, 'report');
        assert.ok(!Number.isNaN(Date.parse(second.createdAt)));

        const latest = await store.getFunction('default', 'report');
        assert.equal(latest?.version, 2);
        assert.deepEqual(latest?.document, functionDocument('report', { revision: 'r2' }));
        const old = await store.getFunction('default', 'report', 1);
        assert.equal(old?.document.metadata.labels?.revision, 'r1');
        assert.equal(await store.getFunction('default', 'report', 3), undefined);
        assert.equal(await store.getFunction('default', 'absent'), undefined);
        assert.equal(await store.getFunction('other', 'report'), undefined);
      }),
    );

    it(
      'lists the latest version of each function by name, in one namespace or all',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('zeta'));
        await store.putFunction(functionDocument('alpha', { revision: 'r1' }));
        await store.putFunction(functionDocument('alpha', { revision: 'r2' }));
        await store.putFunction(functionDocument('beta', { namespace: 'team-b' }));

        const inDefault = await store.listFunctions('default');
        assert.deepEqual(
          inDefault.map((fn) => [fn.name, fn.version]),
          [
            ['alpha', 2],
            ['zeta', 1],
          ],
        );
        const all = await store.listFunctions();
        assert.deepEqual(all.map((fn) => `${fn.namespace}/${fn.name}`).sort(), ['default/alpha', 'default/zeta', 'team-b/beta']);
        assert.deepEqual(await store.listFunctions('nobody'), []);
      }),
    );

    it(
      'hides a deleted function, and deleting again or deleting an unknown one returns false',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        assert.equal(await store.deleteFunction('default', 'report'), true);
        assert.equal(await store.getFunction('default', 'report'), undefined);
        assert.equal(await store.getFunction('default', 'report', 1), undefined);
        assert.deepEqual(await store.listFunctions('default'), []);
        assert.equal(await store.deleteFunction('default', 'report'), false);
        assert.equal(await store.deleteFunction('default', 'never'), false);
        await assert.rejects(enqueueOne(store, { function: 'report' }), hasCode('FUNCTION_NOT_FOUND'));
      }),
    );

    it(
      'redeploys a deleted function as a live function whose versions keep counting up',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await store.putFunction(functionDocument('report'));
        await store.deleteFunction('default', 'report');
        const redeployed = await store.putFunction(functionDocument('report', { revision: 'r3' }));
        assert.equal(redeployed.version, 3);
        assert.equal((await store.getFunction('default', 'report'))?.version, 3);
        assert.deepEqual(
          (await store.listFunctions()).map((fn) => fn.version),
          [3],
        );
        const { execution } = await enqueueOne(store, { function: 'report' });
        assert.equal(execution.version, 3);
      }),
    );

    it(
      'deleting a function cancels its queued executions, lets running ones finish, and keeps them all readable',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report', { parallelism: 1 }));
        const ids = await enqueueMany(store, 'report', 3);
        const [claimed] = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 10 });
        assert.equal(claimed.execution.id, ids[0]);

        assert.equal(await store.deleteFunction('default', 'report'), true);
        const running = await store.getExecution(ids[0]);
        assert.equal(running?.status, 'running');
        for (const id of ids.slice(1)) {
          const cancelled = await store.getExecution(id);
          assert.equal(cancelled?.status, 'cancelled');
          assert.notEqual(cancelled?.finishedAt, null);
        }
        assert.deepEqual(await store.claimExecutions({ owner: 'a', now: at(2), leaseMs: 30_000, limit: 10 }), []);

        assert.equal(await store.completeAttempt(completion(refOf(claimed), { result: { rows: 3 } })), true);
        const finished = await store.getExecution(ids[0]);
        assert.equal(finished?.status, 'succeeded');
        assert.deepEqual(finished?.result, { rows: 3 });
        assert.equal(finished?.version, 1);
        const page = await store.listExecutions({ namespace: 'default', function: 'report', limit: 10 });
        assert.equal(page.items.length, 3);
      }),
    );

    it(
      'ends a retry of a deleted function as cancelled instead of queueing it where nothing claims it',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueOne(store, { function: 'report' });
        const [claimed] = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 1 });
        await store.deleteFunction('default', 'report');
        const applied = await store.completeAttempt(
          completion(refOf(claimed), { status: 'failed', settlement: { next: 'retry', notBefore: at(10) } }),
        );
        assert.equal(applied, true);
        const execution = await store.getExecution(claimed.execution.id);
        assert.equal(execution?.status, 'cancelled');
        assert.equal(execution?.attempts[0].status, 'failed');
        assert.equal((await store.countExecutions('default', 'report')).queued, 0);
      }),
    );
  });
}
