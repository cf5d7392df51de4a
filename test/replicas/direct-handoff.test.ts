import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { startWarmFunction } from './warm-function.js';

/** The store operations that each run one write transaction, for the warm path. */
const writes = ['enqueueExecutions', 'enqueueAndClaimFunction', 'claimExecutions', 'claimFunctionExecutions', 'completeAttempt', 'completeAttempts', 'completeAndClaim', 'completeAndClaimFunction'] as const;

/** A store that counts its write transactions by operation, and the executions started in an enqueue's own transaction. */
function countingStore(store: Store): { store: Store; counts: Map<string, number>; handedOff: Set<string> } {
  const counts = new Map<string, number>();
  const handedOff = new Set<string>();
  const properties: PropertyDescriptorMap = {};
  for (const name of writes) {
    properties[name] = {
      value: async (...args: unknown[]) => {
        counts.set(name, (counts.get(name) ?? 0) + 1);
        const result = await (store[name] as (...args: unknown[]) => Promise<unknown>).apply(store, args);
        if (name === 'enqueueAndClaimFunction') for (const claimed of (result as Awaited<ReturnType<Store['enqueueAndClaimFunction']>>).claimed) handedOff.add(claimed.execution.id);
        return result;
      },
    };
  }
  return { store: Object.create(store, properties) as Store, counts, handedOff };
}

const total = (counts: Map<string, number>) => [...counts.values()].reduce((sum, count) => sum + count, 0);

describe('the direct handoff of an invoke to a waiting warm replica', () => {
  it('starts the execution in the enqueue’s own transaction: two write transactions per execution (enqueue and start, settle alone), not three', async (t) => {
    let counting!: ReturnType<typeof countingStore>;
    const { engine, stop } = await startWarmFunction({ concurrency: 4, wrap: (sqlite) => (counting = countingStore(sqlite)).store });
    const { counts, handedOff } = counting;
    try {
      const rounds = 20;
      counts.clear();
      const ids: string[] = [];
      for (let round = 0; round < rounds; round++) {
        const [next] = await engine.invoke([{ namespace: 'default', function: 'warm', input: { echo: round } }]);
        ids.push(next.execution.id);
        const ended = await engine.waitForEnd(next.execution.id, 10_000);
        assert.equal(ended?.status, 'succeeded', `round ${round}`);
        assert.deepEqual((ended?.result as { echo: number }).echo, round);
        assert.equal(ended?.attempts.length, 1);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      t.diagnostic(`write transactions for ${rounds} executions: ${JSON.stringify(Object.fromEntries(counts))}`);
      assert.deepEqual(ids.filter((id) => !handedOff.has(id)), [], 'every execution was started in its enqueue’s transaction');
      assert.equal(counts.get('enqueueAndClaimFunction'), rounds);
      assert.equal(counts.get('enqueueExecutions') ?? 0, 0);
      // Nothing queued was left behind by a handoff: each settlement goes alone, without a claim.
      assert.equal(counts.get('completeAndClaimFunction') ?? 0, 0);
      // The replica's own claims find nothing to take while it waits: an idle one makes none.
      assert.ok(total(counts) <= 2 * rounds + 2, `${total(counts)} write transactions for ${rounds} executions`);
    } finally {
      await stop();
    }
  });

  it('leaves a run-later invoke queued, and older queued work still goes first', async () => {
    let counting!: ReturnType<typeof countingStore>;
    const { engine, sqlite, stop } = await startWarmFunction({ concurrency: 1, wrap: (real) => (counting = countingStore(real)).store });
    const { store, handedOff } = counting;
    try {
      const later = new Date(Date.now() + 60_000).toISOString();
      const [parked] = await engine.invoke([{ namespace: 'default', function: 'warm', input: null, notBefore: later }]);
      assert.equal(handedOff.has(parked.execution.id), false);
      assert.equal((await store.getExecution(parked.execution.id))?.status, 'queued');
      // Stored directly (no wake-up of its own): older than the invoke that follows.
      const [older] = await sqlite.enqueueExecutions([{ namespace: 'default', function: 'warm', input: { echo: 'older' } }], new Date().toISOString());
      const [newer] = await engine.invoke([{ namespace: 'default', function: 'warm', input: { echo: 'newer' } }]);
      const [olderEnd, newerEnd] = await Promise.all([engine.waitForEnd(older.execution.id, 10_000), engine.waitForEnd(newer.execution.id, 10_000)]);
      assert.equal(olderEnd?.status, 'succeeded');
      assert.equal(newerEnd?.status, 'succeeded');
      // Whoever took it (a long poll woken meanwhile, or the handoff's claim, which takes the best
      // ready execution), the older one started first: the replica runs one at a time.
      assert.ok(olderEnd!.attempts[0].startedAt <= newerEnd!.attempts[0].startedAt);
    } finally {
      await stop();
    }
  });
});
