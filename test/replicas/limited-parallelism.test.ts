import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { warmEngine } from '../helpers/engine.js';
import { writeHandler } from './handlers.js';

describe('a warm function whose parallelism is below its replica’s concurrency', () => {
  it('starts each queued execution as soon as a running one ends, not at the next dispatcher pass', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontoon-limited-'));
    const store = openSqliteStore({ file: join(dir, 'pontoon.db') });
    // Dispatcher passes an hour apart: only the replica's own claims move the queue.
    const engine = warmEngine({ store, runtimes: createRuntimes({ cacheDir: join(dir, 'builds') }), workRoot: join(dir, 'work'), capacity: 8, pollMs: 3_600_000 });
    try {
      await engine.start();
      await engine.deploy({
        apiVersion: 'pontoon.dev/v1',
        kind: 'Function',
        metadata: { name: 'warm' },
        spec: { runtime: 'node', source: writeHandler(join(dir, 'src')), handler: 'fn.handler', parallelism: 1, warm: { min: 1, max: 1, concurrency: 4 } },
      });
      const [first] = await engine.invoke([{ namespace: 'default', function: 'warm', input: null }]);
      assert.equal((await engine.waitForEnd(first.execution.id, 60_000))?.status, 'succeeded');
      // Six at once: parallelism 1 lets one run; each settlement frees the place of the next.
      const queued = await engine.invoke(Array.from({ length: 6 }, (_, echo) => ({ namespace: 'default', function: 'warm', input: { kind: 'sleep', ms: 20, echo } })));
      for (const { execution } of queued) {
        // Before, the replica's claims took the settlement's freed place for no new work, and the
        // second one waited for a dispatcher pass (here an hour).
        assert.equal((await engine.waitForEnd(execution.id, 20_000))?.status, 'succeeded', `execution ${(execution.input as { echo: number }).echo}`);
      }
      const ended = await Promise.all(queued.map(({ execution }) => store.getExecution(execution.id)));
      const runs = ended.map((execution) => [Date.parse(execution!.attempts[0].startedAt!), Date.parse(execution!.attempts[0].finishedAt!)]).sort((a, b) => a[0] - b[0]);
      for (let index = 1; index < runs.length; index++) assert.ok(runs[index][0] >= runs[index - 1][1], 'parallelism 1: one at a time');
    } finally {
      await engine.stop();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
