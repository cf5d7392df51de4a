import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, completion, enqueueMany, functionDocument, refOf, withStore, type OpenStore } from './fixtures.js';

/** The queue of each function, as metrics read it. */
export function queueStatsSpecs(open: OpenStore): void {
  describe('queue stats', () => {
    it(
      'counts queued and ready executions per function, with the submission time of the oldest ready one',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report', { parallelism: 10 }));
        await store.putFunction(functionDocument('export', { parallelism: 10 }));
        await store.putFunction(functionDocument('idle'));
        await enqueueMany(store, 'report', 3, 'default', at(0));
        await enqueueMany(store, 'report', 2, 'default', at(5));
        await enqueueMany(store, 'export', 1, 'default', at(7));
        // The first report runs and fails into a backoff until at(100): queued, not ready.
        const [first] = await store.claimExecutions({ owner: 'a', now: at(10), leaseMs: 30_000, limit: 1 });
        assert.equal(first.execution.function, 'report');
        await store.completeAttempt(completion(refOf(first), { status: 'failed', settlement: { next: 'retry', notBefore: at(100) } }));

        const stats = (await store.queueStats(at(20))).sort((a, b) => a.function.localeCompare(b.function));
        assert.deepEqual(stats, [
          { namespace: 'default', function: 'export', queued: 1, ready: 1, oldestReadyAt: at(7) },
          { namespace: 'default', function: 'report', queued: 5, ready: 4, oldestReadyAt: at(0) },
        ]);
        const later = (await store.queueStats(at(200))).find((each) => each.function === 'report');
        assert.equal(later?.ready, 5, 'the retry is ready once its backoff ends');
      }),
    );

    it(
      'leaves out functions whose executions all ran, and says null when only backoffs wait',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueMany(store, 'report', 1, 'default', at(0));
        const [claimed] = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 1 });
        assert.deepEqual(await store.queueStats(at(2)), []);
        await store.completeAttempt(completion(refOf(claimed), { status: 'failed', settlement: { next: 'retry', notBefore: at(60) } }));
        assert.deepEqual(await store.queueStats(at(2)), [{ namespace: 'default', function: 'report', queued: 1, ready: 0, oldestReadyAt: null }]);
      }),
    );
  });
}
