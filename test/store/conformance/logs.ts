import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { LogLine } from '../../../src/store/store.js';
import { at, completion, enqueueMany, functionDocument, refOf, withStore, type OpenStore } from './fixtures.js';

function lines(prefix: string, count: number, stream: LogLine['stream'] = 'stdout'): LogLine[] {
  return Array.from({ length: count }, (_, index) => ({ time: at(index), stream, line: `${prefix} ${index}` }));
}

/** Logs: order, resume, per attempt. */
export function logSpecs(open: OpenStore): void {
  describe('logs', () => {
    it(
      'reads lines back in order with increasing seqs, resumes after a seq, and pages by limit',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueMany(store, 'report', 1);
        const [claimed] = await store.claimExecutions({ owner: 'a', now: at(0), leaseMs: 30_000, limit: 1 });
        await store.appendLogs(refOf(claimed), lines('out', 3));
        await store.appendLogs(refOf(claimed), [{ time: at(4), stream: 'stderr', line: 'warning: ünïcödé ✓' }]);
        await store.appendLogs(refOf(claimed), []);

        const all = await store.readLogs(claimed.execution.id, { limit: 100 });
        assert.deepEqual(
          all.map((line) => [line.attempt, line.stream, line.line, line.time]),
          [
            [1, 'stdout', 'out 0', at(0)],
            [1, 'stdout', 'out 1', at(1)],
            [1, 'stdout', 'out 2', at(2)],
            [1, 'stderr', 'warning: ünïcödé ✓', at(4)],
          ],
        );
        for (let index = 1; index < all.length; index++) assert.ok(all[index].seq > all[index - 1].seq);

        const resumed = await store.readLogs(claimed.execution.id, { afterSeq: all[1].seq, limit: 100 });
        assert.deepEqual(resumed, all.slice(2));
        assert.deepEqual(await store.readLogs(claimed.execution.id, { limit: 2 }), all.slice(0, 2));
        assert.deepEqual(await store.readLogs(claimed.execution.id, { afterSeq: all[3].seq, limit: 100 }), []);
        assert.deepEqual(await store.readLogs('00000000-0000-7000-8000-000000000000', { limit: 100 }), []);
      }),
    );

    it(
      'keeps the lines of each attempt apart while seqs keep increasing across attempts',
      withStore(open, async (store) => {
        await store.putFunction(functionDocument('report'));
        await enqueueMany(store, 'report', 2);
        const [first, other] = await store.claimExecutions({ owner: 'a', now: at(0), leaseMs: 30_000, limit: 2 });
        await store.appendLogs(refOf(first), lines('first', 2));
        await store.appendLogs(refOf(other), lines('other execution', 2));
        await store.completeAttempt(completion(refOf(first), { status: 'failed', settlement: { next: 'retry', notBefore: at(1) } }));
        // An observer may flush its last lines after the attempt settled.
        await store.appendLogs(refOf(first), [{ time: at(2), stream: 'system', line: 'exited with code 1' }]);
        const [second] = await store.claimExecutions({ owner: 'a', now: at(5), leaseMs: 30_000, limit: 2 });
        assert.equal(second.attempt, 2);
        await store.appendLogs(refOf(second), lines('second', 2));

        const all = await store.readLogs(first.execution.id, { limit: 100 });
        assert.deepEqual(
          all.map((line) => `${line.attempt}:${line.line}`),
          ['1:first 0', '1:first 1', '1:exited with code 1', '2:second 0', '2:second 1'],
        );
        for (let index = 1; index < all.length; index++) assert.ok(all[index].seq > all[index - 1].seq);
        const ofSecond = await store.readLogs(first.execution.id, { attempt: 2, limit: 100 });
        assert.deepEqual(ofSecond, all.slice(3));
        const ofFirstAfter = await store.readLogs(first.execution.id, { attempt: 1, afterSeq: all[0].seq, limit: 100 });
        assert.deepEqual(ofFirstAfter, all.slice(1, 3));
      }),
    );
  });
}
