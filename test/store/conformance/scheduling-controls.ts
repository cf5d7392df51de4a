import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { FunctionDocument } from '../../../src/domain/function-spec.js';
import type { ClaimedAttempt, Store } from '../../../src/store/store.js';
import { at, completion, enqueueOne, functionDocument, refOf, withStore, type OpenStore } from './fixtures.js';

function controlled(name: string, spec: Partial<FunctionDocument['spec']>, parallelism = 100): FunctionDocument {
  const document = functionDocument(name, { parallelism });
  return { ...document, spec: { ...document.spec, ...spec } };
}

const claim = (store: Store, now: string, limit: number) => store.claimExecutions({ owner: 'a', now, leaseMs: 60_000, limit });
const claimWarm = (store: Store, fn: string, now: string, limit: number) =>
  store.claimFunctionExecutions({ owner: 'a', now, leaseMs: 60_000, limit, function: { namespace: 'default', name: fn } });

async function enqueueInputs(store: Store, fn: string, inputs: unknown[], now = at(0)): Promise<string[]> {
  return (await store.enqueueExecutions(inputs.map((input) => ({ namespace: 'default', function: fn, input })), now)).map((e) => e.execution.id);
}

const keysOf = (claimed: ClaimedAttempt[]) => claimed.map((c) => c.execution.concurrencyKey);

