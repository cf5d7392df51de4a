import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ScheduleAdvance } from '../../../src/store/store.js';
import { at, completion, enqueueOne, functionDocument, refOf, withStore, type OpenStore } from './fixtures.js';

function advance(tick: number, expected: number | null, extra: Partial<ScheduleAdvance> = {}): ScheduleAdvance {
  return {
    namespace: 'default',
    function: 'report',
    schedule: 'nightly',
    expectedLastTick: expected === null ? null : at(expected),
    tick: at(tick),
    keyPrefix: 'schedule/nightly/',
    concurrencyPolicy: 'Allow',
    executions: [{ namespace: 'default', function: 'report', input: { tick }, idempotencyKey: `schedule/nightly/${at(tick)}` }],
    ...extra,
  };
}

/** Schedule ticks, rules and the completion-event outbox. */
export function triggerSpecs(open: OpenStore): void {
  describe('schedule ticks', () => {
    it(
      'records the tick and starts its executions together, once, compare-and-set on the last tick',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        const first = await store.advanceSchedule(advance(60, null), at(61));
        assert.equal(first.applied, true);
        assert.equal(first.started.length, 1);
        assert.equal(first.started[0].idempotencyKey, `schedule/nightly/${at(60)}`);
        const raced = await store.advanceSchedule(advance(60, null), at(61));
        assert.deepEqual(raced, { applied: false, started: [], cancelled: [], forbidden: false });
        const [state] = await store.listScheduleStates('default');
        assert.deepEqual({ ...state, recordedAt: undefined }, { namespace: 'default', function: 'report', schedule: 'nightly', lastTick: at(60), lastFiredTick: at(60), recordedAt: undefined });
        assert.equal((await store.advanceSchedule(advance(120, 60), at(121))).started.length, 1);
        assert.equal((await store.countExecutions('default', 'report')).queued, 2);
        assert.deepEqual(await store.listScheduleStates('elsewhere'), []);
      }),
    );

    it(
      'Forbid holds executions back while one of the schedule is queued or running, but records the tick',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueOne(store, { function: 'report', idempotencyKey: 'other-key' });
        await store.advanceSchedule(advance(60, null, { concurrencyPolicy: 'Forbid' }), at(61));
        const held = await store.advanceSchedule(advance(120, 60, { concurrencyPolicy: 'Forbid' }), at(121));
        assert.deepEqual([held.applied, held.forbidden, held.started.length], [true, true, 0]);
        const [state] = await store.listScheduleStates();
        assert.deepEqual([state.lastTick, state.lastFiredTick], [at(120), at(60)]);

        const claimed = await store.claimExecutions({ owner: 'a', now: at(122), leaseMs: 30_000, limit: 5 });
        for (const attempt of claimed) await store.completeAttempt(completion(refOf(attempt)));
        const next = await store.advanceSchedule(advance(180, 120, { concurrencyPolicy: 'Forbid' }), at(181));
        assert.deepEqual([next.forbidden, next.started.length], [false, 1]);
      }),
    );

    it(
      'Replace cancels the schedule’s queued and running executions, and only those, then starts',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        const { execution: unrelated } = await enqueueOne(store, { function: 'report', idempotencyKey: 'schedule/other/x' });
        const first = await store.advanceSchedule(advance(60, null, { concurrencyPolicy: 'Replace' }), at(61));
        const second = await store.advanceSchedule(advance(120, 60, { concurrencyPolicy: 'Replace' }), at(121));
        assert.deepEqual(second.cancelled, [first.started[0].id]);
        assert.equal((await store.getExecution(first.started[0].id))?.status, 'cancelled');
        assert.equal((await store.getExecution(second.started[0].id))?.status, 'queued');
        assert.equal((await store.getExecution(unrelated.id))?.status, 'queued');
      }),
    );
  });

  describe('rules', () => {
    it(
      'creates, replaces (keeping the creation time), lists and deletes rules',
      withStore(open, async (store) => {
        const created = await store.putRule({ namespace: 'default', name: 'on-push', match: { type: { prefix: 'com.github.' } }, function: 'report' }, at(1));
        assert.equal(created.created, true);
        assert.deepEqual(created.rule, { namespace: 'default', name: 'on-push', match: { type: { prefix: 'com.github.' } }, function: 'report', createdAt: at(1), updatedAt: at(1) });
        const replaced = await store.putRule({ namespace: 'default', name: 'on-push', match: { source: '/x' }, function: 'other', priority: 5 }, at(2));
        assert.equal(replaced.created, false);
        assert.deepEqual(replaced.rule, { namespace: 'default', name: 'on-push', match: { source: '/x' }, function: 'other', priority: 5, createdAt: at(1), updatedAt: at(2) });
        await store.putRule({ namespace: 'team', name: 'a', match: { type: 't' }, function: 'report' }, at(3));
        assert.deepEqual((await store.listRules('default')).map((rule) => rule.name), ['on-push']);
        assert.equal((await store.listRules()).length, 2);
        assert.deepEqual(await store.getRule('default', 'on-push'), replaced.rule);
        assert.equal(await store.deleteRule('default', 'on-push'), true);
        assert.equal(await store.deleteRule('default', 'on-push'), false);
        assert.equal(await store.getRule('default', 'on-push'), undefined);
      }),
    );
  });

  describe('completion-event outbox', () => {
    it(
      'lists ended executions until their deliveries are stored, and stores them once',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        const { execution: queued } = await enqueueOne(store, { function: 'report' });
        const { execution: cancelled } = await enqueueOne(store, { function: 'report' });
        await store.cancelExecution(cancelled.id, at(2));
        const unnotified = await store.listUnnotifiedExecutions(10);
        assert.deepEqual(unnotified.map((execution) => execution.id), [cancelled.id]);
        const notification = { executionId: cancelled.id, deliveries: [{ url: 'http://127.0.0.1:9/hook', kind: 'sink' as const, event: { id: 'e' } }] };
        const [delivery] = await store.notifyExecutions([notification, { executionId: queued.id, deliveries: [] }], at(3));
        assert.deepEqual(await store.notifyExecutions([notification], at(3)), [], 'a second decision stores nothing');
        assert.deepEqual(await store.listUnnotifiedExecutions(10), []);
        assert.deepEqual(
          { ...delivery, id: undefined },
          { id: undefined, executionId: cancelled.id, namespace: 'default', function: 'report', kind: 'sink', url: 'http://127.0.0.1:9/hook', event: { id: 'e' }, status: 'pending', attempts: 0, lastError: null, nextAttemptAt: at(3), createdAt: at(3), deliveredAt: null },
        );
      }),
    );

    it(
      'leaves out an execution whose ending was stored as notified (it had nothing to deliver)',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueOne(store, { function: 'report' });
        await enqueueOne(store, { function: 'report' });
        const [quiet, loud] = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 2 });
        await store.completeAttempt(completion(refOf(quiet), { settlement: { next: 'finish', status: 'succeeded', notified: true } }));
        await store.completeAttempt(completion(refOf(loud), { settlement: { next: 'finish', status: 'succeeded' } }));
        assert.deepEqual((await store.listUnnotifiedExecutions(10)).map((execution) => execution.id), [loud.execution.id]);
        assert.equal((await store.getExecution(quiet.execution.id))?.status, 'succeeded');
      }),
    );

    it(
      'claims due deliveries for a lease, retries them at their time, and keeps failed ones visible',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        const { execution } = await enqueueOne(store, { function: 'report' });
        await store.cancelExecution(execution.id, at(1));
        const [delivery] = await store.notifyExecutions([{ executionId: execution.id, deliveries: [{ url: 'http://127.0.0.1:9/a', kind: 'callback', event: {} }] }], at(2));
        const [claimed] = await store.claimDeliveries(at(2), 10_000, 5);
        assert.equal(claimed.id, delivery.id);
        assert.deepEqual(await store.claimDeliveries(at(5), 10_000, 5), [], 'claimed for 10s');
        assert.equal((await store.claimDeliveries(at(12), 10_000, 5)).length, 1, 'a lapsed claim is due again');

        await store.settleDelivery(delivery.id, { status: 'pending', error: 'boom', nextAttemptAt: at(30) });
        assert.deepEqual(await store.claimDeliveries(at(29), 10_000, 5), []);
        assert.equal((await store.claimDeliveries(at(30), 10_000, 5)).length, 1);
        await store.settleDelivery(delivery.id, { status: 'failed', error: 'gave up', at: at(31) });
        const [failed] = await store.listDeliveries({ namespace: 'default', status: 'failed', limit: 10 });
        assert.deepEqual([failed.id, failed.attempts, failed.lastError, failed.nextAttemptAt], [delivery.id, 2, 'gave up', null]);
        assert.deepEqual(await store.claimDeliveries(at(100), 10_000, 5), []);
        await store.settleDelivery(delivery.id, { status: 'delivered', at: at(101) });
        assert.equal((await store.listDeliveries({ namespace: 'default', executionId: execution.id, limit: 10 }))[0].status, 'failed', 'a failed delivery stays failed');
      }),
    );
  });
}
