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

/**
 * An engine of capacity 1, polling once an hour (only a wake-up starts work within a test), whose
 * store's settle-and-claim step answers only when `answer()` is called; `settling` resolves once
 * the step itself has run (its claim made, its answer held back).
 */
function engineWithLateSettlement() {
  const dir = mkdtempSync(join(tmpdir(), 'pontoon-reservation-'));
  dirs.push(dir);
  const store = openSqliteStore({ file: join(dir, 'pontoon.db') });
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
  const engine = localEngine({ store: slowStore, runtimes, workRoot: join(dir, 'work'), capacity: 1, pollMs: 3_600_000 });
  const close = async () => {
    answer();
    await engine.stop();
    await store.close();
  };
  return { store, engine, settling, answer, close };
}

describe('claiming the slot a finished attempt frees', () => {
  it('does not strand work stored while that claim held the free slots: a skipped dispatcher pass runs once they are released', async () => {
    // The settle-and-claim step answers late, as a PostgreSQL round trip can, after its claim found
    // nothing: an invocation stored meanwhile was not seen by it.
    const { engine, settling, answer, close } = engineWithLateSettlement();
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
      await close();
    }
  });

  it('counts what that claim took as running before it gives the slots back: the pass it skipped finds no free slot', async () => {
    // The settle-and-claim step answers late (a store on another thread or across the network),
    // after its claim took the next execution; a dispatcher pass woken meanwhile finds the slot
    // reserved and is skipped, then runs when the slot is released.
    const { store, engine, settling, answer, close } = engineWithLateSettlement();
    try {
      await engine.deploy({ apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'nap' }, spec: { runtime: 'command', command: ['sleep', '0.3'], parallelism: 5 } });
      const queued = await engine.invoke([1, 2, 3].map((input) => ({ namespace: 'default', function: 'nap', input })));
      engine.start();
      await settling;
      // Wakes the dispatcher while the settle-and-claim holds the one slot.
      const late = await engine.invoke([{ namespace: 'default', function: 'nap', input: 4 }]);
      await new Promise((resolve) => setImmediate(resolve));
      answer();
      const ended = [];
      for (const { execution } of [...queued, ...late]) ended.push(await engine.waitForEnd(execution.id, 20_000));
      assert.deepEqual(
        ended.map((execution) => execution?.status),
        ['succeeded', 'succeeded', 'succeeded', 'succeeded'],
      );
      const attempts = await Promise.all(ended.map(async (execution) => (await store.getExecution(execution!.id))!.attempts[0]));
      const points = attempts.flatMap((attempt) => [
        { at: Date.parse(attempt.startedAt!), delta: 1 },
        { at: Date.parse(attempt.finishedAt!), delta: -1 },
      ]);
      points.sort((a, b) => a.at - b.at || a.delta - b.delta);
      let running = 0;
      let most = 0;
      for (const point of points) most = Math.max(most, (running += point.delta));
      assert.equal(most, 1, 'attempts running at once with a capacity of 1');
    } finally {
      await close();
    }
  });
});
