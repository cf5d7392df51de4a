import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Engine } from '../../src/engine/engine.js';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { warmEngine } from '../helpers/engine.js';
import { writeHandler } from './handlers.js';

/** [claimed (the attempt's startedAt), ended] of each execution's attempt, and what its handler returned. */
async function runsOf(engine: Engine, store: SqliteStore, ids: string[]) {
  const runs = [];
  for (const id of ids) {
    assert.equal((await engine.waitForEnd(id, 30_000))?.status, 'succeeded', `execution ${id}`);
    const execution = (await store.getExecution(id))!;
    const attempt = execution.attempts[0];
    runs.push({ claimed: Date.parse(attempt.startedAt!), ended: Date.parse(attempt.finishedAt!), result: execution.result as { concurrent: number; pid: number } });
  }
  return runs.sort((a, b) => a.claimed - b.claimed);
}

/** Most intervals [claimed, ended) that overlap at one instant. */
function mostAtOnce(runs: { claimed: number; ended: number }[]): number {
  const edges = runs.flatMap((run) => [[run.claimed, 1], [run.ended, -1]]).sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let now = 0;
  let most = 0;
  for (const [, step] of edges) most = Math.max(most, (now += step));
  return most;
}

describe('a warm function with spec.warm.prefetch (node SDK replica)', () => {
  let dir: string;
  let store: SqliteStore;
  let engine: Engine;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'pontoon-prefetch-'));
    store = openSqliteStore({ file: join(dir, 'pontoon.db') });
    engine = warmEngine({ store, runtimes: createRuntimes({ cacheDir: join(dir, 'builds') }), workRoot: join(dir, 'work'), capacity: 16, pollMs: 200 });
    await engine.start();
  });
  after(async () => {
    await engine.stop();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function deployAndWarm(name: string, spec: Record<string, unknown>): Promise<void> {
    await engine.deploy({ apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name }, spec: { runtime: 'node', source: writeHandler(join(dir, name)), handler: 'fn.handler', ...spec } });
    const [first] = await engine.invoke([{ namespace: 'default', function: name, input: null }]);
    assert.equal((await engine.waitForEnd(first.execution.id, 60_000))?.status, 'succeeded');
    await new Promise((resolve) => setTimeout(resolve, 300));
  }

  it('claims up to concurrency + prefetch at once, and runs no more than concurrency of them at a time', async () => {
    await deployAndWarm('ahead', { parallelism: 10, warm: { min: 1, max: 1, concurrency: 1, prefetch: 3 } });
    const queued = await engine.invoke(Array.from({ length: 8 }, (_, echo) => ({ namespace: 'default', function: 'ahead', input: { kind: 'sleep', ms: 150, echo } })));
    const runs = await runsOf(engine, store, queued.map(({ execution }) => execution.id));
    assert.equal(new Set(runs.map((run) => run.result.pid)).size, 1, 'one replica ran them all');
    assert.ok(runs.every((run) => run.result.concurrent === 1), 'concurrency 1: one handler at a time');
    // Claimed ahead: four held at once (one running, three waiting for its slot), never five.
    assert.equal(mostAtOnce(runs), 4);
  });

  it('loses and retries what a crashed replica held, claimed ahead or running', async () => {
    await deployAndWarm('crashing', { parallelism: 10, retry: { limit: 1, on: ['lost'], backoff: { initial: '100ms', jitter: false } }, warm: { min: 1, max: 1, concurrency: 1, prefetch: 3 } });
    // The first crashes its replica (on its first attempt) while the three behind it wait for its slot.
    const inputs = [{ kind: 'crash' }, { kind: 'sleep', ms: 10 }, { kind: 'sleep', ms: 10 }, { kind: 'sleep', ms: 10 }];
    const queued = await engine.invoke(inputs.map((input) => ({ namespace: 'default', function: 'crashing', input })));
    for (const { execution } of queued) {
      assert.equal((await engine.waitForEnd(execution.id, 30_000))?.status, 'succeeded');
      const attempts = (await store.getExecution(execution.id))!.attempts;
      assert.deepEqual(
        attempts.map((attempt) => [attempt.status, attempt.reason]),
        [
          ['lost', 'ReplicaLost'],
          ['succeeded', null],
        ],
        `execution ${(execution.input as { kind: string }).kind}`,
      );
    }
  });

  it('runs an invocation claimed ahead against the deadline of its claim, not of its start', async () => {
    await deployAndWarm('late', { parallelism: 10, timeout: '1s', retry: { limit: 0 }, warm: { min: 1, max: 1, concurrency: 1, prefetch: 1 } });
    // Both claimed at once; the second starts when the first ends (0.7 s), and its deadline (1 s
    // after the claim) passes while it runs (it would end at 1.4 s).
    const [first, second] = await engine.invoke([0, 1].map((echo) => ({ namespace: 'default', function: 'late', input: { kind: 'sleep', ms: 700, echo } })));
    assert.equal((await engine.waitForEnd(first.execution.id, 30_000))?.status, 'succeeded');
    const ended = await engine.waitForEnd(second.execution.id, 30_000);
    assert.equal(ended?.status, 'timed_out');
    const attempt = (await store.getExecution(second.execution.id))!.attempts[0];
    const ranFor = Date.parse(attempt.finishedAt!) - Date.parse(attempt.startedAt!);
    assert.ok(ranFor >= 1000 && ranFor < 1400, `timed out ${ranFor} ms after its claim`);
  });

  it('holds no more than the function’s parallelism, prefetch or not', async () => {
    await deployAndWarm('capped', { parallelism: 2, warm: { min: 1, max: 1, concurrency: 1, prefetch: 3 } });
    const queued = await engine.invoke(Array.from({ length: 6 }, (_, echo) => ({ namespace: 'default', function: 'capped', input: { kind: 'sleep', ms: 100, echo } })));
    const runs = await runsOf(engine, store, queued.map(({ execution }) => execution.id));
    assert.ok(runs.every((run) => run.result.concurrent === 1));
    assert.equal(mostAtOnce(runs), 2);
  });
});
