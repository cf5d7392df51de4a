import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ExecutionQuery, Store } from '../../../src/store/store.js';
import { at, completion, enqueueMany, functionDocument, refOf, withStore, type OpenStore } from './fixtures.js';

/** Follows nextCursor to the end; bounded so that a cursor that never ends fails the test. */
async function allPages(store: Store, query: ExecutionQuery): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let cursor: string | undefined;
  for (let pages = 1; pages <= 100; pages++) {
    const page = await store.listExecutions({ ...query, cursor });
    assert.ok(page.items.length <= query.limit);
    ids.push(...page.items.map((execution) => execution.id));
    if (page.nextCursor === null) return { ids, pages };
    cursor = page.nextCursor;
  }
  throw new Error('listing did not end within 100 pages');
}

/** Listing and counting executions. */
export function listingSpecs(open: OpenStore): void {
  describe('listing and counting executions', () => {
    it(
      'lists newest first over several pages, each execution once',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await store.putFunction(functionDocument('report', { namespace: 'team-b' }));
        const ids = await enqueueMany(store, 'report', 23);
        await enqueueMany(store, 'report', 4, 'team-b');

        const { ids: listed, pages } = await allPages(store, { namespace: 'default', limit: 10 });
        assert.equal(pages, 3);
        assert.deepEqual(listed, [...ids].reverse());

        const exact = await allPages(store, { namespace: 'team-b', limit: 4 });
        assert.equal(exact.ids.length, 4);
        assert.ok(exact.pages <= 2);
        const first = await store.listExecutions({ namespace: 'default', limit: 2 });
        assert.equal(first.items[0].status, 'queued');
        assert.deepEqual(first.items[0], await store.getExecution(ids[22]));
        assert.deepEqual(await store.listExecutions({ namespace: 'nobody', limit: 10 }), { items: [], nextCursor: null });
      }),
    );

    it(
      'filters by function, by status, and by both, with attempts included',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report', { parallelism: 100 }));
        await store.putFunction(functionDocument('export', { parallelism: 100 }));
        const reports = await enqueueMany(store, 'report', 12);
        const exports = await enqueueMany(store, 'export', 5);
        const claimed = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 20 });
        const byId = new Map(claimed.map((attempt) => [attempt.execution.id, attempt]));
        const succeeded = [...reports.slice(0, 7), exports[0]];
        for (const id of succeeded) await store.completeAttempt(completion(refOf(byId.get(id)!)));

        const ofExport = await allPages(store, { namespace: 'default', function: 'export', limit: 2 });
        assert.deepEqual(ofExport.ids, [...exports].reverse());
        const done = await allPages(store, { namespace: 'default', status: 'succeeded', limit: 3 });
        assert.deepEqual(done.ids, [...succeeded].reverse());
        const doneReports = await allPages(store, { namespace: 'default', function: 'report', status: 'succeeded', limit: 3 });
        assert.deepEqual(doneReports.ids, reports.slice(0, 7).reverse());
        const running = await allPages(store, { namespace: 'default', function: 'report', status: 'running', limit: 2 });
        assert.deepEqual(running.ids, reports.slice(7).reverse());

        const page = await store.listExecutions({ namespace: 'default', function: 'report', status: 'succeeded', limit: 1 });
        assert.deepEqual(
          page.items[0].attempts.map((attempt) => attempt.status),
          ['succeeded'],
        );
      }),
    );

    it(
      'counts executions by status, overall, per namespace and per function',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report', { parallelism: 2 }));
        await store.putFunction(functionDocument('export'));
        await store.putFunction(functionDocument('report', { namespace: 'team-b' }));
        const reports = await enqueueMany(store, 'report', 5);
        await enqueueMany(store, 'export', 1);
        await enqueueMany(store, 'report', 3, 'team-b');
        await store.cancelExecution(reports[4], at(1));
        const claimed = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 3 });
        assert.equal(claimed.length, 3);
        const done = claimed.find((attempt) => attempt.execution.function === 'report')!;
        await store.completeAttempt(completion(refOf(done), { status: 'failed' }));

        const zero = { queued: 0, running: 0, succeeded: 0, failed: 0, timed_out: 0, cancelled: 0 };
        const ofReport = await store.countExecutions('default', 'report');
        assert.equal(ofReport.queued + ofReport.running + ofReport.failed + ofReport.cancelled, 5);
        assert.deepEqual(ofReport, { ...zero, queued: 2, running: 1, failed: 1, cancelled: 1 });
        assert.deepEqual(await store.countExecutions('team-b'), { ...zero, queued: 3 });
        assert.deepEqual(await store.countExecutions('default'), { ...ofReport, running: 2 });
        assert.deepEqual(await store.countExecutions(), { ...ofReport, running: 2, queued: 5 });
        assert.deepEqual(await store.countExecutions('nobody'), zero);
        assert.deepEqual(await store.countExecutions('default', 'report', ['queued', 'running']), { ...zero, queued: 2, running: 1 }, 'only the statuses asked for');
        assert.deepEqual(await store.countExecutions(undefined, undefined, ['cancelled']), { ...zero, cancelled: 1 });
      }),
    );
  });
}
