import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import type { Execution } from '../../src/domain/execution.js';
import type { Engine } from '../../src/engine/engine.js';
import { createRuntimes } from '../../src/runtimes/registry.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { Store } from '../../src/store/store.js';
import { warmEngine } from '../helpers/engine.js';
import { writeSdkHandler, writeSdkProgram, type SdkHandler } from './sdk-handlers.js';

const dirs: string[] = [];
after(() => dirs.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

interface Result {
  pid: number;
  concurrent: number;
  attempt: number;
  echo: unknown;
}

/**
 * A fresh store and engine with the language's handler (or, with `write`, another source) deployed
 * warm: one replica, concurrency 4.
 */
async function withWarmFunction(runtime: SdkHandler['runtime'], body: (engine: Engine, store: Store) => Promise<void>, write = writeSdkHandler): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `pontoon-warm-${runtime}-`));
  dirs.push(dir);
  const store = openSqliteStore({ file: join(dir, 'pontoon.db') });
  const engine = warmEngine({ store, runtimes: createRuntimes({ cacheDir: join(dir, 'builds') }), workRoot: join(dir, 'work') });
  const source = join(dir, 'src');
  const { handler } = write(source, runtime);
  engine.start();
  try {
    await engine.deploy({
      apiVersion: 'pontoon.dev/v1',
      kind: 'Function',
      metadata: { name: 'warm' },
      spec: { runtime, source, ...(handler ? { handler } : {}), timeout: '60s', parallelism: 50, retry: { limit: 0 }, warm: { max: 1, concurrency: 4, idleTimeout: '1m' } },
    });
    await body(engine, store);
  } finally {
    await engine.stop();
    await store.close();
  }
}

async function invokeAll(engine: Engine, inputs: unknown[]): Promise<Execution[]> {
  const enqueued = await engine.invoke(inputs.map((input) => ({ namespace: 'default', function: 'warm', input })));
  return Promise.all(enqueued.map(async ({ execution }) => (await engine.waitForEnd(execution.id, 120_000))!));
}

for (const runtime of ['python', 'java', 'go'] as const) {
  describe(`warm replicas of a ${runtime} handler (the SDK's replica loop, real processes)`, () => {
    it('runs many executions in one replica process, several at once, each with its own result, logs and failure', () =>
      withWarmFunction(runtime, async (engine, store) => {
        const executions = await invokeAll(engine, Array.from({ length: 40 }, (_, index) => ({ kind: 'sleep', ms: 20, echo: index })));
        assert.deepEqual(executions.map((e) => e.status), Array(40).fill('succeeded'), JSON.stringify(executions.find((e) => e.status !== 'succeeded')));
        const results = executions.map((e) => e.result as Result);
        assert.deepEqual(results.map((r) => r.echo), Array.from({ length: 40 }, (_, index) => index));
        const pids = new Set(results.map((r) => r.pid));
        assert.equal(pids.size, 1, 'one replica served every execution');
        const most = Math.max(...results.map((r) => r.concurrent));
        assert.ok(most > 1 && most <= 4, `at most 4 at once, and more than one (saw ${most})`);

        // Tagged lines: every execution's own lines in its own attempt's log, though four ran at once.
        const logged = await invokeAll(engine, Array.from({ length: 8 }, () => ({ kind: 'log', lines: 5, gapMs: 7 })));
        assert.ok(logged.every((e) => e.status === 'succeeded' && pids.has((e.result as Result).pid)), 'the same replica');
        assert.ok(Math.max(...logged.map((e) => (e.result as Result).concurrent)) > 1);
        for (const execution of logged) {
          const lines = await store.readLogs(execution.id, { limit: 100 });
          assert.deepEqual(
            lines.map((line) => [line.attempt, line.stream, line.line]),
            Array.from({ length: 5 }, (_, i) => [1, 'stdout', `[INFO] line ${i} of ${execution.id}`]),
          );
        }

        const [failed, next] = await invokeAll(engine, [{ kind: 'fail', name: 'q3' }, { kind: 'sleep', ms: 1 }]);
        assert.equal(failed.status, 'failed');
        assert.equal(failed.error, 'no such report: q3');
        if (runtime !== 'go') {
          // The stack trace of a thrown exception, tagged, is the failed attempt's (a Go error has none).
          const stack = await store.readLogs(failed.id, { limit: 100 });
          assert.ok(stack.some((line) => line.stream === 'stderr' && line.line.startsWith('[ERROR]') && line.line.includes('no such report: q3')), JSON.stringify(stack));
        }
        assert.equal(next.status, 'succeeded');
        assert.ok(pids.has((next.result as Result).pid), 'the replica served on after the failure');
      }));

    it('runs a program named by handler on demand despite spec.warm: its SDK refuses to serve as a replica, each execution gets a process and its input', () =>
      withWarmFunction(
        runtime,
        async (engine) => {
          const executions = await invokeAll(engine, [{ echo: 'a' }, { echo: 'b' }, { echo: 'c' }]);
          assert.deepEqual(executions.map((e) => [e.status, (e.result as Result | null)?.echo]), [['succeeded', 'a'], ['succeeded', 'b'], ['succeeded', 'c']], JSON.stringify(executions[0]));
          assert.equal(new Set(executions.map((e) => (e.result as Result).pid)).size, 3, 'a process per execution');
        },
        writeSdkProgram,
      ));
  });
}
