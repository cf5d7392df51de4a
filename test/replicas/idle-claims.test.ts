import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { startWarmFunction } from './warm-function.js';

describe('an idle warm replica', () => {
  it('does not claim again after a claim found nothing until work may have arrived: one claim per execution that arrives alone, not two or three', async (t) => {
    let claims = 0;
    // Counts the replicas' own claims and the claims of direct handoffs (not the settle-and-claim
    // steps): each is a write transaction.
    const { engine, stop } = await startWarmFunction({
      concurrency: 8,
      wrap: (store) =>
        Object.create(store, {
          claimFunctionExecutions: {
            value: (...args: Parameters<Store['claimFunctionExecutions']>) => {
              claims += 1;
              return store.claimFunctionExecutions(...args);
            },
          },
          enqueueAndClaimFunction: {
            value: (...args: Parameters<Store['enqueueAndClaimFunction']>) => {
              claims += 1;
              return store.enqueueAndClaimFunction(...args);
            },
          },
        }) as Store,
    });
    try {
      const rounds = 20;
      claims = 0;
      for (let round = 0; round < rounds; round++) {
        const [next] = await engine.invoke([{ namespace: 'default', function: 'warm', input: null }]);
        assert.equal((await engine.waitForEnd(next.execution.id, 10_000))?.status, 'succeeded', `round ${round}`);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      // Per execution: the claim that finds it (the enqueue's own, handed off to the waiting
      // replica: test/replicas/direct-handoff.test.ts), and no other. Before, a third one followed
      // the settlement that had just found the queue empty in the same store step; then a second
      // one, by the replica's other long poll, which the settlement's wake-up for the slots it
      // freed sent to look for work that could not have come (ReplicaPools.freed).
      t.diagnostic(`${claims} claims for ${rounds} executions`);
      assert.ok(claims <= rounds, `${claims} claims for ${rounds} executions`);
      assert.ok(claims >= rounds, `${claims} claims for ${rounds} executions: each was found by one`);
    } finally {
      await stop();
    }
  });

  it('takes a retry due at once as soon as the failed attempt is settled: a requeued execution is new work, not only a freed slot', async () => {
    // Dispatcher passes an hour apart (startWarmFunction): only the settlement's wake-up can bring the retry to the replica.
    const { engine, stop } = await startWarmFunction({ concurrency: 8, retry: { limit: 1, on: ['failure'], backoff: { initial: '0ms', jitter: false } } });
    try {
      const [enqueued] = await engine.invoke([{ namespace: 'default', function: 'warm', input: { kind: 'failFirst' } }]);
      const ended = await engine.waitForEnd(enqueued.execution.id, 10_000);
      assert.equal(ended?.status, 'succeeded');
      assert.deepEqual(
        ended.attempts.map((attempt) => attempt.status),
        ['failed', 'succeeded'],
      );
    } finally {
      await stop();
    }
  });
});
