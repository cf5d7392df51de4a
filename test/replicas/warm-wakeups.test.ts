import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Store } from '../../src/store/store.js';
import { startWarmFunction } from './warm-function.js';

describe('waking warm replicas', () => {
  it('hands work to a waiting replica once a dispatcher pass that held every free slot ends, not at the end of its 20 s long poll', async () => {
    // The general claim answers 300 ms late, as PostgreSQL round trips can under load: meanwhile
    // the dispatcher holds every free slot, and a replica asking for work is refused.
    const { engine, stop } = await startWarmFunction({
      concurrency: 2,
      capacity: 4,
      wrap: (store) =>
        Object.create(store, {
          claimExecutions: {
            value: async (...args: Parameters<Store['claimExecutions']>) => {
              await new Promise((resolve) => setTimeout(resolve, 300));
              return store.claimExecutions(...args);
            },
          },
        }) as Store,
    });
    try {
      for (let round = 0; round < 5; round++) {
        const [next] = await engine.invoke([{ namespace: 'default', function: 'warm', input: null }]);
        // Well under the replica's 20 s long poll: it was woken when the slots were released.
        assert.equal((await engine.waitForEnd(next.execution.id, 10_000))?.status, 'succeeded', `round ${round}`);
      }
    } finally {
      await stop();
    }
  });
});
