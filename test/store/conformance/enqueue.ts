import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, enqueueOne, functionDocument, hasCode, withStore, type OpenStore } from './fixtures.js';

/** Enqueueing: shape, priority, all-or-none, idempotency. */
export function enqueueSpecs(open: OpenStore): void {
  describe('enqueueing executions', () => {
    it(
      'stores a queued execution with the latest version, the function priority and the request fields',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report', { priority: 1 }));
        await store.putFunction(functionDocument('report', { priority: 4 }));
        const [enqueued] = await store.enqueueExecutions(
          [{ namespace: 'default', function: 'report', input: { month: '2030-01', ids: [1, 2] }, callbackUrl: 'http://127.0.0.1:1/done' }],
          at(0),
        );
        assert.equal(enqueued.created, true);
        const execution = enqueued.execution;
        assert.match(execution.id, /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}$/);
        assert.deepEqual(execution, {
          id: execution.id,
          namespace: 'default',
          function: 'report',
          version: 2,
          status: 'queued',
          priority: 4,
          input: { month: '2030-01', ids: [1, 2] },
          result: null,
          error: null,
          idempotencyKey: null,
          callbackUrl: 'http://127.0.0.1:1/done',
          createdAt: at(0),
          startedAt: null,
          finishedAt: null,
          notBefore: null,
          concurrencyKey: null,
          attempts: [],
        });
        assert.deepEqual(await store.getExecution(execution.id), execution);
        assert.equal(await store.getExecution('00000000-0000-7000-8000-000000000000'), undefined);
      }),
    );

    it(
      'answers each new execution as reading it back gives it, with every optional field set',
      withStore(open, async (store) => {
        const keyed = functionDocument('keyed');
        keyed.spec.concurrency = { key: '/tenant', limit: 2 };
        await store.putFunction(keyed);
        const enqueued = await store.enqueueExecutions(
          [
            {
              namespace: 'default',
              function: 'keyed',
              input: { tenant: 'acme', note: 'ünïcode' },
              priority: 7,
              idempotencyKey: 'order-17',
              callbackUrl: 'http://127.0.0.1:1/done',
              notBefore: at(5_000),
              traceContext: { traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01', tracestate: 'vendor=1' },
            },
            { namespace: 'default', function: 'keyed', input: { tenant: 'globex' } },
          ],
          at(0),
        );
        assert.equal(enqueued[0].execution.concurrencyKey, 'acme');
        assert.equal(enqueued[0].execution.notBefore, at(5_000));
        for (const { execution } of enqueued) assert.deepEqual(execution, await store.getExecution(execution.id));
      }),
    );

    it(
      'uses the priority of the request over the function priority when given',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report', { priority: 3 }));
        const results = await store.enqueueExecutions(
          [
            { namespace: 'default', function: 'report', input: 1, priority: 9 },
            { namespace: 'default', function: 'report', input: 2, priority: 0 },
            { namespace: 'default', function: 'report', input: 3 },
          ],
          at(0),
        );
        assert.deepEqual(
          results.map((result) => result.execution.priority),
          [9, 0, 3],
        );
      }),
    );

    it(
      'stores none of a batch when one request names an unknown function, with FUNCTION_NOT_FOUND',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await assert.rejects(
          store.enqueueExecutions(
            [
              { namespace: 'default', function: 'report', input: 1 },
              { namespace: 'default', function: 'missing', input: 2 },
            ],
            at(0),
          ),
          (thrown: unknown) => {
            assert.ok(hasCode('FUNCTION_NOT_FOUND')(thrown));
            assert.match((thrown as Error).message, /default\/missing/);
            return true;
          },
        );
        const counts = await store.countExecutions();
        assert.equal(Object.values(counts).reduce((sum, count) => sum + count, 0), 0);
      }),
    );

    it(
      'returns the existing execution for a repeated idempotency key, not a new one',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        const first = await enqueueOne(store, { function: 'report', input: 'first', idempotencyKey: 'event-1' });
        const repeat = await enqueueOne(store, { function: 'report', input: 'second', idempotencyKey: 'event-1' }, at(5));
        assert.equal(first.created, true);
        assert.equal(first.matchesRequest, true);
        assert.equal(repeat.created, false);
        assert.deepEqual(repeat.execution, first.execution);
        assert.equal(repeat.execution.input, 'first');
        assert.equal((await store.countExecutions()).queued, 1);
      }),
    );

    it(
      'tells a repeat of an idempotency key from its reuse by a different request (input, priority override, callback URL)',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report', { priority: 2 }));
        const original = { function: 'report', input: { month: '2030-01', ids: [1, 2], deep: { a: 1, b: null } }, priority: 5, callbackUrl: 'http://127.0.0.1:1/done', idempotencyKey: 'order-42' };
        const first = await enqueueOne(store, original);
        assert.equal(first.matchesRequest, true);
        // The same input with its keys in another order (as YAML or another client may send it) is the same request.
        const reordered = { ...original, input: { deep: { b: null, a: 1 }, ids: [1, 2], month: '2030-01' } };
        const repeat = await enqueueOne(store, reordered, at(5));
        assert.deepEqual([repeat.created, repeat.matchesRequest, repeat.execution.id], [false, true, first.execution.id]);
        const reuses: Partial<typeof original>[] = [
          { input: { month: '2030-02', ids: [1, 2], deep: { a: 1, b: null } } },
          { input: { month: '2030-01', ids: [2, 1], deep: { a: 1, b: null } } },
          { priority: 6 },
          { priority: undefined },
          { callbackUrl: 'http://127.0.0.1:1/elsewhere' },
          { callbackUrl: undefined },
        ];
        for (const change of reuses) {
          const reuse = await enqueueOne(store, { ...original, ...change }, at(6));
          assert.deepEqual([reuse.created, reuse.matchesRequest], [false, false], JSON.stringify(change));
          assert.deepEqual(reuse.execution, first.execution, 'the stored execution is untouched');
        }
        assert.equal((await store.countExecutions()).queued, 1);
      }),
    );

    it(
      'a request that leaves the priority to the function matches its repeat after the function priority changed',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report', { priority: 1 }));
        const first = await enqueueOne(store, { function: 'report', input: null, idempotencyKey: 'k' });
        await store.putFunction(functionDocument('report', { priority: 9 }));
        const repeat = await enqueueOne(store, { function: 'report', input: null, idempotencyKey: 'k' }, at(5));
        assert.deepEqual([repeat.created, repeat.matchesRequest, repeat.execution.id, repeat.execution.priority], [false, true, first.execution.id, 1]);
      }),
    );

    it(
      'recognises a repeated idempotency key within one batch',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        const results = await store.enqueueExecutions(
          [
            { namespace: 'default', function: 'report', input: 1, idempotencyKey: 'k' },
            { namespace: 'default', function: 'report', input: 2, idempotencyKey: 'k' },
            { namespace: 'default', function: 'report', input: 3 },
          ],
          at(0),
        );
        assert.deepEqual(
          results.map((result) => [result.created, result.matchesRequest]),
          [
            [true, true],
            [false, false],
            [true, true],
          ],
        );
        assert.equal(results[1].execution.id, results[0].execution.id);
        assert.equal((await store.countExecutions()).queued, 2);
      }),
    );

    it(
      'scopes idempotency keys to one function of one namespace',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await store.putFunction(functionDocument('export'));
        await store.putFunction(functionDocument('report', { namespace: 'team-b' }));
        const results = await store.enqueueExecutions(
          [
            { namespace: 'default', function: 'report', input: 1, idempotencyKey: 'same' },
            { namespace: 'default', function: 'export', input: 2, idempotencyKey: 'same' },
            { namespace: 'team-b', function: 'report', input: 3, idempotencyKey: 'same' },
          ],
          at(0),
        );
        assert.deepEqual(
          results.map((result) => result.created),
          [true, true, true],
        );
        assert.equal(new Set(results.map((result) => result.execution.id)).size, 3);
      }),
    );
  });
}
