import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { at, completion, enqueueOne, functionDocument, refOf, withStore, type OpenStore } from './fixtures.js';

/** Settling attempts: finish, retry, history, fencing. */
export function completionSpecs(open: OpenStore): void {
  describe('settling attempts', () => {
    it(
      'finishes an execution with the result of a successful attempt',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueOne(store, { function: 'report' });
        const [claimed] = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 1 });
        assert.equal(await store.completeAttempt(completion(refOf(claimed), { result: { total: 42, items: ['x'] }, finishedAt: at(4) })), true);
        const execution = await store.getExecution(claimed.execution.id);
        assert.equal(execution?.status, 'succeeded');
        assert.deepEqual(execution?.result, { total: 42, items: ['x'] });
        assert.equal(execution?.error, null);
        assert.equal(execution?.finishedAt, at(4));
        assert.deepEqual(execution?.attempts, [
          { number: 1, status: 'succeeded', exitCode: 0, reason: null, error: null, startedAt: at(1), finishedAt: at(4), owner: 'a', lateReport: null },
        ]);
        assert.deepEqual(await store.listExpiredAttempts(at(100), 10), []);
      }),
    );

    it(
      'retries, keeping each attempt in the history, and finishes with the last attempt error',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueOne(store, { function: 'report' });
        const [first] = await store.claimExecutions({ owner: 'a', now: at(1), leaseMs: 30_000, limit: 1 });
        await store.completeAttempt(
          completion(refOf(first), { status: 'failed', exitCode: 3, error: 'exit 3', finishedAt: at(2), settlement: { next: 'retry', notBefore: at(3) } }),
        );
        const [second] = await store.claimExecutions({ owner: 'a', now: at(3), leaseMs: 30_000, limit: 1 });
        await store.completeAttempt(
          completion(refOf(second), {
            status: 'timed_out',
            reason: 'DeadlineExceeded',
            error: 'deadline 1m exceeded',
            exitCode: null,
            finishedAt: at(63),
            settlement: { next: 'finish', status: 'timed_out' },
          }),
        );
        const execution = await store.getExecution(first.execution.id);
        assert.equal(execution?.status, 'timed_out');
        assert.equal(execution?.error, 'deadline 1m exceeded');
        assert.equal(execution?.result, null);
        assert.equal(execution?.finishedAt, at(63));
        assert.equal(execution?.notBefore, null);
        assert.deepEqual(
          execution?.attempts.map((attempt) => [attempt.number, attempt.status, attempt.exitCode, attempt.reason, attempt.error, attempt.finishedAt]),
          [
            [1, 'failed', 3, 'Error', 'exit 3', at(2)],
            [2, 'timed_out', null, 'DeadlineExceeded', 'deadline 1m exceeded', at(63)],
          ],
        );
      }),
    );

    it(
      'settles an expired attempt as lost',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueOne(store, { function: 'report' });
        await store.claimExecutions({ owner: 'a', now: at(0), leaseMs: 30_000, limit: 1 });
        const [expired] = await store.listExpiredAttempts(at(31), 10);
        const lost = completion(expired, { status: 'lost', error: 'lease expired', finishedAt: at(31), settlement: { next: 'finish', status: 'failed' } });
        assert.equal(await store.completeAttempt(lost), true);
        const execution = await store.getExecution(expired.executionId);
        assert.equal(execution?.status, 'failed');
        assert.equal(execution?.error, 'lease expired');
        assert.deepEqual(
          execution?.attempts.map((attempt) => [attempt.status, attempt.reason]),
          [['lost', 'LeaseExpired']],
        );
      }),
    );

    it(
      'fences a stale attempt: its report is kept as lateReport and changes nothing else',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueOne(store, { function: 'report' });
        const [stale] = await store.claimExecutions({ owner: 'a', now: at(0), leaseMs: 30_000, limit: 1 });
        await store.completeAttempt(completion(refOf(stale), { status: 'lost', finishedAt: at(31), settlement: { next: 'retry', notBefore: at(31) } }));
        const [current] = await store.claimExecutions({ owner: 'b', now: at(32), leaseMs: 30_000, limit: 1 });
        assert.equal(current.attempt, 2);
        const before = await store.getExecution(current.execution.id);

        const late = completion(refOf(stale), { result: 'from the stale attempt', finishedAt: at(33) });
        assert.equal(await store.completeAttempt(late), false);
        const after = await store.getExecution(current.execution.id);
        assert.deepEqual(after?.attempts[0].lateReport, { status: 'succeeded', exitCode: 0, reason: null, error: null, result: 'from the stale attempt' });
        assert.deepEqual({ ...after, attempts: after?.attempts.map((attempt) => ({ ...attempt, lateReport: null })) }, before);

        assert.equal(await store.completeAttempt(completion(refOf(current), { result: 'current', finishedAt: at(34) })), true);
        assert.equal(await store.completeAttempt(completion(refOf(current), { status: 'failed', finishedAt: at(35) })), false);
        const finished = await store.getExecution(current.execution.id);
        assert.equal(finished?.status, 'succeeded');
        assert.equal(finished?.result, 'current');
        assert.equal(finished?.attempts[1].status, 'succeeded');
        assert.equal(finished?.attempts[1].lateReport?.status, 'failed');
      }),
    );

    it(
      'records a late report that the caller already knows is late',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueOne(store, { function: 'report' });
        const [claimed] = await store.claimExecutions({ owner: 'a', now: at(0), leaseMs: 30_000, limit: 1 });
        await store.completeAttempt(completion(refOf(claimed), { status: 'lost', settlement: { next: 'finish', status: 'failed' } }));
        const report = { status: 'failed' as const, exitCode: 137, reason: 'OOMKilled' as const, error: 'out of memory', result: null };
        await store.recordLateReport(refOf(claimed), report);
        const execution = await store.getExecution(claimed.execution.id);
        assert.deepEqual(execution?.attempts[0].lateReport, report);
        assert.equal(execution?.attempts[0].status, 'lost');
        assert.equal(execution?.status, 'failed');
      }),
    );

    it(
      'settles an attempt and claims the slot it freed in one step, and still claims when the report was late',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report', { parallelism: 1 }));
        const first = await enqueueOne(store, { function: 'report', input: 'first' }, at(0));
        const second = await enqueueOne(store, { function: 'report', input: 'second' }, at(1));
        const third = await enqueueOne(store, { function: 'report', input: 'third' }, at(2));
        const [running] = await store.claimExecutions({ owner: 'a', now: at(10), leaseMs: 30_000, limit: 5 });
        assert.equal(running.execution.id, first.execution.id);

        const step = await store.completeAndClaim(completion(refOf(running), { finishedAt: at(11) }), { owner: 'a', now: at(11), leaseMs: 30_000, limit: 5 });
        assert.equal(step.applied, true);
        assert.equal((await store.getExecution(first.execution.id))?.status, 'succeeded');
        assert.deepEqual(step.claimed.map((claimed) => claimed.execution.id), [second.execution.id], 'only the freed slot is taken: parallelism 1');
        assert.equal(step.claimed[0].attempt, 1);
        assert.equal(step.claimed[0].leaseExpiresAt, at(41));

        await store.cancelExecution(second.execution.id, at(12));
        const late = await store.completeAndClaim(completion(refOf(step.claimed[0]), { finishedAt: at(13) }), { owner: 'a', now: at(13), leaseMs: 30_000, limit: 5 });
        assert.equal(late.applied, false, 'a cancelled execution keeps its status');
        assert.equal((await store.getExecution(second.execution.id))?.status, 'cancelled');
        assert.deepEqual(late.claimed.map((claimed) => claimed.execution.id), [third.execution.id]);
      }),
    );
  });
}
