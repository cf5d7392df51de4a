import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FunctionDocument } from '../../../src/domain/function-spec.js';
import type { NewExecution, Store } from '../../../src/store/store.js';
import { at, completion, enqueueMany, functionDocument, hasCode, refOf, withStore, type OpenStore } from './fixtures.js';

const request = (fn: string, input: unknown = null, extra: Partial<NewExecution> = {}): NewExecution => ({ namespace: 'default', function: fn, input, ...extra });

const handOff = (store: Store, requests: NewExecution[], limit: number, fn = 'warm', now = at(1)) =>
  store.enqueueAndClaimFunction(requests, now, { owner: 'a', now, leaseMs: 30_000, limit, function: { namespace: 'default', name: fn } });

function controlled(name: string, spec: Partial<FunctionDocument['spec']>): FunctionDocument {
  const document = functionDocument(name, { parallelism: 100 });
  return { ...document, spec: { ...document.spec, ...spec } };
}

/** The direct handoff of an invoke to a waiting warm replica: enqueue and claim in one step. */
export function handoffSpecs(open: OpenStore): void {
  describe('enqueue and claim in one step (direct handoff)', () => {
    it(
      'stores the new executions and starts them for the owner, answering as an enqueue and a claim would',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm'));
        const { enqueued, claimed } = await handOff(store, [request('warm', 1), request('warm', 2)], 8);
        assert.deepEqual(
          enqueued.map((e) => [e.created, e.matchesRequest, e.execution.status, e.execution.input]),
          [
            [true, true, 'queued', 1],
            [true, true, 'queued', 2],
          ],
        );
        assert.deepEqual(
          claimed.map((c) => c.execution.id),
          enqueued.map((e) => e.execution.id),
        );
        for (const c of claimed) {
          assert.equal(c.attempt, 1);
          assert.equal(c.execution.status, 'running');
          assert.equal(c.execution.attempts[0].status, 'running');
          assert.equal(c.function.version, 1);
          assert.equal(c.leaseExpiresAt, at(31));
        }
        // Leased to its owner: a renewal by another finds it stale, by the owner not.
        assert.deepEqual(await store.renewLeases('a', claimed.map(refOf), at(2), 30_000), []);
        assert.deepEqual(await store.renewLeases('b', claimed.map(refOf), at(2), 30_000), claimed.map(refOf));
        assert.deepEqual(await store.completeAttempts(claimed.map((c) => completion(refOf(c)))), [true, true]);
        assert.equal((await store.getExecution(claimed[0].execution.id))?.status, 'succeeded');
      }),
    );

    it(
      'takes the best ready executions first: older and higher-priority queued ones before the new ones',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm'));
        await store.putFunction(functionDocument('other', { priority: 100 }));
        const [older] = await enqueueMany(store, 'warm', 1);
        await enqueueMany(store, 'other', 2);
        const { enqueued, claimed } = await handOff(store, [request('warm', 'low'), request('warm', 'high', { priority: 7 })], 2);
        assert.deepEqual(
          claimed.map((c) => c.execution.id),
          [enqueued[1].execution.id, older],
        );
        assert.equal((await store.getExecution(enqueued[0].execution.id))?.status, 'queued');
        assert.equal((await store.countExecutions('default', 'other')).queued, 2);
      }),
    );

    it(
      'within parallelism (counting what other claims run), leaving run-later executions queued',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm', { parallelism: 2 }));
        await enqueueMany(store, 'warm', 1);
        await store.claimExecutions({ owner: 'b', now: at(1), leaseMs: 30_000, limit: 1 });
        const { enqueued, claimed } = await handOff(store, [request('warm', 'later', { notBefore: at(60) }), request('warm', 'a'), request('warm', 'b')], 8);
        assert.deepEqual(
          claimed.map((c) => c.execution.input),
          ['a'],
        );
        assert.deepEqual(
          await Promise.all(enqueued.map(async (e) => (await store.getExecution(e.execution.id))?.status)),
          ['queued', 'running', 'queued'],
        );
      }),
    );

    it(
      'keeps the function’s rate limit and concurrency keys',
      withStore(open, async (store) => {
        await store.putFunction(controlled('limited', { rateLimit: { limit: 1, period: '1m' } }));
        const first = await handOff(store, [request('limited'), request('limited')], 8, 'limited');
        assert.equal(first.claimed.length, 1);
        assert.deepEqual((await handOff(store, [request('limited')], 8, 'limited', at(2))).claimed, []);
        await store.putFunction(controlled('keyed', { concurrency: { key: '/tenant', limit: 1 } }));
        const keyed = await handOff(store, [request('keyed', { tenant: 'x' }), request('keyed', { tenant: 'x' }), request('keyed', { tenant: 'y' })], 8, 'keyed');
        assert.deepEqual(
          keyed.claimed.map((c) => c.execution.concurrencyKey),
          ['x', 'y'],
        );
      }),
    );

    it(
      'an idempotent repeat is answered with the existing execution and is not started again',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm'));
        const first = await handOff(store, [request('warm', 1, { idempotencyKey: 'k' })], 8);
        assert.equal(first.claimed.length, 1);
        const again = await handOff(store, [request('warm', 1, { idempotencyKey: 'k' })], 8);
        assert.equal(again.enqueued[0].created, false);
        assert.equal(again.enqueued[0].execution.id, first.enqueued[0].execution.id);
        assert.deepEqual(again.claimed, []);
        assert.equal((await store.getExecution(first.enqueued[0].execution.id))?.attempts.length, 1);
      }),
    );

    it(
      'an unknown function fails the whole step: nothing stored, nothing started',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('warm'));
        await enqueueMany(store, 'warm', 1);
        await assert.rejects(handOff(store, [request('warm'), request('missing')], 8), hasCode('FUNCTION_NOT_FOUND'));
        const counts = await store.countExecutions('default', 'warm');
        assert.equal(counts.queued, 1);
        assert.equal(counts.running ?? 0, 0);
      }),
    );
  });
}
