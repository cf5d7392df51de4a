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

describe('an idle warm replica', () => {
  it('does not claim again after a claim found nothing until work may have arrived: at most two claims per execution that arrives alone, not three', async (t) => {
    const dir = mkdtempSync(join(tmpdir(), 'pontoon-idle-claims-'));
    dirs.push(dir);
    const store = openSqliteStore({ file: join(dir, 'pontoon.db') });
    let claims = 0;
    // Counts the replicas' own claims and the claims of direct handoffs (not the settle-and-claim
    // steps): each is a write transaction.
    const counting: Store = Object.create(store, {
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
    });
    // Polling once an hour: only wake-ups move work, and no dispatcher pass adds wake-ups of its own.
    const engine = warmEngine({ store: counting, runtimes: createRuntimes({ cacheDir: join(dir, 'builds') }), workRoot: join(dir, 'work'), capacity: 8, pollMs: 3_600_000 });
    const source = writeHandler(join(dir, 'src'));
    engine.start();
    try {
      await engine.deploy({
        apiVersion: 'pontoon.dev/v1',
        kind: 'Function',
        metadata: { name: 'warm' },
        spec: { runtime: 'node', source, handler: 'fn.handler', warm: { min: 1, max: 1, concurrency: 8 } },
      });
      const [first] = await engine.invoke([{ namespace: 'default', function: 'warm', input: null }]);
      assert.equal((await engine.waitForEnd(first.execution.id, 60_000))?.status, 'succeeded');
      // The replica's answer to its last results post and its next long poll settle in.
      await new Promise((resolve) => setTimeout(resolve, 300));
      const rounds = 20;
      claims = 0;
      for (let round = 0; round < rounds; round++) {
        const [next] = await engine.invoke([{ namespace: 'default', function: 'warm', input: null }]);
        assert.equal((await engine.waitForEnd(next.execution.id, 10_000))?.status, 'succeeded', `round ${round}`);
        await new Promise((resolve) => setTimeout(resolve, 30));
      }
      // Per execution: the claim that finds it (the enqueue's own, handed off to the waiting
      // replica: test/replicas/direct-handoff.test.ts), and at most one of the replica's next long
      // poll (asking for the slots left while it runs). Before, a third one followed the
      // settlement that had just found the queue empty in the same store step.
      t.diagnostic(`${claims} claims for ${rounds} executions`);
      assert.ok(claims <= 2 * rounds, `${claims} claims for ${rounds} executions`);
      assert.ok(claims >= rounds, `${claims} claims for ${rounds} executions: each was found by one`);
    } finally {
      await engine.stop();
      await store.close();
    }
  });
});
