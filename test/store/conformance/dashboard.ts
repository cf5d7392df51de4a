import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SeriesBucket, Store } from '../../../src/store/store.js';
import { at, completion, enqueueMany, functionDocument, refOf, withStore, type OpenStore } from './fixtures.js';

/** Claims every ready execution of the namespace at `seconds`; answers the attempts by execution id. */
async function claimAll(store: Store, seconds: number) {
  const claimed = await store.claimExecutions({ owner: 'a', now: at(seconds), leaseMs: 600_000, limit: 100 });
  return new Map(claimed.map((attempt) => [attempt.execution.id, refOf(attempt)]));
}

/** The fields of buckets a test compares, in order. */
const shape = (buckets: SeriesBucket[]) =>
  buckets.map(({ start, created, succeeded, failed, cancelled, p50Ms, p95Ms, queueDepth }) => ({ start, created, succeeded, failed, cancelled, p50Ms, p95Ms, queueDepth }));

/** The time-windowed reads of the dashboard: function stats, series, listings by creation time. */
export function dashboardSpecs(open: OpenStore): void {
  describe('time windows for the dashboard', () => {
    it(
      'counts how each function’s executions ended in a window, with nearest-rank duration percentiles',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report', { parallelism: 100 }));
        await store.putFunction(functionDocument('export', { parallelism: 100 }));
        const reports = await enqueueMany(store, 'report', 6);
        const [cancelledExport, queuedExport] = await enqueueMany(store, 'export', 2);
        await store.cancelExecution(cancelledExport, at(2));
        const refs = await claimAll(store, 1);
        // Durations 1 s, 2 s, 3.5 s, 4 s from the claim at 1 s; the fifth ends after the window.
        await store.completeAttempt(completion(refs.get(reports[0])!, { finishedAt: at(2) }));
        await store.completeAttempt(completion(refs.get(reports[1])!, { finishedAt: at(3) }));
        await store.completeAttempt(completion(refs.get(reports[2])!, { status: 'failed', finishedAt: at(4.5) }));
        await store.completeAttempt(completion(refs.get(reports[3])!, { status: 'timed_out', finishedAt: at(5) }));
        await store.completeAttempt(completion(refs.get(reports[4])!, { finishedAt: at(100) }));
        assert.ok(refs.has(queuedExport));

        const stats = await store.functionStats('default', { since: at(0), until: at(60) });
        assert.deepEqual(stats, [
          { function: 'export', succeeded: 0, failed: 0, timedOut: 0, cancelled: 1, p50Ms: null, p95Ms: null, p99Ms: null },
          { function: 'report', succeeded: 2, failed: 1, timedOut: 1, cancelled: 0, p50Ms: 2000, p95Ms: 4000, p99Ms: 4000 },
        ]);
        // The window is half-open: an execution that ends at `until` is not in it.
        assert.deepEqual(await store.functionStats('default', { since: at(2.5), until: at(5) }), [
          { function: 'report', succeeded: 1, failed: 1, timedOut: 0, cancelled: 0, p50Ms: 2000, p95Ms: 3500, p99Ms: 3500 },
        ]);
        assert.deepEqual(await store.functionStats('team-b', { since: at(0), until: at(60) }), []);
      }),
    );

    it(
      'buckets creations, endings, durations and the queue depth over a window, per function',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report', { parallelism: 2 }));
        await store.putFunction(functionDocument('export'));
        const [first, second, third] = await enqueueMany(store, 'report', 3, 'default', at(0));
        const [late] = await enqueueMany(store, 'report', 1, 'default', at(25));
        await enqueueMany(store, 'export', 5, 'default', at(5));
        const refs = new Map([...(await store.claimExecutions({ owner: 'a', now: at(12), leaseMs: 600_000, limit: 2 }))].map((a) => [a.execution.id, refOf(a)]));
        assert.deepEqual([...refs.keys()].filter((id) => id !== first && id !== second), []);
        await store.completeAttempt(completion(refs.get(first)!, { finishedAt: at(15) }));
        await store.completeAttempt(completion(refs.get(second)!, { status: 'failed', finishedAt: at(33) }));
        await store.cancelExecution(third, at(41));

        const series = await store.executionSeries({ namespace: 'default', function: 'report', since: at(0), until: at(60), bucketMs: 10_000 });
        const bucket = (seconds: number, fields: Partial<SeriesBucket>) => ({
          start: at(seconds), created: 0, succeeded: 0, failed: 0, cancelled: 0, p50Ms: null, p95Ms: null, ...fields,
        });
        assert.deepEqual(shape(series), [
          bucket(0, { created: 3, queueDepth: 3 }),
          bucket(10, { succeeded: 1, p50Ms: 3000, p95Ms: 3000, queueDepth: 1 }),
          bucket(20, { created: 1, queueDepth: 2 }),
          bucket(30, { failed: 1, p50Ms: 21000, p95Ms: 21000, queueDepth: 2 }),
          bucket(40, { cancelled: 1, queueDepth: 1 }),
          bucket(50, { queueDepth: 1 }),
        ]);
        assert.equal(series[0].timedOut, 0);

        // A window that starts later begins from the depth at its start: `third` still waited then.
        const later = await store.executionSeries({ namespace: 'default', function: 'report', since: at(20), until: at(60), bucketMs: 20_000 });
        assert.deepEqual(later.map((b) => [b.created, b.queueDepth]), [[1, 2], [0, 1]]);
        // Without a function, the namespace: export's five wait from 5 s on.
        const all = await store.executionSeries({ namespace: 'default', since: at(0), until: at(20), bucketMs: 20_000 });
        assert.deepEqual(all.map((b) => [b.created, b.queueDepth]), [[8, 6]]);
        assert.ok(late);
      }),
    );

    it(
      'lists executions created in a time range, newest first, over pages',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        const ids: string[] = [];
        for (let second = 0; second < 10; second++) ids.push(...(await enqueueMany(store, 'report', 2, 'default', at(second))));
        const range = { namespace: 'default', createdSince: at(3), createdBefore: at(7) };
        const first = await store.listExecutions({ ...range, limit: 5 });
        const rest = await store.listExecutions({ ...range, limit: 5, cursor: first.nextCursor! });
        assert.deepEqual([...first.items, ...rest.items].map((e) => e.id), ids.slice(6, 14).reverse());
        assert.equal(rest.nextCursor, null);
        const since = await store.listExecutions({ namespace: 'default', function: 'report', status: 'queued', createdSince: at(9), limit: 10 });
        assert.deepEqual(since.items.map((e) => e.id), ids.slice(18).reverse());
      }),
    );
  });
}
