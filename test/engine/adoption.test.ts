import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { pino } from 'pino';
import { Engine } from '../../src/engine/engine.js';
import { ExecutionEvents } from '../../src/engine/execution-events.js';
import type { Executor } from '../../src/executors/executor.js';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Adoption, AttemptRef, ClaimedAttempt, OrphanedAttempt } from '../../src/store/store.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

/** An executor whose attempts outlive their controller, as Kubernetes Jobs do; it records what the engine asks. */
class OutlivingExecutor implements Executor {
  readonly kind = 'outliving';
  readonly started: ClaimedAttempt[] = [];
  adoption: Adoption | undefined;
  constructor(
    private readonly orphans: OrphanedAttempt[],
    private readonly detachable: AttemptRef[] = [],
  ) {}
  async start(claimed: ClaimedAttempt) {
    this.started.push(claimed);
  }
  async stop() {}
  running() {
    return [];
  }
  async close() {}
  async findOrphans() {
    return this.orphans;
  }
  async adopt(adoption: Adoption) {
    this.adoption = adoption;
  }
  async detach() {
    return this.detachable;
  }
}

const document = { apiVersion: 'pontoon.dev/v1', kind: 'Function', metadata: { name: 'job' }, spec: { runtime: 'command', command: ['true'] } };

describe('an engine whose executor’s attempts outlive their controller', () => {
  it('adopts the live attempts of its previous run before its first claim, counting them against capacity, and settles their reports', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontoon-adoption-'));
    dirs.push(dir);
    const store = openSqliteStore({ file: join(dir, 'pontoon.db') });
    const runtimes = createRuntimes({ cacheDir: join(dir, 'builds') });
    const engineOf = (executor: Executor, owner: string) =>
      new Engine({ store, executor, runtimes, events: new ExecutionEvents(), logger: pino({ level: 'silent' }), owner, capacity: 1, leaseMs: 60_000, pollMs: 50 });
    try {
      await engineOf(new OutlivingExecutor([]), 'deployer').deploy(document);
      const [running, settled] = await store.enqueueExecutions([0, 1].map((input) => ({ namespace: 'default', function: 'job', input })), new Date().toISOString());
      await store.claimExecutions({ owner: 'previous-run', now: new Date().toISOString(), leaseMs: 60_000, limit: 2 });
      const ended = { status: 'succeeded', exitCode: 0, reason: null, error: null, result: null } as const;
      const finish = { next: 'finish', status: 'succeeded', notified: true } as const;
      await store.completeAttempt({ executionId: settled.execution.id, attempt: 1, ...ended, finishedAt: new Date().toISOString(), settlement: finish });
      const [queued] = await store.enqueueExecutions([{ namespace: 'default', function: 'job', input: 2 }], new Date().toISOString());

      const executor = new OutlivingExecutor([running, settled].map((enqueued) => ({ executionId: enqueued.execution.id, attempt: 1, owner: 'previous-run' })));
      const engine = engineOf(executor, 'restarted');
      await engine.start();
      try {
        assert.deepEqual(executor.adoption?.adopted.map((claimed) => claimed.execution.id), [running.execution.id]);
        assert.deepEqual(executor.adoption?.over, [{ executionId: settled.execution.id, attempt: 1 }]);
        assert.equal((await store.getExecution(running.execution.id))!.attempts[0].owner, 'restarted');
        // The adopted attempt holds the only slot: the queued execution waits for it.
        await new Promise((resolve) => setTimeout(resolve, 300));
        assert.equal(executor.started.length, 0);
        engine.finished({ executionId: running.execution.id, attempt: 1 }, { status: 'succeeded', exitCode: 0, reason: null, error: null, result: 42 });
        const done = await engine.waitForEnd(running.execution.id, 5000);
        assert.equal(done?.status, 'succeeded');
        assert.equal(done?.result, 42);
        const deadline = Date.now() + 5000;
        while (executor.started.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
        assert.deepEqual(executor.started.map((claimed) => claimed.execution.id), [queued.execution.id]);
      } finally {
        await engine.stop();
      }
    } finally {
      await store.close();
    }
  });

  it('leaves the leases of the attempts its executor detaches on stop, and settles the others as interrupted', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pontoon-detach-'));
    dirs.push(dir);
    const store = openSqliteStore({ file: join(dir, 'pontoon.db') });
    const runtimes = createRuntimes({ cacheDir: join(dir, 'builds') });
    try {
      const detached: AttemptRef[] = [];
      const executor = new OutlivingExecutor([], detached);
      const engine = new Engine({ store, executor, runtimes, events: new ExecutionEvents(), logger: pino({ level: 'silent' }), owner: 'stopping', capacity: 2, leaseMs: 60_000, pollMs: 50 });
      await engine.deploy(document);
      await engine.start();
      const [kept, interrupted] = await engine.invoke([0, 1].map((input) => ({ namespace: 'default', function: 'job', input })));
      const deadline = Date.now() + 5000;
      while (executor.started.length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(executor.started.length, 2);
      detached.push({ executionId: kept.execution.id, attempt: 1 });
      await engine.stop();
      const keptNow = (await store.getExecution(kept.execution.id))!;
      assert.equal(keptNow.status, 'running');
      assert.deepEqual(keptNow.attempts.map((attempt) => [attempt.status, attempt.owner]), [['running', 'stopping']]);
      const interruptedNow = (await store.getExecution(interrupted.execution.id))!;
      assert.deepEqual(interruptedNow.attempts.map((attempt) => [attempt.status, attempt.reason]), [['lost', 'Interrupted']]);
    } finally {
      await store.close();
    }
  });
});