/** Run later, rate limits and concurrency keys (issue 17), enforced by both claim paths. */
export function schedulingControlSpecs(open: OpenStore): void {
  describe('scheduling controls: run later, rate limits, concurrency keys', () => {
    it(
      'an execution asked to run later is queued with its start time, not claimed before it, and claimed at it',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('later'));
        const { execution } = await enqueueOne(store, { function: 'later', notBefore: at(30) });
        assert.equal(execution.status, 'queued');
        assert.equal(execution.notBefore, at(30));
        assert.equal(await store.nextStartAt(at(1)), at(30));
        assert.deepEqual(await claim(store, at(29.999), 10), []);
        assert.deepEqual(await claimWarm(store, 'later', at(29.999), 10), []);
        const [claimed] = await claim(store, at(30), 10);
        assert.equal(claimed.execution.id, execution.id);
        assert.equal(claimed.execution.attempts[0].startedAt, at(30));
        assert.equal(await store.nextStartAt(at(30)), null);
      }),
    );

    it(
      'a delayed execution can be cancelled while it waits',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('later'));
        const { execution } = await enqueueOne(store, { function: 'later', notBefore: at(30) });
        assert.equal((await store.cancelExecution(execution.id, at(5)))?.status, 'cancelled');
        assert.deepEqual(await claim(store, at(31), 10), []);
        assert.equal(await store.nextStartAt(at(5)), null);
      }),
    );

    it(
      'a rate limit caps attempt starts in any window of its period, in both claim paths, and retries count',
      withStore(open, async (store) => {
        await store.putFunction(controlled('limited', { rateLimit: { limit: 3, period: '10s' } }));
        const ids = await enqueueInputs(store, 'limited', [0, 1, 2, 3, 4, 5, 6]);
        const first = await claim(store, at(0), 10);
        assert.deepEqual(first.map((c) => c.execution.id), ids.slice(0, 3));
        assert.deepEqual(await claim(store, at(5), 10), []);
        assert.deepEqual(await claimWarm(store, 'limited', at(9.999), 10), []);
        // The oldest start leaves the window at 10 s: the dispatcher's timer is set for it.
        assert.equal(await store.nextStartAt(at(5)), at(10));
        assert.deepEqual((await store.functionLoad({ namespace: 'default', name: 'limited' }, null, at(5))).startedInWindow, 3);
        const second = await claimWarm(store, 'limited', at(10), 10);
        assert.deepEqual(second.map((c) => c.execution.id), ids.slice(3, 6));
        // A retry is an attempt start too: the one requeued now waits for the window like the rest.
        await store.completeAttempt(completion(refOf(second[0]), { status: 'failed', settlement: { next: 'retry', notBefore: at(10) } }));
        assert.deepEqual(await claim(store, at(15), 10), []);
        const third = await claim(store, at(20), 10);
        assert.deepEqual(third.map((c) => c.execution.id).sort(), [ids[3], ids[6]].sort());
        assert.equal(third.find((c) => c.execution.id === ids[3])?.attempt, 2);
      }),
    );

    it(
      'functions without controls are not held back by a rate-limited one',
      withStore(open, async (store) => {
        await store.putFunction(controlled('limited', { rateLimit: { limit: 1, period: '1m' } }));
        await store.putFunction(functionDocument('free'));
        await enqueueInputs(store, 'limited', [0, 1, 2]);
        await enqueueInputs(store, 'free', [0, 1, 2]);
        const claimed = await claim(store, at(1), 10);
        assert.deepEqual(claimed.map((c) => c.execution.function).sort(), ['free', 'free', 'free', 'limited']);
      }),
    );

    it(
      'concurrency keys: at most the limit runs per key, taken from the input by a JSON Pointer; inputs without it share one key',
      withStore(open, async (store) => {
        await store.putFunction(controlled('keyed', { concurrency: { key: '/tenant/id', limit: 2 } }));
        const inputs = [{ tenant: { id: 'a' } }, { tenant: { id: 'a' } }, { tenant: { id: 'a' } }, { tenant: { id: 7 } }, { other: 1 }, { other: 2 }, { other: 3 }];
        const ids = await enqueueInputs(store, 'keyed', inputs);
        assert.equal((await store.getExecution(ids[3]))?.concurrencyKey, '7');
        assert.equal((await store.getExecution(ids[4]))?.concurrencyKey, null);
        const claimed = await claim(store, at(1), 10);
        assert.deepEqual(keysOf(claimed).sort(), ['7', 'a', 'a', null, null].sort());
        assert.deepEqual(await claimWarm(store, 'keyed', at(2), 10), []);
        const load = await store.functionLoad({ namespace: 'default', name: 'keyed' }, 'a', at(2));
        assert.equal(load.keyRunning, 2);
        assert.equal(load.running, 5);
        // One of key a ends: the next of key a, and only it, may start.
        await store.completeAttempt(completion(refOf(claimed.find((c) => c.execution.concurrencyKey === 'a')!)));
        assert.deepEqual(keysOf(await claimWarm(store, 'keyed', at(3), 10)), ['a']);
      }),
    );

    it(
      'concurrency keys take turns: a key with nothing running goes before a busy key’s older executions',
      withStore(open, async (store) => {
        await store.putFunction(controlled('fair', { concurrency: { key: '/k', limit: 3 } }, 4));
        await enqueueInputs(store, 'fair', [...Array.from({ length: 6 }, () => ({ k: 'big' })), { k: 'b' }, { k: 'c' }, { k: 'b' }]);
        // Four slots: each key's first, then big's second (its turn 1 is older than b's turn 1).
        const first = await claim(store, at(1), 10);
        assert.deepEqual(keysOf(first), ['big', 'b', 'c', 'big']);
        for (const claimed of first.filter((c) => c.execution.concurrencyKey !== 'big')) await store.completeAttempt(completion(refOf(claimed)));
        // b and c have nothing running now, big has two: b's next goes first, then big's.
        assert.deepEqual(keysOf(await claimWarm(store, 'fair', at(2), 2)), ['b', 'big']);
      }),
    );

    it(
      'a concurrency key over 256 characters is refused at enqueue, naming the field, and stores nothing',
      withStore(open, async (store) => {
        await store.putFunction(controlled('keyed', { concurrency: { key: '/tenant', limit: 1 } }));
        await assert.rejects(
          store.enqueueExecutions(
            [
              { namespace: 'default', function: 'keyed', input: { tenant: 'ok' } },
              { namespace: 'default', function: 'keyed', input: { tenant: 'x'.repeat(257) } },
            ],
            at(0),
          ),
          (error: Error & { code?: string; details?: { field?: string } }) => error.code === 'INVALID_INPUT' && error.details?.field === 'input/tenant',
        );
        assert.equal((await store.countExecutions('default', 'keyed')).queued, 0);
      }),
    );
  });
}
