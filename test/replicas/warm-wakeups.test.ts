import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { warmEngine } from '../helpers/engine.js';
import { writeHandler } from './handlers.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('waking warm replicas', () => {
  it('hands work to a waiting replica once a dispatcher pass that held every free slot ends, not at the end of its 20 s long poll', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontoon-warm-wake-'));
    dirs.push(dir);
    const store = openSqliteStore({ file: join(dir, 'pontoon.db') });
    // Polling once an hour: only wake-ups move work. The general claim answers 300 ms late, as PostgreSQL round trips can under load: meanwhile
    // the dispatcher holds every free slot, and a replica asking for work is refused.
    const slowStore: Store = Object.create(store, {
      claimExecutions: {
        value: async (...args: Parameters<Store['claimExecutions']>) => {
          await new Promise((resolve) => setTimeout(resolve, 300));
          return store.claimExecutions(...args);
        },
      },
    });
    const engine = warmEngine({ store: slowStore, runtimes: createRuntimes({ cacheDir: join(dir, 'builds') }), workRoot: join(dir, 'work'), capacity: 4, pollMs: 3_600_000 });
    const source = writeHandler(join(dir, 'src'));
    engine.start();
    try {
      await engine.deploy({
        apiVersion: 'pontoon.dev/v1',
        kind: 'Function',
        metadata: { name: 'warm' },
        spec: { runtime: 'node', source, handler: 'fn.handler', warm: { min: 1, max: 1, concurrency: 2 } },
      });
      // A first execution brings the replica up and leaves it in its long poll.
      const [first] = await engine.invoke([{ namespace: 'default', function: 'warm', input: null }]);
      assert.equal((await engine.waitForEnd(first.execution.id, 60_000))?.status, 'succeeded');
      for (let round = 0; round < 5; round++) {
        const [next] = await engine.invoke([{ namespace: 'default', function: 'warm', input: null }]);
        // Well under the replica's 20 s long poll: it was woken when the slots were released.
        assert.equal((await engine.waitForEnd(next.execution.id, 10_000))?.status, 'succeeded', `round ${round}`);
      }
    } finally {
      await engine.stop();
      await store.close();
    }
  });
});
