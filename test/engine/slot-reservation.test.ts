import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { createRuntimes } from '../../src/runtimes/registry.js';
import type { Store } from '../../src/store/store.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { localEngine } from '../helpers/engine.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('claiming the slot a finished attempt frees', () => {
  it('does not strand work stored while that claim held the free slots: a skipped dispatcher pass runs once they are released', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontoon-reservation-'));
    dirs.push(dir);
    const store = openSqliteStore({ file: join(dir, 'pontoon.db') });
    // The settle-and-claim step answers late, as a PostgreSQL round trip can, after its claim found
    // nothing: an invocation stored meanwhile was not seen by it.
    let called!: () => void;
    const settling = new Promise<void>((resolve) => (called = resolve));
    let answer!: () => void;
    const gate = new Promise<void>((resolve) => (answer = resolve));
    const slowStore: Store = Object.create(store, {
      completeAndClaim: {
        value: async (...args: Parameters<Store['completeAndClaim']>) => {
          const result = await store.completeAndClaim(...args);
          called();
          await gate;
          return result;
        },
      },
    });
    const runtimes = createRuntimes({ cacheDir: join(dir, 'builds') });
    // Polling once an hour: only a wake-up can start the second execution within the test.
    const engine = localEngine({ store: slowStore, runtimes, workRoot: join(dir, 'work'), capacity: 1, pollMs: 3_600_000 });
    try {
      await engine.deploy({ apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'noop' }, spec: { runtime: 'command', command: ['true'], parallelism: 1 } });
      const [first] = await engine.invoke([{ namespace: 'default', function: 'noop', input: null }]);
      engine.start();
      await settling;
      const [second] = await engine.invoke([{ namespace: 'default', function: 'noop', input: null }]);
      await new Promise((resolve) => setImmediate(resolve));
      answer();
      assert.equal((await engine.waitForEnd(first.execution.id, 10_000))?.status, 'succeeded');
      assert.equal((await engine.waitForEnd(second.execution.id, 10_000))?.status, 'succeeded');
    } finally {
      answer();
      await engine.stop();
      await store.close();
    }
  });
});
